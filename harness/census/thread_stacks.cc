#include "harness/census/thread_stacks.h"

#include <cxxabi.h>
#include <sys/syscall.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <memory>
#include <tuple>

namespace faultline {
namespace {

constexpr const char* kRestartSyscall = "restart_syscall";

}  // namespace

std::vector<CensusGroup> MergeGroups(std::vector<CensusGroup> groups) {
  using Key = std::tuple<std::vector<std::string>, std::string, std::string>;
  std::map<Key, uint64_t> counts;
  for (CensusGroup& g : groups) {
    counts[Key(std::move(g.frames), std::move(g.state), std::move(g.syscall))] += g.count;
  }
  // A thread that a ptrace stop (an earlier census), or a signal, took out
  // of a blocking call resumes it as restart_syscall, and /proc says so
  // while its frames are still the call's: it is counted with the threads
  // at the same frames in the call itself, where there are any (one group,
  // not "199 in poll" and "98 in syscall 219").
  using Place = std::pair<std::vector<std::string>, std::string>;  // frames, state
  std::map<Place, Key> in_call;
  for (const auto& [key, count] : counts) {
    if (std::get<2>(key) != kRestartSyscall && !std::get<0>(key).empty())
      in_call.emplace(Place(std::get<0>(key), std::get<1>(key)), key);
  }
  for (auto it = counts.begin(); it != counts.end();) {
    const auto call = std::get<2>(it->first) == kRestartSyscall
                          ? in_call.find(Place(std::get<0>(it->first), std::get<1>(it->first)))
                          : in_call.end();
    if (call == in_call.end()) {
      ++it;
      continue;
    }
    counts[call->second] += it->second;
    it = counts.erase(it);
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

// The calls a held thread is usually found in, by the numbers of the
// architecture faultline is built for (<sys/syscall.h>: the same name has
// another number on aarch64, and some, like poll, exist only on some).
struct SyscallNameEntry {
  long nr;
  const char* name;
};
constexpr SyscallNameEntry kSyscalls[] = {
#ifdef SYS_restart_syscall
    {SYS_restart_syscall, "restart_syscall"},
#endif
#ifdef SYS_read
    {SYS_read, "read"},
#endif
#ifdef SYS_write
    {SYS_write, "write"},
#endif
#ifdef SYS_poll
    {SYS_poll, "poll"},
#endif
#ifdef SYS_select
    {SYS_select, "select"},
#endif
#ifdef SYS_pause
    {SYS_pause, "pause"},
#endif
#ifdef SYS_nanosleep
    {SYS_nanosleep, "nanosleep"},
#endif
#ifdef SYS_connect
    {SYS_connect, "connect"},
#endif
#ifdef SYS_accept
    {SYS_accept, "accept"},
#endif
#ifdef SYS_sendto
    {SYS_sendto, "sendto"},
#endif
#ifdef SYS_recvfrom
    {SYS_recvfrom, "recvfrom"},
#endif
#ifdef SYS_sendmsg
    {SYS_sendmsg, "sendmsg"},
#endif
#ifdef SYS_recvmsg
    {SYS_recvmsg, "recvmsg"},
#endif
#ifdef SYS_wait4
    {SYS_wait4, "wait4"},
#endif
#ifdef SYS_rt_sigsuspend
    {SYS_rt_sigsuspend, "rt_sigsuspend"},
#endif
#ifdef SYS_rt_sigtimedwait
    {SYS_rt_sigtimedwait, "rt_sigtimedwait"},
#endif
#ifdef SYS_futex
    {SYS_futex, "futex"},
#endif
#ifdef SYS_epoll_wait
    {SYS_epoll_wait, "epoll_wait"},
#endif
#ifdef SYS_clock_nanosleep
    {SYS_clock_nanosleep, "clock_nanosleep"},
#endif
#ifdef SYS_waitid
    {SYS_waitid, "waitid"},
#endif
#ifdef SYS_pselect6
    {SYS_pselect6, "pselect6"},
#endif
#ifdef SYS_ppoll
    {SYS_ppoll, "ppoll"},
#endif
#ifdef SYS_epoll_pwait
    {SYS_epoll_pwait, "epoll_pwait"},
#endif
#ifdef SYS_accept4
    {SYS_accept4, "accept4"},
#endif
#ifdef SYS_io_uring_enter
    {SYS_io_uring_enter, "io_uring_enter"},
#endif
#ifdef SYS_epoll_pwait2
    {SYS_epoll_pwait2, "epoll_pwait2"},
#endif
};

}  // namespace

std::string SyscallFromProc(std::string_view line) {
  while (!line.empty() && (line.back() == '\n' || line.back() == ' ')) line.remove_suffix(1);
  if (line.empty()) return "unknown";  // not readable: another user's thread, not a running one
  if (line == "running") return "";
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
