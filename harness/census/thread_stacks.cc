#include "harness/census/thread_stacks.h"

#include <cxxabi.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <memory>
#include <tuple>

namespace faultline {

std::vector<CensusGroup> MergeGroups(std::vector<CensusGroup> groups) {
  using Key = std::tuple<std::vector<std::string>, std::string, std::string>;
  std::map<Key, uint64_t> counts;
  for (CensusGroup& g : groups) {
    counts[Key(std::move(g.frames), std::move(g.state), std::move(g.syscall))] += g.count;
  }
  std::vector<CensusGroup> merged;
  merged.reserve(counts.size());
  for (const auto& [key, count] : counts) {
    merged.push_back(CensusGroup{count, std::get<1>(key), std::get<2>(key), std::get<0>(key)});
  }
  // std::map already ordered equal counts by key: a stable sort keeps that.
  std::stable_sort(merged.begin(), merged.end(),
                   [](const CensusGroup& a, const CensusGroup& b) { return a.count > b.count; });
  return merged;
}

std::vector<CensusGroup> GroupStacks(const std::vector<ThreadStack>& threads) {
  std::vector<CensusGroup> groups;
  groups.reserve(threads.size());
  for (const ThreadStack& t : threads) groups.push_back(CensusGroup{1, t.state, t.syscall, t.frames});
  return MergeGroups(std::move(groups));
}

std::optional<std::string> StatState(std::string_view stat_line) {
  size_t close = stat_line.rfind(')');
  if (close == std::string_view::npos || close + 2 >= stat_line.size() ||
      stat_line[close + 1] != ' ') {
    return std::nullopt;
  }
  return std::string(1, stat_line[close + 2]);
}

namespace {

// x86-64 numbers of the calls a held thread is usually found in.
struct SyscallNameEntry {
  long nr;
  const char* name;
};
constexpr SyscallNameEntry kSyscalls[] = {
    {0, "read"},        {1, "write"},         {7, "poll"},           {23, "select"},
    {34, "pause"},      {35, "nanosleep"},    {42, "connect"},       {43, "accept"},
    {44, "sendto"},     {45, "recvfrom"},     {46, "sendmsg"},       {47, "recvmsg"},
    {61, "wait4"},      {130, "rt_sigsuspend"}, {128, "rt_sigtimedwait"}, {202, "futex"},
    {232, "epoll_wait"}, {230, "clock_nanosleep"}, {247, "waitid"},  {270, "pselect6"},
    {271, "ppoll"},     {281, "epoll_pwait"}, {288, "accept4"},      {426, "io_uring_enter"},
    {441, "epoll_pwait2"},
};

}  // namespace

std::string SyscallFromProc(std::string_view line) {
  while (!line.empty() && (line.back() == '\n' || line.back() == ' ')) line.remove_suffix(1);
  if (line.empty() || line == "running") return "";
  std::string first(line.substr(0, line.find(' ')));
  char* end = nullptr;
  long nr = std::strtol(first.c_str(), &end, 10);
  if (end == first.c_str() || *end != '\0') return "";
  if (nr < 0) return "none";
  for (const SyscallNameEntry& e : kSyscalls) {
    if (e.nr == nr) return e.name;
  }
  return "syscall " + std::to_string(nr);
}

std::string WithoutParameters(std::string_view name) {
  // Strip trailing qualifiers after the parameter list, then the list itself:
  // find the '(' that balances the last ')'.
  size_t close = name.rfind(')');
  if (close == std::string_view::npos) return std::string(name);
  int depth = 0;
  for (size_t i = close + 1; i-- > 0;) {
    if (name[i] == ')') ++depth;
    if (name[i] == '(' && --depth == 0) {
      // "(anonymous namespace)::f" has no parameter list at its end.
      if (i == 0 || name.substr(i).starts_with("(anonymous namespace)")) break;
      return std::string(name.substr(0, i));
    }
  }
  return std::string(name);
}

std::string FunctionName(const char* symbol) {
  if (symbol == nullptr) return "??";
  std::string_view s(symbol);
  if (!s.starts_with("_Z")) return std::string(s);
  int status = 0;
  std::unique_ptr<char, decltype(&std::free)> demangled(
      abi::__cxa_demangle(symbol, nullptr, nullptr, &status), &std::free);
  if (status != 0 || !demangled) return std::string(s);
  return WithoutParameters(demangled.get());
}

}  // namespace faultline
