#include "harness/sampler/process_tree.h"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <deque>

#include "harness/sampler/sock_diag.h"

namespace faultline {
namespace {

// stat's CPU times are in USER_HZ ticks.
uint64_t NanosPerTick() {
  static const uint64_t ns = 1000000000u / static_cast<uint64_t>(::sysconf(_SC_CLK_TCK));
  return ns;
}

}  // namespace

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

TreeReader::Process TreeReader::NewProcess(pid_t pid) {
  Process p;
  p.pid = pid;
  return p;
}

TreeReader::TreeReader(ProcFs& fs, pid_t root, uint64_t page_size)
    : fs_(fs), root_(root), page_size_(page_size) {}

std::vector<pid_t> TreeReader::WalkChildren() {
  std::vector<pid_t> out;
  std::deque<pid_t> queue{root_};
  std::unordered_set<pid_t> seen{root_};
  while (!queue.empty()) {
    const pid_t pid = queue.front();
    queue.pop_front();
    const std::string dir = std::to_string(pid);
    const std::vector<std::string> tasks = fs_.ListDir(dir + "/task");
    if (tasks.empty()) continue;  // exited since its parent listed it
    out.push_back(pid);
    for (const std::string& tid : tasks) {
      auto children = fs_.ReadFile(dir + "/task/" + tid + "/children");
      if (!children) continue;
      for (pid_t child : ParseChildren(*children)) {
        if (seen.insert(child).second) queue.push_back(child);
      }
    }
  }
  return out;
}

void TreeReader::ProbeNewPids(pid_t from, pid_t to) {
  std::unordered_set<pid_t> members;
  for (const Process& p : processes_) members.insert(p.pid);
  // Increasing order: a parent forked before its child, so a grandchild
  // born since the last read finds its parent already added.
  for (pid_t pid = from + 1; pid <= to; ++pid) {
    // Forked between the last read's LastPid and its walk, which found it.
    if (members.contains(pid)) continue;
    ++work_.pid_probes;
    auto text = fs_.ReadFile(std::to_string(pid) + "/status");
    auto ids = text ? ParseProcIds(*text) : std::nullopt;
    if (!ids || ids->tgid != pid || !members.contains(ids->ppid)) continue;  // gone, a thread, or not ours
    members.insert(pid);
    processes_.push_back(NewProcess(pid));
  }
}

std::optional<TreeSample> TreeReader::Read() {
  fs_.TakeStarved();  // a failure before this read is not this read's
  std::optional<TreeSample> sample = ReadOnce();
  // Out of fds, a process's stat cannot be read although it runs: it looked
  // gone, and a missed child or root would come back bringing all its CPU.
  // Such a read measured the harness, not the target: none is given.
  if (fs_.TakeStarved()) sample.reset();
  if (!sample) {
    broken_ = true;
    return sample;
  }
  sample->cpu_continues = !std::exchange(broken_, false);
  return sample;
}

std::optional<TreeSample> TreeReader::ReadOnce() {
  work_ = Work{};
  const std::optional<pid_t> last_pid = fs_.LastPid();
  // After a failed read, walk: what it dropped is found again.
  const bool walk = broken_ || processes_.empty() || !last_pid || !last_pid_ ||
                    *last_pid < *last_pid_ || *last_pid - *last_pid_ > kMaxPidProbes;
  if (walk) {
    work_.full_walk = true;
    std::unordered_map<pid_t, Process> known;
    for (Process& p : processes_) known.emplace(p.pid, std::move(p));
    processes_.clear();
    for (pid_t pid : WalkChildren()) {
      auto it = known.find(pid);
      processes_.push_back(it != known.end() ? std::move(it->second) : NewProcess(pid));
    }
  } else {
    ProbeNewPids(*last_pid_, *last_pid);
  }
  last_pid_ = last_pid;

  // The dump before the fd counts: every socket in it was opened before its
  // process's fds were counted, so probing looks for enough new fds.
  constexpr uint32_t kStates =
      TcpStateBit(kTcpEstablished) | TcpStateBit(kTcpCloseWait) | TcpStateBit(kTcpListen);
  const std::optional<std::vector<TcpSocket>> sockets = fs_.TcpSockets(kStates);

  TreeSample sample;
  std::unordered_set<pid_t> kept;
  std::vector<Process> alive;
  std::vector<Gone> gone;
  alive.reserve(processes_.size());
  for (Process& p : processes_) {
    auto text = fs_.ReadFile(std::to_string(p.pid) + "/stat");
    auto stat = text ? ParseProcStat(*text) : std::nullopt;
    if (!stat && p.cpu_ns) gone.push_back(Gone{p.pid, p.ppid, *p.cpu_ns});
    // Gone, or its parent left the tree (a child then hangs off init or a
    // subreaper, outside the tree, as the children files would say).
    if (!stat || (p.pid != root_ && !kept.contains(stat->ppid))) continue;
    kept.insert(p.pid);
    sample.processes += 1;
    // A zombie's stat counts its own (dead) thread: an exited process says 1
    // and runs none; one whose main thread exited (pthread_exit) while others
    // run counts those others. Either way the process is counted.
    sample.threads += stat->state == 'Z' && stat->num_threads > 0 ? stat->num_threads - 1
                                                                   : stat->num_threads;
    sample.rss_bytes += stat->rss_pages * page_size_;
    p.ppid = stat->ppid;
    p.reaped_ns = (stat->cutime_ticks + stat->cstime_ticks) * NanosPerTick();
    p.own_ticks_ns = (stat->utime_ticks + stat->stime_ticks) * NanosPerTick();
    p.fd_count = fs_.CountFds(p.pid);
    if (p.fd_count) sample.fds += *p.fd_count;
    alive.push_back(std::move(p));
  }
  processes_ = std::move(alive);
  if (processes_.empty() || processes_.front().pid != root_) {
    processes_.clear();  // the root is gone: start afresh if asked again
    return std::nullopt;
  }
  if (sockets) {
    CountSockets(*sockets, &sample);
  } else {
    sample.sockets_known = false;
  }
  // CPU last, in one quick pass: the caller times the counters by the end of
  // Read(), and the walk, the dump and fd listings above can take long.
  AddCpu(gone, kept);
  sample.cpu_seconds = static_cast<double>(*cpu_ns_total_) / 1e9;
  return sample;
}

void TreeReader::AddCpu(const std::vector<Gone>& gone, const std::unordered_set<pid_t>& members) {
  int64_t added = 0;
  uint64_t total = 0;
  for (Process& p : processes_) {
    // A zombie has no CPU clock left; its stat still has its ticks.
    const uint64_t now = fs_.CpuNanos(p.pid).value_or(p.own_ticks_ns) + p.reaped_ns;
    added += static_cast<int64_t>(now) - static_cast<int64_t>(p.cpu_ns.value_or(0));
    total += now;
    p.cpu_ns = now;
  }
  // Reaped by a parent in the tree: their whole CPU is in its reaped time now.
  // So is that of a process whose parent left too, when the parent waited
  // for it first (as shells and supervisors do) and was reaped in the tree.
  std::unordered_map<pid_t, pid_t> parent_of;  // of the processes gone
  for (const auto& [pid, parent, shown] : gone) parent_of.emplace(pid, parent);
  auto reaped_in_tree = [&](pid_t parent) {
    for (size_t hops = 0; hops <= parent_of.size(); ++hops) {
      if (members.contains(parent)) return true;
      auto it = parent_of.find(parent);
      if (it == parent_of.end()) return false;
      parent = it->second;
    }
    return false;  // a cycle: pids reused within one interval
  };
  for (const auto& [pid, parent, shown] : gone) {
    if (reaped_in_tree(parent)) added -= static_cast<int64_t>(shown);
  }
  // A reaped time is in clock ticks, and a child reaped between its parent's
  // stat and its own shows up a read late: never count back.
  const auto grown = static_cast<uint64_t>(std::max<int64_t>(added, 0));
  cpu_ns_total_ = cpu_ns_total_ ? *cpu_ns_total_ + grown : total;
}

std::unordered_set<uint64_t> TreeReader::TreeInodes() const {
  std::unordered_set<uint64_t> inodes;
  for (const Process& p : processes_) {
    for (const auto& [fd, inode] : p.fds) {
      if (inode != 0) inodes.insert(inode);
    }
  }
  return inodes;
}

bool TreeReader::ListFds(Process& p, const std::unordered_map<uint64_t, int>& state_of,
                         bool non_sockets) {
  auto listed = fs_.ReadFds(p.pid, [&](int fd) {
    auto it = p.fds.find(fd);
    // A cached socket still in the dump is still this fd's: a closed socket
    // leaves the dump (its inode reads 0), and its number is free.
    const bool read = it == p.fds.end() ||
                      (it->second == 0 ? non_sockets : !state_of.contains(it->second));
    work_.readlinks += read ? 1 : 0;
    return read;
  });
  ++work_.fd_listings;
  if (!listed) {  // exited since its stat was read, or not ours to list
    return !fs_.ReadFile(std::to_string(p.pid) + "/stat");
  }
  std::unordered_map<int, uint64_t> fds;
  fds.reserve(listed->size());
  for (const FdLink& link : *listed) {
    fds.emplace(link.fd, link.linked ? link.socket_inode : p.fds[link.fd]);
  }
  p.fds = std::move(fds);
  p.fds_known = true;
  return true;
}

void TreeReader::RecheckFiles(Process& p, int share) {
  for (auto it = p.fds.begin(); it != p.fds.end();) {
    if (it->second != 0 || it->first % kListEvery != share) {
      ++it;
      continue;
    }
    ++work_.readlinks;
    const std::optional<uint64_t> inode = fs_.FdSocketInode(p.pid, it->first);
    if (!inode) {
      it = p.fds.erase(it);  // closed: probing or a listing finds what took its number
      continue;
    }
    it->second = *inode;
    ++it;
  }
}

TreeReader::Probe TreeReader::ProbeFds(Process& p,
                                       const std::unordered_map<uint64_t, int>& state_of) {
  if (!p.fds_known || !p.fd_count) return Probe::kList;
  // Still open, as far as the dump tells: files and pipes, and sockets
  // still in it. The rest were closed (or left the dump's states: then
  // probing finds them again).
  int64_t open = 0;
  for (auto it = p.fds.begin(); it != p.fds.end();) {
    if (it->second == 0 || state_of.contains(it->second)) {
      ++open;
      ++it;
    } else {
      it = p.fds.erase(it);
    }
  }
  int64_t wanted = *p.fd_count - open;  // fds opened since
  if (wanted < 0) return Probe::kListAll;  // a file or pipe was closed
  int misses = 0;
  for (int fd = 0; wanted > 0; ++fd) {
    if (p.fds.contains(fd)) continue;
    ++work_.readlinks;
    auto inode = fs_.FdSocketInode(p.pid, fd);
    if (!inode) {
      if (++misses > kMaxProbeMisses) return Probe::kList;  // not lowest-first
      continue;
    }
    p.fds.emplace(fd, *inode);
    --wanted;
  }
  return Probe::kFound;
}

void TreeReader::CountSockets(const std::vector<TcpSocket>& sockets, TreeSample* sample) {
  if (sockets.empty()) return;
  std::unordered_map<uint64_t, int> state_of;
  state_of.reserve(sockets.size());
  for (const TcpSocket& s : sockets) {
    if (s.inode != 0) state_of.emplace(s.inode, s.state);  // 0: closed, not yet gone
  }

  // A process never listed is listed. The links cached as files or pipes
  // are read again, a tenth of them each read (a number once a file's may
  // now be a socket's, at the same count), and every process is listed
  // every kRelistEvery reads: a listing of thousands of fds costs
  // milliseconds, a readlink of a cached file microseconds.
  ++reads_since_listing_;
  const bool relist = reads_since_listing_ >= kRelistEvery;
  for (Process& p : processes_) {
    if (relist || !p.fds_known) {
      if (!ListFds(p, state_of, true)) sample->sockets_known = false;
    } else {
      RecheckFiles(p, reads_since_listing_ % kListEvery);
    }
  }
  if (relist) reads_since_listing_ = 0;
  std::unordered_set<uint64_t> tree = TreeInodes();
  auto unplaced = [&] {
    std::vector<uint64_t> out;
    for (const auto& [inode, state] : state_of) {
      if (!tree.contains(inode) && !foreign_.contains(inode)) out.push_back(inode);
    }
    return out;
  };
  std::vector<uint64_t> unknown = unplaced();
  if (!unknown.empty()) {
    // New sockets somewhere: find the tree's new fds, lowest numbers first
    // as the kernel hands them out, and list only where that fails.
    for (Process& p : processes_) {
      const Probe probe = ProbeFds(p, state_of);
      if (probe != Probe::kFound && !ListFds(p, state_of, probe == Probe::kListAll)) {
        sample->sockets_known = false;
      }
    }
    tree = TreeInodes();
    unknown = unplaced();
  }
  // Someone else's: forget those that left the dump, so the set stays small.
  std::unordered_set<uint64_t> foreign(unknown.begin(), unknown.end());
  for (uint64_t inode : foreign_) {
    if (state_of.contains(inode)) foreign.insert(inode);
  }
  foreign_ = std::move(foreign);

  for (uint64_t inode : tree) {  // a socket shared by two processes counts once
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
  }
}

std::optional<TreeSample> ReadProcessTree(ProcFs& fs, pid_t root, uint64_t page_size) {
  return TreeReader(fs, root, page_size).Read();
}

}  // namespace faultline
