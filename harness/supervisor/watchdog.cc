// The watchdog process: a fork of the harness that outlives it just long
// enough to kill the process groups the harness registered, what carries
// the run's mark, and what is in the run's cgroup.

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "harness/supervisor/supervisor.h"
#include "harness/supervisor/supervisor_impl.h"

namespace faultline {

void SleepMillis(long ms) {
  timespec ts{ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

namespace {

constexpr int kMaxGroups = 4096;

bool GroupGone(pid_t pgid) { return kill(-pgid, 0) != 0 && errno == ESRCH; }

// Runs in the forked child. Uses only syscalls and fixed-size storage: the
// harness may have had other threads' state (allocator locks) at fork time.
[[noreturn]] void WatchdogMain(int fd, const char* cgroup) {
  // Its own process group: a signal to the harness's group (Ctrl-C from the
  // terminal, a CI runner killing the job's group) leaves the watchdog alive
  // to clean up. It also ignores the usual termination signals; the harness
  // ends it by closing the socket, or with SIGKILL as a last resort.
  setpgid(0, 0);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGTTOU, SIGTTIN, SIGTSTP}) {
    signal(sig, SIG_IGN);
  }
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  // Hold nothing else open: an inherited pipe or socket kept alive by the
  // watchdog would hide EOF from whoever waits on it.
  if (fd < 3) fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);  // keep it clear of 0-2
  int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (devnull >= 0) {
    dup2(devnull, 0);
    dup2(devnull, 1);
  }
  if (fd > 3) close_range(3, static_cast<unsigned>(fd) - 1, 0);
  close_range(static_cast<unsigned>(fd) + 1, ~0U, 0);

  static pid_t groups[kMaxGroups];
  int count = 0;
  char buf[4096];
  char line[32];
  size_t line_len = 0;
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // EOF: the harness is gone (or closed us on purpose)
    for (ssize_t i = 0; i < n; ++i) {
      char c = buf[i];
      if (c != '\n') {
        if (line_len < sizeof line) line[line_len++] = c;
        continue;
      }
      // "+PGID" registers, "-PGID" forgets.
      pid_t pgid = 0;
      bool valid = line_len >= 2 && line_len < sizeof line && (line[0] == '+' || line[0] == '-');
      for (size_t j = 1; valid && j < line_len; ++j) {
        if (line[j] < '0' || line[j] > '9') valid = false;
        pgid = pgid * 10 + (line[j] - '0');
      }
      if (valid && pgid > 1) {
        if (line[0] == '+') {
          if (count < kMaxGroups) groups[count++] = pgid;
        } else {
          for (int k = 0; k < count; ++k) {
            if (groups[k] == pgid) {
              groups[k] = groups[--count];
              break;
            }
          }
        }
      }
      line_len = 0;
    }
  }
  close(fd);

  for (int k = 0; k < count; ++k) kill(-groups[k], SIGTERM);
  // Up to ~2 s for the groups to go, then SIGKILL what is left.
  for (int round = 0; round < 100 && count > 0; ++round) {
    for (int k = 0; k < count;) {
      if (GroupGone(groups[k])) {
        groups[k] = groups[--count];
      } else {
        ++k;
      }
    }
    if (count > 0) SleepMillis(20);
  }
  for (int k = 0; k < count; ++k) kill(-groups[k], SIGKILL);
  // Then whatever left the groups (setsid, a double fork) but still carries
  // the run's mark; a few rounds, in case one was forking as it was found.
  static char environ_buf[1 << 16];
  for (int round = 0; round < 5 && KillMarked(getpid(), environ_buf, sizeof environ_buf) > 0;
       ++round) {
    SleepMillis(10);
  }
  // And what no longer shows the mark (a process title written over it, an
  // `env -i`) but cannot leave the run's cgroup.
  KillCgroup(cgroup);
  RemoveCgroup(cgroup, 500);
  _exit(0);
}

void SendRecord(int fd, char sign, pid_t pgid) {
  char record[32];
  int len = snprintf(record, sizeof record, "%c%d\n", sign, static_cast<int>(pgid));
  // Records are far below PIPE_BUF-like sizes; a stream socket write of a few
  // bytes completes whole. MSG_NOSIGNAL: a dead watchdog must not SIGPIPE us.
  while (send(fd, record, static_cast<size_t>(len), MSG_NOSIGNAL) < 0 && errno == EINTR) {
  }
}

}  // namespace

StatusOr<std::unique_ptr<Watchdog>> Watchdog::Start() {
  std::string why;
  RunCgroup cgroup = RunCgroup::Create(&why);
  std::string containment = cgroup.available()
                                ? std::string("cgroup, process groups and run mark")
                                : "process groups and run mark (no cgroup: " + why + ")";
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
    const int err = errno;
    RemoveCgroup(cgroup.path(), 0);
    return Status::Unavailable(std::string("start watchdog: socketpair: ") + strerror(err));
  }
  pid_t pid = fork();
  if (pid < 0) {
    int err = errno;
    close(fds[0]);
    close(fds[1]);
    RemoveCgroup(cgroup.path(), 0);
    return Status::Unavailable(std::string("start watchdog: fork: ") + strerror(err));
  }
  if (pid == 0) {
    close(fds[1]);
    WatchdogMain(fds[0], cgroup.path());
  }
  close(fds[0]);
  return std::unique_ptr<Watchdog>(
      new Watchdog(pid, fds[1], std::move(cgroup), std::move(containment)));
}

Watchdog::~Watchdog() {
  close(fd_);
  // The watchdog gives registered groups up to ~2 s; allow a little more,
  // then make sure it is gone.
  for (int round = 0; round < 150; ++round) {
    pid_t r = waitpid(pid_, nullptr, WNOHANG);
    if (r == pid_ || (r < 0 && errno != EINTR)) return;
    SleepMillis(20);
  }
  kill(pid_, SIGKILL);
  while (waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
  }
}

void Watchdog::Register(pid_t pgid) { SendRecord(fd_, '+', pgid); }

void Watchdog::Unregister(pid_t pgid) { SendRecord(fd_, '-', pgid); }

}  // namespace faultline
