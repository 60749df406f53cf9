// FakeProcFs: a /proc made of strings, for tests of the sampler and of the
// run (test code only).
#pragma once

#include <sys/types.h>

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "harness/sampler/procfs.h"

namespace faultline {

// A /proc made of strings: files and symlinks by path; directories are implied
// by the paths below them, plus `listed_only` entries whose files are gone.
class FakeProcFs : public ProcFs {
 public:
  std::map<std::string, std::string> files;
  std::map<std::string, std::string> links;
  std::set<std::string> listed_only;  // e.g. "77": listed, but exited before its stat was read
  std::map<pid_t, uint64_t> cpu_ns;   // by pid; AddProcess sets (utime + stime) * 10 ms
  std::vector<TcpSocket> tcp;         // the namespace's sockets, whatever their state
  std::map<pid_t, std::set<pid_t>> children;  // AddProcess keeps the task/*/children files from it
  std::optional<pid_t> last_pid;  // LastPid(); nullopt makes every read walk the tree
  int reads = 0;
  int readlinks = 0;
  std::function<void()> on_dump;  // runs at each TcpSockets(): a test's stall mid-read
  bool dump_fails = false;        // TcpSockets() fails (no NETLINK_SOCK_DIAG)
  std::set<pid_t> fds_refused;    // ReadFds() fails for these (another user's)
  bool starved = false;           // TakeStarved(): a read failed for want of fds

  std::optional<std::string> ReadFile(const std::string& path) override {
    ++reads;
    auto it = files.find(path);
    if (it == files.end()) return std::nullopt;
    return it->second;
  }
  std::vector<std::string> ListDir(const std::string& path) override {
    std::set<std::string> names(path.empty() ? listed_only : std::set<std::string>{});
    const std::string prefix = path.empty() ? "" : path + "/";
    auto add = [&](const std::string& key) {
      if (!key.starts_with(prefix)) return;
      std::string rest = key.substr(prefix.size());
      names.insert(rest.substr(0, rest.find('/')));
    };
    for (const auto& [key, value] : files) add(key);
    for (const auto& [key, value] : links) add(key);
    return {names.begin(), names.end()};
  }
  std::optional<std::string> ReadLink(const std::string& path) override {
    auto it = links.find(path);
    if (it == links.end()) return std::nullopt;
    return it->second;
  }

  std::optional<int64_t> CountFds(pid_t pid) override {
    if (!files.contains(std::to_string(pid) + "/stat")) return std::nullopt;
    return static_cast<int64_t>(ListDir(std::to_string(pid) + "/fd").size());
  }
  std::vector<uint64_t> SocketInodes(pid_t pid) override {
    std::vector<uint64_t> out;
    const std::string dir = std::to_string(pid) + "/fd";
    for (const std::string& fd : ListDir(dir)) {
      auto target = ReadLink(dir + "/" + fd);
      if (!target) continue;
      if (auto inode = ParseSocketInode(*target)) out.push_back(*inode);
    }
    return out;
  }
  std::optional<uint64_t> CpuNanos(pid_t pid) override {
    if (!files.contains(std::to_string(pid) + "/stat")) return std::nullopt;
    auto it = cpu_ns.find(pid);
    if (it == cpu_ns.end()) return std::nullopt;
    return it->second;
  }
  std::optional<std::vector<FdLink>> ReadFds(
      pid_t pid, const std::function<bool(int fd)>& read_link) override {
    if (!files.contains(std::to_string(pid) + "/stat") || fds_refused.contains(pid)) {
      return std::nullopt;
    }
    std::vector<FdLink> out;
    const std::string dir = std::to_string(pid) + "/fd";
    for (const std::string& name : ListDir(dir)) {
      FdLink link{std::stoi(name), false, 0};
      if (read_link(link.fd)) {
        ++readlinks;
        link.linked = true;
        link.socket_inode = ParseSocketInode(*ReadLink(dir + "/" + name)).value_or(0);
      }
      out.push_back(link);
    }
    return out;
  }
  std::optional<uint64_t> FdSocketInode(pid_t pid, int fd) override {
    auto target = ReadLink(std::to_string(pid) + "/fd/" + std::to_string(fd));
    if (!target) return std::nullopt;
    ++readlinks;
    return ParseSocketInode(*target).value_or(0);
  }
  std::optional<pid_t> LastPid() override { return last_pid; }
  bool TakeStarved() override { return std::exchange(starved, false); }
  std::optional<std::vector<TcpSocket>> TcpSockets(uint32_t states) override {
    if (on_dump) on_dump();
    if (dump_fails) return std::nullopt;
    std::vector<TcpSocket> out;
    for (const TcpSocket& s : tcp) {
      if (states & (1u << s.state)) out.push_back(s);
    }
    return out;
  }

  // 100 -> 101 -> 102 under 1, and 200 beside them (its sockets and
  // resources must not count for 100), holding the sockets of
  // testdata/net_tcp{,6}: 100 28502 LISTEN and 28504 ESTABLISHED, 101 28506
  // CLOSE_WAIT, 102 28509 ESTABLISHED and 28511 CLOSE_WAIT.
  void AddSampleTree() {
    AddProcess(1, 0, 1, 4000, 5, 5, {});
    AddProcess(100, 1, 4, 1000, 300, 100,
               {{0, "/dev/null"}, {1, "pipe:[1]"}, {3, "socket:[28502]"}, {4, "socket:[28504]"}});
    AddProcess(101, 100, 2, 2000, 50, 50, {{0, "/dev/null"}, {5, "socket:[28506]"}});
    AddProcess(102, 101, 1, 500, 0, 0, {{7, "socket:[28509]"}, {8, "socket:[28511]"}});
    AddProcess(200, 1, 30, 90000, 900, 900, {{3, "socket:[28503]"}, {4, "socket:[28507]"}});
  }

  // What AddSampleTree's root 100 sums to: 28502 LISTEN (28507 is 200's),
  // 28504 and 28509 ESTABLISHED (28503 is 200's), 28506 and 28511 CLOSE_WAIT.
  static TreeSample SampleTreeTotals() {
    TreeSample t;
    t.processes = 3;
    t.threads = 7;
    t.rss_bytes = 3500 * 1024;
    t.fds = 8;
    t.cpu_seconds = 5.0;  // 500 ticks of 10 ms, or 5e9 ns
    t.tcp_established = 2;
    t.tcp_close_wait = 2;
    t.tcp_listen = 1;
    return t;
  }

  // A process with the given parent, resources and open fds (fd -> link target);
  // `reaped` is the CPU ticks of the children it waited for (cutime).
  void AddProcess(pid_t pid, pid_t ppid, int threads, uint64_t rss_kb, uint64_t utime,
                  uint64_t stime, const std::map<int, std::string>& fds, uint64_t reaped = 0) {
    const std::string dir = std::to_string(pid);
    std::ostringstream stat;
    stat << pid << " (proc " << pid << ") S " << ppid << " " << pid << " " << pid
         << " 0 -1 4194304 100 0 0 0 " << utime << " " << stime << " " << reaped << " 0 20 0 "
         << threads
         << " 0 1000 10000000 " << rss_kb / 4
         << " 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0\n";
    files[dir + "/stat"] = stat.str();
    std::ostringstream status;
    status << "Name:\tproc " << pid << "\nState:\tS (sleeping)\nTgid:\t" << pid << "\nPPid:\t"
           << ppid << "\nVmRSS:\t"
           << rss_kb << " kB\nThreads:\t" << threads << "\n";
    files[dir + "/status"] = status.str();
    for (const auto& [fd, target] : fds) links[dir + "/fd/" + std::to_string(fd)] = target;
    cpu_ns[pid] = (utime + stime) * 10000000u;
    children[ppid].insert(pid);
    children.try_emplace(pid);
    for (pid_t parent : {ppid, pid}) {
      std::string list;
      for (pid_t child : children[parent]) list += std::to_string(child) + " ";
      files[std::to_string(parent) + "/task/" + std::to_string(parent) + "/children"] = list;
    }
  }
};

}  // namespace faultline
