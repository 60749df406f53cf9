// Reading a process tree's resource use from /proc. The filesystem sits
// behind ProcFs so that the parsers and the tree walk are tested on canned
// files (sampler/testdata/).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <string_view>
#include <vector>

namespace faultline {

/// A TCP socket: a row of /proc/net/tcp{,6} or of an inet_diag dump.
struct TcpSocket {
  uint64_t inode = 0;
  int state = 0;  // kernel TCP state number: 1 ESTABLISHED, 8 CLOSE_WAIT, 10 LISTEN, ...
  bool operator==(const TcpSocket&) const = default;
};

/// One open fd of a process. `linked` says whether its link was read; then
/// `socket_inode` is the socket's inode, or 0 when it is not a socket.
struct FdLink {
  int fd = -1;
  bool linked = false;
  uint64_t socket_inode = 0;
};

/// The seam: the few filesystem calls the sampler makes.
class ProcFs {
 public:
  virtual ~ProcFs() = default;
  /// Whole file; nullopt if it cannot be read (e.g. the process exited).
  virtual std::optional<std::string> ReadFile(const std::string& path) = 0;
  /// Entry names in a directory (no "." or ".."); empty if unreadable.
  virtual std::vector<std::string> ListDir(const std::string& path) = 0;
  /// Target of a symlink; nullopt if unreadable.
  virtual std::optional<std::string> ReadLink(const std::string& path) = 0;
  /// Open fds of a process, counted without reading their links; nullopt if gone.
  virtual std::optional<int64_t> CountFds(pid_t pid) = 0;
  /// Inodes of the sockets among a process's fds (empty if gone).
  virtual std::vector<uint64_t> SocketInodes(pid_t pid) = 0;
  /// CPU time of a whole process (every thread), in ns; nullopt if gone.
  virtual std::optional<uint64_t> CpuNanos(pid_t pid) = 0;
  /// The open fds of a process, in one listing of PID/fd; the link of fd N
  /// is read only when read_link(N) is true. nullopt if the process is gone.
  virtual std::optional<std::vector<FdLink>> ReadFds(
      pid_t pid, const std::function<bool(int fd)>& read_link) = 0;
  /// One fd's link: its socket inode, 0 when it is not a socket, nullopt
  /// when the fd is not open (or the process is gone).
  virtual std::optional<uint64_t> FdSocketInode(pid_t pid, int fd) = 0;
  /// The pid the kernel allocated last in this pid namespace (the last
  /// field of loadavg); nullopt if unknown. Pids are allocated in increasing
  /// order until they wrap at pid_max.
  virtual std::optional<pid_t> LastPid() = 0;
  /// Every TCP socket of the network namespace in one of `states` (bit
  /// 1 << state); nullopt when they cannot be listed.
  virtual std::optional<std::vector<TcpSocket>> TcpSockets(uint32_t states) = 0;
  /// Whether a read since the last call failed for want of the harness's
  /// own resources (EMFILE, ENFILE, ENOMEM: faultline out of fds), so that
  /// what the reads said is not the target's state. Clears it.
  virtual bool TakeStarved() = 0;
};

/// The real /proc (root defaults to "/proc").
class RealProcFs : public ProcFs {
 public:
  explicit RealProcFs(std::string root = "/proc");
  std::optional<std::string> ReadFile(const std::string& path) override;
  std::vector<std::string> ListDir(const std::string& path) override;
  std::optional<std::string> ReadLink(const std::string& path) override;
  // stat() size of PID/fd (the count on Linux >= 6.2), else getdents.
  std::optional<int64_t> CountFds(pid_t pid) override;
  std::vector<uint64_t> SocketInodes(pid_t pid) override;  // getdents + readlinkat
  std::optional<uint64_t> CpuNanos(pid_t pid) override;    // clock_getcpuclockid
  std::optional<std::vector<FdLink>> ReadFds(
      pid_t pid, const std::function<bool(int fd)>& read_link) override;  // getdents + readlinkat
  std::optional<uint64_t> FdSocketInode(pid_t pid, int fd) override;     // readlink
  std::optional<pid_t> LastPid() override;                                // loadavg
  std::optional<std::vector<TcpSocket>> TcpSockets(uint32_t states) override;  // inet_diag
  bool TakeStarved() override { return std::exchange(starved_, false); }

 private:
  // Notes a failed open whose errno says the harness itself is short.
  void NoteFailure();
  std::string root_;  // paths given are relative to it, e.g. "123/status"
  bool starved_ = false;
};

// ---- Parsers (pure functions over file text) ----

/// /proc/PID/stat: the fields the sampler needs. The comm field may contain
/// spaces and parentheses; parsing starts after the last ')'.
struct ProcStat {
  pid_t pid = 0;
  char state = '?';
  pid_t ppid = 0;
  uint64_t utime_ticks = 0;
  uint64_t stime_ticks = 0;
  uint64_t cutime_ticks = 0;  // of the children it waited for
  uint64_t cstime_ticks = 0;
  int64_t num_threads = 0;
  uint64_t rss_pages = 0;
};
std::optional<ProcStat> ParseProcStat(std::string_view text);

/// /proc/PID/status: "Threads:" and "VmRSS:" (kB, returned as bytes).
struct ProcStatus {
  int64_t threads = 0;
  uint64_t rss_bytes = 0;
};
std::optional<ProcStatus> ParseProcStatus(std::string_view text);

/// Parses every data row (the header line is skipped; malformed rows are skipped).
std::vector<TcpSocket> ParseNetTcp(std::string_view text);

/// /proc/loadavg -> its last field, the last pid allocated.
std::optional<pid_t> ParseLoadavgLastPid(std::string_view text);

/// /proc/PID/status -> its "Tgid:" and "PPid:" (a thread's tgid is its
/// process's pid; a process's tgid is its own).
struct ProcIds {
  pid_t tgid = 0;
  pid_t ppid = 0;
};
std::optional<ProcIds> ParseProcIds(std::string_view text);

/// "socket:[12345]" -> 12345; anything else -> nullopt.
std::optional<uint64_t> ParseSocketInode(std::string_view link_target);

// ---- The tree sample ----

/// Totals over a process and all its descendants at one instant.
struct TreeSample {
  int64_t processes = 0;
  int64_t threads = 0;
  uint64_t rss_bytes = 0;
  int64_t fds = 0;
  double cpu_seconds = 0;        // utime + stime, cumulative (with reaped children)
  /// False when cpu_seconds does not continue the last sample's: a read in
  /// between failed, and the CPU since then cannot be told apart from the
  /// CPU before it.
  bool cpu_continues = true;
  int64_t tcp_established = 0;   // sockets owned by the tree, by state
  int64_t tcp_close_wait = 0;
  int64_t tcp_listen = 0;
  /// False when the tcp_* counts are not measured: the socket dump failed
  /// (no NETLINK_SOCK_DIAG here) or a process's fds could not be listed
  /// (another user's).
  bool sockets_known = true;
  bool operator==(const TreeSample&) const = default;
};

/// The old way, kept for the benchmark's comparison: scans the stat of every
/// process on the host, readlinks every fd of the tree and parses
/// /proc/net/tcp{,6}. Production uses ReadProcessTree (process_tree.h).
/// Walks /proc for `root` and its descendants (by ppid) and sums them.
/// nullopt when `root` no longer exists. `ticks_per_second` converts CPU
/// ticks (sysconf(_SC_CLK_TCK) in production).
std::optional<TreeSample> SampleProcessTree(ProcFs& fs, pid_t root, long ticks_per_second);

}  // namespace faultline
