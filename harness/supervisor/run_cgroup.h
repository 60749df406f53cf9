// A cgroup (v2) that holds every marked process a run starts. A process
// cannot leave its cgroup by forking, by setsid or by rewriting its
// environment, so the end of a run finds in it what the process groups and
// the run mark miss: a daemon that wrote its process title over its
// environment (redis, nginx, PostgreSQL) or one started with `env -i`.
//
// It is made where the harness may make one: as root, or inside a cgroup
// subtree delegated to its user. Elsewhere the run has none and relies on
// process groups and the mark alone.
#pragma once

#include <sys/types.h>

#include <string>

namespace faultline {

class RunCgroup {
 public:
  /// Creates `faultline-<pid>-<n>` below the harness's own cgroup (first
  /// removing empty ones of harnesses that are gone). Returns one with
  /// available() false, and `why` saying why, where none can be made.
  static RunCgroup Create(std::string* why = nullptr);

  RunCgroup() = default;
  RunCgroup(RunCgroup&& other) noexcept;
  RunCgroup& operator=(RunCgroup&& other) noexcept;
  RunCgroup(const RunCgroup&) = delete;
  RunCgroup& operator=(const RunCgroup&) = delete;
  ~RunCgroup();  // closes procs_fd; RemoveCgroup removes the folder

  bool available() const { return path_[0] != '\0'; }
  const char* path() const { return path_; }
  /// Its cgroup.procs, open for writing (close-on-exec): a child writes "0"
  /// to it between fork and exec to move itself in. -1 when unavailable.
  int procs_fd() const { return procs_fd_; }

 private:
  char path_[512] = "";
  int procs_fd_ = -1;
};

/// SIGKILLs every process in the cgroup at `path` (cgroup.kill where the
/// kernel has it, else each pid in cgroup.procs, a few rounds). Returns how
/// many processes it held. Async-signal-safe: the watchdog uses it after
/// fork.
int KillCgroup(const char* path);

/// Waits up to `wait_ms` for the cgroup at `path` to be empty, then removes
/// it. Async-signal-safe. Returns whether it is gone.
bool RemoveCgroup(const char* path, long wait_ms);

/// Moves the calling process into the cgroup whose cgroup.procs is open as
/// `procs_fd` (nothing when -1). Async-signal-safe, for a child before exec.
void EnterCgroup(int procs_fd);

}  // namespace faultline
