// Finding every process a run started, also those that left its process
// groups: each child's environment carries FAULTLINE_RUN=<watchdog pid>, and
// environments are inherited by default, through setsid and double forks.

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "harness/supervisor/supervisor_impl.h"

namespace faultline {

namespace {

// Whether the NUL-separated environment read from `fd` holds `entry`
// exactly, reading it through buf[0, size) however long it is.
bool HasEntry(int fd, char* buf, size_t size, const char* entry, size_t entry_len) {
  size_t pos = 0;    // bytes of the current entry so far
  bool same = true;  // the current entry is `entry` so far
  for (;;) {
    const ssize_t r = read(fd, buf, size);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    for (ssize_t i = 0; i < r; ++i) {
      if (buf[i] == '\0') {
        if (same && pos == entry_len) return true;
        pos = 0;
        same = true;
        continue;
      }
      same = same && pos < entry_len && buf[i] == entry[pos];
      ++pos;
    }
  }
  return same && pos == entry_len;  // a last entry without its NUL
}

}  // namespace

int KillMarked(pid_t mark, char* buf, size_t size) {
  char entry[48];
  const int entry_len = snprintf(entry, sizeof entry, "%s=%d", kRunMarkVar, static_cast<int>(mark));
  const int dir = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return 0;
  const pid_t self = getpid();
  int killed = 0;
  char dents[8192];
  for (;;) {
    const long n = syscall(SYS_getdents64, dir, dents, sizeof dents);
    if (n <= 0) break;
    for (long off = 0; off < n;) {
      const auto* d = reinterpret_cast<const struct dirent64*>(dents + off);
      off += d->d_reclen;
      pid_t pid = 0;
      bool digits = d->d_name[0] != '\0';
      for (const char* c = d->d_name; digits && *c != '\0'; ++c) {
        if (*c < '0' || *c > '9') digits = false;
        pid = pid * 10 + (*c - '0');
      }
      if (!digits || pid <= 1 || pid == self || pid == mark) continue;
      char path[64];
      snprintf(path, sizeof path, "/proc/%d/environ", static_cast<int>(pid));
      const int fd = open(path, O_RDONLY | O_CLOEXEC);
      if (fd < 0) continue;  // gone, or not ours to read
      const bool marked = HasEntry(fd, buf, size, entry, static_cast<size_t>(entry_len));
      close(fd);
      if (marked && kill(pid, SIGKILL) == 0) ++killed;
    }
  }
  close(dir);
  return killed;
}

}  // namespace faultline
