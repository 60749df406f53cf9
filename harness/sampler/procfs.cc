#include "harness/sampler/procfs.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <deque>
#include <unordered_map>
#include <unordered_set>

#include "harness/sampler/sock_diag.h"

namespace faultline {

RealProcFs::RealProcFs(std::string root) : root_(std::move(root)) {}

namespace {

std::string Join(const std::string& root, const std::string& path) {
  return path.empty() ? root : root + "/" + path;
}

// Skips leading spaces and tabs, then parses an unsigned integer in `base`.
// Advances `text` past the number. nullopt if there is no number.
template <typename T>
std::optional<T> TakeNumber(std::string_view& text, int base = 10) {
  size_t i = 0;
  while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
  T value{};
  auto [ptr, ec] = std::from_chars(text.data() + i, text.data() + text.size(), value, base);
  if (ec != std::errc()) return std::nullopt;
  text.remove_prefix(static_cast<size_t>(ptr - text.data()));
  return value;
}

// Splits on runs of spaces/tabs.
std::vector<std::string_view> Fields(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

template <typename T>
std::optional<T> ToNumber(std::string_view field, int base = 10) {
  T value{};
  auto [ptr, ec] = std::from_chars(field.data(), field.data() + field.size(), value, base);
  if (ec != std::errc() || ptr != field.data() + field.size()) return std::nullopt;
  return value;
}

bool IsPid(const std::string& name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

}  // namespace

void RealProcFs::NoteFailure() {
  if (errno == EMFILE || errno == ENFILE || errno == ENOMEM) starved_ = true;
}

std::optional<std::string> RealProcFs::ReadFile(const std::string& path) {
  int fd = ::open(Join(root_, path).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    NoteFailure();
    return std::nullopt;
  }
  // /proc files report size 0, so read until EOF.
  std::string out;
  char buf[16384];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      return std::nullopt;
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

std::vector<std::string> RealProcFs::ListDir(const std::string& path) {
  std::vector<std::string> out;
  DIR* dir = ::opendir(Join(root_, path).c_str());
  if (dir == nullptr) {
    NoteFailure();
    return out;
  }
  while (dirent* entry = ::readdir(dir)) {
    std::string_view name = entry->d_name;
    if (name == "." || name == "..") continue;
    out.emplace_back(name);
  }
  ::closedir(dir);
  return out;
}

std::optional<std::string> RealProcFs::ReadLink(const std::string& path) {
  char buf[4096];
  ssize_t n = ::readlink(Join(root_, path).c_str(), buf, sizeof buf);
  if (n < 0) return std::nullopt;
  return std::string(buf, static_cast<size_t>(n));
}

namespace {

// Calls `each(name)` for every entry of the open directory `fd` but "." and
// "..", reading it with getdents64 (no per-entry allocation). False on error.
template <typename Each>
bool ForEachEntry(int fd, Each each) {
  alignas(8) char buf[32768];
  for (;;) {
    long n = ::syscall(SYS_getdents64, fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    if (n == 0) return true;
    for (long offset = 0; offset < n;) {
      // linux_dirent64: ino 8, off 8, reclen 2, type 1, then the name.
      unsigned short reclen;
      std::memcpy(&reclen, buf + offset + 16, sizeof reclen);
      const char* name = buf + offset + 19;
      offset += reclen;
      if (name[0] == '.' && (name[1] == 0 || (name[1] == '.' && name[2] == 0))) continue;
      each(name);
    }
  }
}

}  // namespace

std::optional<int64_t> RealProcFs::CountFds(pid_t pid) {
  const std::string path = Join(root_, std::to_string(pid) + "/fd");
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  if (st.st_size > 0) return static_cast<int64_t>(st.st_size);  // the count itself, Linux >= 6.2
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    NoteFailure();
    return std::nullopt;
  }
  int64_t count = 0;
  const bool ok = ForEachEntry(fd, [&count](const char*) { ++count; });
  ::close(fd);
  if (!ok) return std::nullopt;
  return count;
}

std::vector<uint64_t> RealProcFs::SocketInodes(pid_t pid) {
  std::vector<uint64_t> out;
  const std::string path = Join(root_, std::to_string(pid) + "/fd");
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    NoteFailure();
    return out;
  }
  ForEachEntry(fd, [&](const char* name) {
    char target[64];
    ssize_t n = ::readlinkat(fd, name, target, sizeof target);
    if (n <= 0) return;
    auto inode = ParseSocketInode(std::string_view(target, static_cast<size_t>(n)));
    if (inode) out.push_back(*inode);
  });
  ::close(fd);
  return out;
}

std::optional<uint64_t> RealProcFs::CpuNanos(pid_t pid) {
  clockid_t clock;
  if (::clock_getcpuclockid(pid, &clock) != 0) return std::nullopt;
  timespec ts{};
  if (::clock_gettime(clock, &ts) != 0) return std::nullopt;
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000u + static_cast<uint64_t>(ts.tv_nsec);
}

std::optional<std::vector<FdLink>> RealProcFs::ReadFds(
    pid_t pid, const std::function<bool(int fd)>& read_link) {
  const std::string path = Join(root_, std::to_string(pid) + "/fd");
  int dir = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) {
    NoteFailure();
    return std::nullopt;
  }
  std::vector<FdLink> out;
  const bool ok = ForEachEntry(dir, [&](const char* name) {
    auto number = ToNumber<int>(name);
    if (!number) return;
    FdLink link{*number, false, 0};
    if (read_link(*number)) {
      char target[64];
      ssize_t n = ::readlinkat(dir, name, target, sizeof target);
      if (n <= 0) return;  // closed since the listing
      link.linked = true;
      link.socket_inode =
          ParseSocketInode(std::string_view(target, static_cast<size_t>(n))).value_or(0);
    }
    out.push_back(link);
  });
  ::close(dir);
  if (!ok) return std::nullopt;
  return out;
}

std::optional<uint64_t> RealProcFs::FdSocketInode(pid_t pid, int fd) {
  char path[64];
  std::snprintf(path, sizeof path, "/%d/fd/%d", static_cast<int>(pid), fd);
  char target[64];
  ssize_t n = ::readlink((root_ + path).c_str(), target, sizeof target);
  if (n <= 0) return std::nullopt;
  return ParseSocketInode(std::string_view(target, static_cast<size_t>(n))).value_or(0);
}

std::optional<pid_t> RealProcFs::LastPid() {
  auto text = ReadFile("loadavg");
  return text ? ParseLoadavgLastPid(*text) : std::nullopt;
}

std::optional<std::vector<TcpSocket>> RealProcFs::TcpSockets(uint32_t states) {
  auto sockets = DumpTcpSockets(states);
  if (!sockets.ok()) return std::nullopt;
  return std::move(*sockets);
}

std::optional<ProcStat> ParseProcStat(std::string_view text) {
  ProcStat stat;
  std::string_view head = text;
  auto pid = TakeNumber<pid_t>(head);
  size_t close = text.rfind(')');
  if (!pid || close == std::string_view::npos) return std::nullopt;
  stat.pid = *pid;
  // Fields after the comm, numbered as in proc(5): 3 state, 4 ppid,
  // 14 utime, 15 stime, 16 cutime, 17 cstime, 20 num_threads, 24 rss.
  std::vector<std::string_view> f = Fields(text.substr(close + 1));
  auto field = [&f](size_t number) { return f[number - 3]; };
  if (f.size() < 24 - 2) return std::nullopt;
  if (field(3).size() != 1) return std::nullopt;
  stat.state = field(3)[0];
  auto ppid = ToNumber<pid_t>(field(4));
  auto utime = ToNumber<uint64_t>(field(14));
  auto stime = ToNumber<uint64_t>(field(15));
  auto cutime = ToNumber<uint64_t>(field(16));
  auto cstime = ToNumber<uint64_t>(field(17));
  auto threads = ToNumber<int64_t>(field(20));
  auto rss = ToNumber<int64_t>(field(24));
  if (!ppid || !utime || !stime || !cutime || !cstime || !threads || !rss) return std::nullopt;
  stat.ppid = *ppid;
  stat.utime_ticks = *utime;
  stat.stime_ticks = *stime;
  stat.cutime_ticks = *cutime;
  stat.cstime_ticks = *cstime;
  stat.num_threads = *threads;
  stat.rss_pages = *rss > 0 ? static_cast<uint64_t>(*rss) : 0;
  return stat;
}

std::optional<ProcStatus> ParseProcStatus(std::string_view text) {
  ProcStatus status;
  bool have_threads = false;
  while (!text.empty()) {
    size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
    if (line.starts_with("Threads:")) {
      line.remove_prefix(8);
      auto threads = TakeNumber<int64_t>(line);
      if (!threads) return std::nullopt;
      status.threads = *threads;
      have_threads = true;
    } else if (line.starts_with("VmRSS:")) {
      line.remove_prefix(6);
      auto kb = TakeNumber<uint64_t>(line);
      if (!kb) return std::nullopt;
      status.rss_bytes = *kb * 1024;
    }
  }
  // VmRSS is absent for zombies and kernel threads: 0 bytes then.
  if (!have_threads) return std::nullopt;
  return status;
}

std::vector<TcpSocket> ParseNetTcp(std::string_view text) {
  std::vector<TcpSocket> out;
  bool header = true;
  while (!text.empty()) {
    size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
    if (header) {
      header = false;
      continue;
    }
    // "sl local rem st tx:rx tr:when retrnsmt uid timeout inode ..."
    std::vector<std::string_view> f = Fields(line);
    if (f.size() < 10 || !f[0].ends_with(':')) continue;
    auto state = ToNumber<int>(f[3], 16);
    auto inode = ToNumber<uint64_t>(f[9]);
    if (!state || !inode) continue;
    out.push_back(TcpSocket{*inode, *state});
  }
  return out;
}

std::optional<pid_t> ParseLoadavgLastPid(std::string_view text) {
  // "0.52 0.58 0.59 2/431 12345\n"
  std::vector<std::string_view> f = Fields(text.substr(0, text.find('\n')));
  if (f.size() != 5 || f[3].find('/') == std::string_view::npos) return std::nullopt;
  auto pid = ToNumber<pid_t>(f[4]);
  if (!pid || *pid < 0) return std::nullopt;
  return pid;
}

std::optional<ProcIds> ParseProcIds(std::string_view text) {
  std::optional<pid_t> tgid;
  std::optional<pid_t> ppid;
  while (!text.empty() && !(tgid && ppid)) {
    size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
    if (line.starts_with("Tgid:")) {
      line.remove_prefix(5);
      tgid = TakeNumber<pid_t>(line);
      if (!tgid) return std::nullopt;
    } else if (line.starts_with("PPid:")) {
      line.remove_prefix(5);
      ppid = TakeNumber<pid_t>(line);
      if (!ppid) return std::nullopt;
    }
  }
  if (!tgid || !ppid) return std::nullopt;
  return ProcIds{*tgid, *ppid};
}

std::optional<uint64_t> ParseSocketInode(std::string_view link_target) {
  constexpr std::string_view kPrefix = "socket:[";
  if (!link_target.starts_with(kPrefix) || !link_target.ends_with(']')) return std::nullopt;
  link_target.remove_prefix(kPrefix.size());
  link_target.remove_suffix(1);
  return ToNumber<uint64_t>(link_target);
}

std::optional<TreeSample> SampleProcessTree(ProcFs& fs, pid_t root, long ticks_per_second) {
  // One pass over every process's stat gives the parent links; the tree is
  // then walked from `root`. Per-thread files are never read: sampling a tree
  // of thousands of threads stays a handful of reads per process.
  std::unordered_map<pid_t, std::vector<pid_t>> children;
  std::unordered_map<pid_t, ProcStat> stats;
  for (const std::string& entry : fs.ListDir("")) {
    if (!IsPid(entry)) continue;
    auto text = fs.ReadFile(entry + "/stat");
    if (!text) continue;  // exited since the listing
    auto stat = ParseProcStat(*text);
    if (!stat) continue;
    children[stat->ppid].push_back(stat->pid);
    stats.emplace(stat->pid, *stat);
  }
  if (!stats.contains(root)) return std::nullopt;

  TreeSample sample;
  std::unordered_set<uint64_t> socket_inodes;
  std::deque<pid_t> queue{root};
  std::unordered_set<pid_t> seen{root};
  while (!queue.empty()) {
    pid_t pid = queue.front();
    queue.pop_front();
    for (pid_t child : children[pid]) {
      if (seen.insert(child).second) queue.push_back(child);
    }
    const std::string dir = std::to_string(pid);
    auto status_text = fs.ReadFile(dir + "/status");
    auto status = status_text ? ParseProcStatus(*status_text) : std::nullopt;
    if (!status) {
      if (pid == root) return std::nullopt;
      continue;  // vanished mid-walk: not part of this instant's tree
    }
    const ProcStat& stat = stats[pid];
    sample.processes += 1;
    sample.threads += status->threads;
    sample.rss_bytes += status->rss_bytes;
    if (ticks_per_second > 0) {
      sample.cpu_seconds +=
          static_cast<double>(stat.utime_ticks + stat.stime_ticks) / static_cast<double>(ticks_per_second);
    }
    for (const std::string& fd : fs.ListDir(dir + "/fd")) {
      sample.fds += 1;
      auto target = fs.ReadLink(dir + "/fd/" + fd);
      if (!target) continue;
      if (auto inode = ParseSocketInode(*target)) socket_inodes.insert(*inode);
    }
  }

  // The root's net/tcp{,6} is the table of its network namespace; only the
  // rows whose inode the tree holds are counted.
  if (!socket_inodes.empty()) {
    const std::string dir = std::to_string(root);
    for (const char* table : {"/net/tcp", "/net/tcp6"}) {
      auto text = fs.ReadFile(dir + table);
      if (!text) continue;
      for (const TcpSocket& socket : ParseNetTcp(*text)) {
        if (socket.inode == 0 || !socket_inodes.contains(socket.inode)) continue;
        switch (socket.state) {
          case 1: sample.tcp_established += 1; break;
          case 8: sample.tcp_close_wait += 1; break;
          case 10: sample.tcp_listen += 1; break;
          default: break;
        }
      }
    }
  }
  return sample;
}

}  // namespace faultline
