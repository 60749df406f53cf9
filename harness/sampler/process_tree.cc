#include "harness/sampler/process_tree.h"

#include <charconv>
#include <deque>
#include <unordered_map>
#include <unordered_set>

#include "harness/sampler/sock_diag.h"

namespace faultline {

std::vector<pid_t> ParseChildren(std::string_view text) {
  std::vector<pid_t> out;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\n')) ++i;
    if (i == text.size()) break;
    pid_t pid = 0;
    auto [ptr, ec] = std::from_chars(text.data() + i, text.data() + text.size(), pid);
    if (ec != std::errc() || pid <= 0) break;
    out.push_back(pid);
    i = static_cast<size_t>(ptr - text.data());
  }
  return out;
}

namespace {

// Matches the tree's sockets to the namespace's sockets in the counted states.
void CountTcp(ProcFs& fs, const std::vector<pid_t>& tree, TreeSample* sample) {
  constexpr uint32_t kStates =
      TcpStateBit(kTcpEstablished) | TcpStateBit(kTcpCloseWait) | TcpStateBit(kTcpListen);
  auto sockets = fs.TcpSockets(kStates);
  if (!sockets || sockets->empty()) return;
  std::unordered_map<uint64_t, int> state_of;
  state_of.reserve(sockets->size());
  for (const TcpSocket& s : *sockets) {
    if (s.inode != 0) state_of.emplace(s.inode, s.state);
  }
  for (pid_t pid : tree) {
    for (uint64_t inode : fs.SocketInodes(pid)) {
      auto it = state_of.find(inode);
      if (it == state_of.end()) continue;
      switch (it->second) {
        case kTcpEstablished:
          sample->tcp_established += 1;
          break;
        case kTcpCloseWait:
          sample->tcp_close_wait += 1;
          break;
        case kTcpListen:
          sample->tcp_listen += 1;
          break;
        default:
          break;
      }
      state_of.erase(it);  // a socket shared by two processes counts once
    }
  }
}

}  // namespace

std::optional<TreeSample> ReadProcessTree(ProcFs& fs, pid_t root, uint64_t page_size) {
  TreeSample sample;
  std::vector<pid_t> tree;
  std::deque<pid_t> queue{root};
  std::unordered_set<pid_t> seen{root};
  while (!queue.empty()) {
    const pid_t pid = queue.front();
    queue.pop_front();
    const std::string dir = std::to_string(pid);
    auto text = fs.ReadFile(dir + "/stat");
    auto stat = text ? ParseProcStat(*text) : std::nullopt;
    if (!stat) {
      if (pid == root) return std::nullopt;
      continue;  // exited since its parent listed it
    }
    tree.push_back(pid);
    sample.processes += 1;
    sample.threads += stat->num_threads;
    sample.rss_bytes += stat->rss_pages * page_size;
    if (auto fds = fs.CountFds(pid)) sample.fds += *fds;
    if (auto ns = fs.CpuNanos(pid)) sample.cpu_seconds += static_cast<double>(*ns) / 1e9;
    for (const std::string& tid : fs.ListDir(dir + "/task")) {
      auto children = fs.ReadFile(dir + "/task/" + tid + "/children");
      if (!children) continue;
      for (pid_t child : ParseChildren(*children)) {
        if (seen.insert(child).second) queue.push_back(child);
      }
    }
  }
  CountTcp(fs, tree, &sample);
  return sample;
}

}  // namespace faultline
