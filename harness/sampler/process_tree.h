// Reading a process tree's resource use cheaply: the cost follows what
// changed in the tree being measured, never the rest of the host.
//
//   tree     the first read walks /proc/PID/task/TID/children of every
//            thread (a child hangs off the thread that forked it) from the
//            root down. Later reads walk again only when the kernel's last
//            allocated pid (ProcFs::LastPid) moved by more than kMaxPidProbes;
//            otherwise they read the status of each pid allocated since the
//            last read (a new process whose parent is in the tree joins it;
//            a thread is skipped) and drop processes that exited or whose
//            parent left the tree. A pile-up of 100 new threads a second
//            costs about 10 small reads per sample, not one per thread.
//   threads  num_threads of each process's own stat; rss from the same stat
//   fds      counted without readlink (ProcFs::CountFds)
//   CPU      each process's ns counter (ProcFs::CpuNanos; stat's ticks for a
//            zombie) plus the children it reaped (stat's cutime + cstime,
//            in clock ticks), so a child's CPU stays counted once it exits.
//            The tree's total grows by each process's increase since the
//            last read (all of it for a new process), less what the
//            processes that left had shown when their parent in the tree
//            reaped them (the parent's reaped time now holds their whole
//            life; so for a chain of processes that left, when each waited
//            for its child); never by less than 0. A process that leaves
//            without a parent in the tree to reap it takes its last
//            interval with it.
//   TCP      one inet_diag dump of the sockets in ESTABLISHED, CLOSE_WAIT or
//            LISTEN (the kernel filters by state), matched to the tree's
//            sockets by inode. Each process's fd -> inode map is kept
//            between reads. When the dump holds a socket that is neither
//            known to be the tree's nor known to be someone else's, the fds
//            opened since are found without listing the directory: the
//            kernel hands out the lowest free number, so they are the lowest
//            numbers not cached as open (a cached socket that left the dump
//            was closed), as many as the fd count says; one readlink each.
//            Where that does not add up, the directory is listed and only
//            new or stale numbers readlink'ed. The links cached as files
//            or pipes are read again, a tenth of them each read, so each
//            every kListEvery reads (a number once a file's may now be a
//            socket's at the same count), and every kRelistEvery reads every
//            process is listed, which bounds any other miss of the cheap
//            path: a listing of a directory of thousands of fds costs
//            milliseconds, a readlink microseconds.
//            Nothing is read when the dump is empty.
//
// Known limit: a socket that enters the tree from outside it (passed over a
// unix socket with SCM_RIGHTS) after it was seen outside is not counted
// until it leaves the dump's states; a process reparented into the tree
// from outside it joins at the next full walk.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "harness/sampler/procfs.h"

namespace faultline {

/// "12 345 \n" -> {12, 345}; a malformed field ends the list.
std::vector<pid_t> ParseChildren(std::string_view text);

/// Reads `root`'s tree again and again, keeping what it learnt between
/// reads. Not thread-safe: one thread calls Read().
class TreeReader {
 public:
  /// Above this many pids allocated since the last read, the tree is
  /// walked again rather than probed pid by pid.
  static constexpr pid_t kMaxPidProbes = 256;
  /// Every cached file's link is read again once every this many reads
  /// (that see sockets; a tenth of them each read), so a file's number
  /// reused by a socket is missed at most this long.
  static constexpr int kListEvery = 10;
  /// Every this many reads (that see sockets), each process's fds are
  /// listed, so any other miss of the cheap path lasts at most this long.
  static constexpr int kRelistEvery = 100;
  /// Probing gives up and lists after this many numbers that are not open.
  static constexpr int kMaxProbeMisses = 8;

  /// `page_size` converts stat's rss pages (sysconf(_SC_PAGESIZE)).
  TreeReader(ProcFs& fs, pid_t root, uint64_t page_size);

  /// Totals over the root and its descendants now; nullopt when the root is
  /// gone, or when a read failed for want of the harness's own fds
  /// (ProcFs::TakeStarved). cpu_seconds is the tree's CPU since the first
  /// read's processes started (see CPU above), from counters read last of
  /// all, so it is as of the moment Read() returns; after a nullopt, the
  /// next sample's cpu_continues is false.
  std::optional<TreeSample> Read();

  /// What the last Read() did, for the benchmark and the tests.
  struct Work {
    bool full_walk = false;  // the tree came from every thread's children
    int pid_probes = 0;      // status files of new pids read
    int fd_listings = 0;     // PID/fd directories listed
    int readlinks = 0;       // fd links read
  };
  const Work& work() const { return work_; }

 private:
  struct Process {
    pid_t pid = 0;
    pid_t ppid = 0;                         // as of the last stat read
    uint64_t reaped_ns = 0;                 // this read's cutime + cstime
    uint64_t own_ticks_ns = 0;              // this read's utime + stime
    std::optional<uint64_t> cpu_ns;         // own + reaped at the last read
    std::optional<int64_t> fd_count;        // this read's CountFds
    bool fds_known = false;                 // `fds` came from a listing
    std::unordered_map<int, uint64_t> fds;  // fd -> socket inode, 0 = not a socket
  };

  std::optional<TreeSample> ReadOnce();  // Read() but for a starved read
  static Process NewProcess(pid_t pid);  // nothing known about its fds yet
  // Pids of the root and its descendants from the children files, parents
  // first; empty when the root is gone.
  std::vector<pid_t> WalkChildren();
  // Adds the processes among pids (from, to] whose parent is in the tree.
  void ProbeNewPids(pid_t from, pid_t to);
  // Counts the tree's sockets among `sockets` (the dump) by state.
  void CountSockets(const std::vector<TcpSocket>& sockets, TreeSample* sample);
  // Lists p's fds and readlinks the new ones and those whose cached socket
  // is not in the dump (`state_of`); with `non_sockets`, also those cached
  // as not a socket.
  // False when p's fds could not be listed though p is still there (another
  // user's process): its sockets are then unknown.
  bool ListFds(Process& p, const std::unordered_map<uint64_t, int>& state_of, bool non_sockets);
  // Finds the fds p opened since the last read without listing: the kernel
  // gives out the lowest free number, so they are the lowest numbers not
  // cached as open, as many as fd_count says. kList when that does not add
  // up; kListAll when files or pipes were closed, whose numbers a socket
  // may have taken (then the links cached as files are read again too).
  enum class Probe { kFound, kList, kListAll };
  Probe ProbeFds(Process& p, const std::unordered_map<uint64_t, int>& state_of);
  // A process that exited since the last read, with the CPU it had shown.
  struct Gone {
    pid_t pid = 0;
    pid_t ppid = 0;
    uint64_t cpu_ns = 0;
  };
  // Adds the CPU since the last read to cpu_ns_total_; `members` are the
  // pids of processes_.
  void AddCpu(const std::vector<Gone>& gone, const std::unordered_set<pid_t>& members);
  // Reads again the link of each fd of p cached as not a socket whose
  // number is `share` modulo kListEvery; forgets those no longer open.
  void RecheckFiles(Process& p, int share);
  std::unordered_set<uint64_t> TreeInodes() const;

  ProcFs& fs_;
  const pid_t root_;
  const uint64_t page_size_;
  std::vector<Process> processes_;  // parents before their children
  std::optional<pid_t> last_pid_;   // LastPid() before the last read's walk
  std::unordered_set<uint64_t> foreign_;  // dumped sockets no tree fd holds
  std::optional<uint64_t> cpu_ns_total_;  // the tree's CPU counted so far
  bool broken_ = false;                   // the last Read() gave nothing
  int reads_since_listing_ = 0;
  Work work_;
};

/// One read of a tree with nothing remembered (a fresh TreeReader).
std::optional<TreeSample> ReadProcessTree(ProcFs& fs, pid_t root, uint64_t page_size);

}  // namespace faultline
