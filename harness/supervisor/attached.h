// AttachedProcess: watches a process faultline did not start (an attached
// target) for its exit, through a pidfd on the io_context, as the
// Supervisor watches its children.
//
// It never signals, stops or reaps the process, and never registers it with
// the Watchdog: the process is left exactly as it was found, whatever
// happens to faultline (an interrupt, a crash, SIGKILL). Its exit status
// belongs to its own parent, so the ExitInfo it reports has `attached` set
// and no code.
//
// Single-threaded: create and destroy it on the io_context's thread.
// `exited` runs at most once, from a handler, never after destruction.
#pragma once

#include <sys/types.h>

#include <functional>
#include <memory>
#include <string>

#include "harness/common/asio.h"
#include "harness/common/status.h"
#include "harness/supervisor/supervisor.h"

namespace faultline {

class AttachedProcess {
 public:
  /// Starts watching `pid` under `name`. Unavailable naming the pid when it
  /// cannot be watched (it is gone already, or pidfd_open fails).
  static StatusOr<std::unique_ptr<AttachedProcess>> Watch(
      asio::io_context& io, const std::string& name, pid_t pid,
      std::function<void(const ExitInfo&)> exited);
  ~AttachedProcess();  // stops watching; the process is untouched
  AttachedProcess(const AttachedProcess&) = delete;
  AttachedProcess& operator=(const AttachedProcess&) = delete;

  pid_t pid() const { return pid_; }
  bool exited() const { return exited_; }

 private:
  AttachedProcess(asio::io_context& io, std::string name, pid_t pid, int pidfd,
                  std::function<void(const ExitInfo&)> exited);
  void Arm();

  std::string name_;
  pid_t pid_;
  asio::posix::stream_descriptor pidfd_;
  std::function<void(const ExitInfo&)> on_exit_;
  bool exited_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace faultline
