#include "harness/supervisor/run_cgroup.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>

#include "harness/supervisor/supervisor_impl.h"

namespace faultline {

namespace {

constexpr char kPrefix[] = "faultline-";

// Where the cgroup2 hierarchy is mounted ("/sys/fs/cgroup", or
// "/sys/fs/cgroup/unified" on a hybrid host), or "" if it is not.
std::string Cgroup2Mount() {
  std::ifstream in("/proc/self/mountinfo");
  for (std::string line; std::getline(in, line);) {
    // "36 25 0:30 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw"
    const size_t dash = line.find(" - ");
    if (dash == std::string::npos || line.compare(dash + 3, 8, "cgroup2 ") != 0) continue;
    std::istringstream fields(line.substr(0, dash));
    std::string id, parent, device, root, mount;
    fields >> id >> parent >> device >> root >> mount;
    // A mount of a part of the tree, or one whose path needed escapes
    // (\040 for a space), would need more than joining paths.
    if (root == "/" && mount.find('\\') == std::string::npos) return mount;
  }
  return "";
}

// The harness's own cgroup in that hierarchy ("/" or "/user.slice/..."),
// or "" if /proc/self/cgroup has no cgroup2 line.
std::string OwnCgroup() {
  std::ifstream in("/proc/self/cgroup");
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("0::/")) return line.substr(3);
  }
  return "";
}

// Removes the empty cgroups left by harnesses that died with their
// watchdog (both SIGKILLed at once). One still holding processes stays:
// they are not this run's to end.
void RemoveStale(const std::string& dir) {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return;
  while (const dirent* e = readdir(d)) {
    const char* name = e->d_name;
    if (strncmp(name, kPrefix, sizeof kPrefix - 1) != 0) continue;
    char* end = nullptr;
    const long owner = strtol(name + sizeof kPrefix - 1, &end, 10);
    if (owner <= 0 || end == nullptr || *end != '-') continue;
    if (kill(static_cast<pid_t>(owner), 0) == 0 || errno != ESRCH) continue;
    rmdir((dir + "/" + name).c_str());
  }
  closedir(d);
}

// The pids in the cgroup's cgroup.procs, at most `max` of them.
int ReadProcs(const char* path, pid_t* pids, int max) {
  char file[600];
  snprintf(file, sizeof file, "%s/cgroup.procs", path);
  const int fd = open(file, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  int count = 0;
  long pid = 0;
  bool digits = false;
  char buf[4096];
  for (;;) {
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    for (ssize_t i = 0; i < n; ++i) {
      if (buf[i] >= '0' && buf[i] <= '9') {
        pid = pid * 10 + (buf[i] - '0');
        digits = true;
      } else {
        if (digits && count < max) pids[count++] = static_cast<pid_t>(pid);
        pid = 0;
        digits = false;
      }
    }
  }
  if (digits && count < max) pids[count++] = static_cast<pid_t>(pid);
  close(fd);
  return count;
}

}  // namespace

RunCgroup RunCgroup::Create(std::string* why) {
  auto fail = [&](const std::string& reason) {
    if (why != nullptr) *why = reason;
    return RunCgroup();
  };
  const std::string mount = Cgroup2Mount();
  if (mount.empty()) return fail("no cgroup2 hierarchy is mounted");
  const std::string own = OwnCgroup();
  if (own.empty()) return fail("/proc/self/cgroup names no cgroup2 cgroup");
  const std::string dir = own == "/" ? mount : mount + own;
  RemoveStale(dir);
  static std::atomic<int> made{0};
  const std::string path = dir + "/" + kPrefix + std::to_string(getpid()) + "-" +
                           std::to_string(made.fetch_add(1));
  RunCgroup cgroup;
  if (path.size() >= sizeof cgroup.path_) return fail("the path is too long: " + dir);
  if (mkdir(path.c_str(), 0755) != 0) {
    return fail("cannot create one in " + dir + ": " + strerror(errno));
  }
  cgroup.procs_fd_ = open((path + "/cgroup.procs").c_str(), O_WRONLY | O_CLOEXEC);
  if (cgroup.procs_fd_ < 0) {
    const int err = errno;
    rmdir(path.c_str());
    return fail("cannot open the cgroup.procs of one in " + dir + ": " + strerror(err));
  }
  memcpy(cgroup.path_, path.c_str(), path.size() + 1);
  return cgroup;
}

RunCgroup::RunCgroup(RunCgroup&& other) noexcept { *this = std::move(other); }

RunCgroup& RunCgroup::operator=(RunCgroup&& other) noexcept {
  if (this != &other) {
    if (procs_fd_ >= 0) close(procs_fd_);
    memcpy(path_, other.path_, sizeof path_);
    procs_fd_ = std::exchange(other.procs_fd_, -1);
    other.path_[0] = '\0';
  }
  return *this;
}

RunCgroup::~RunCgroup() {
  if (procs_fd_ >= 0) close(procs_fd_);
}

int KillCgroup(const char* path) {
  if (path == nullptr || path[0] == '\0') return 0;
  static pid_t pids[4096];
  const pid_t self = getpid();
  int held = ReadProcs(path, pids, 4096);
  const int initially = held;
  if (held == 0) return 0;
  char file[600];
  snprintf(file, sizeof file, "%s/cgroup.kill", path);
  const int fd = open(file, O_WRONLY | O_CLOEXEC);
  if (fd >= 0) {  // Linux 5.14 and later: one write, forks included
    const bool done = write(fd, "1", 1) == 1;
    close(fd);
    if (done) return initially;
  }
  // Older kernels: each process, again while some fork as they are killed.
  for (int round = 0; round < 5 && held > 0; ++round) {
    for (int i = 0; i < held; ++i) {
      if (pids[i] != self) kill(pids[i], SIGKILL);
    }
    SleepMillis(10);
    held = ReadProcs(path, pids, 4096);
  }
  return initially;
}

bool RemoveCgroup(const char* path, long wait_ms) {
  if (path == nullptr || path[0] == '\0') return true;
  for (long waited = 0;; waited += 10) {
    if (rmdir(path) == 0 || errno == ENOENT) return true;
    if (errno != EBUSY || waited >= wait_ms) return false;
    SleepMillis(10);  // its processes are still exiting
  }
}

void EnterCgroup(int procs_fd) {
  if (procs_fd < 0) return;
  // Failure leaves the child where it was: it still has its group and mark.
  while (write(procs_fd, "0", 1) < 0 && errno == EINTR) {
  }
}

}  // namespace faultline
