// Internal to the supervisor: a started child, a readiness wait, and
// Supervisor::Impl, shared by its three jobs: spawn.cc (starting a child),
// readiness.cc (probes and WaitReady) and supervisor.cc (exits and stopping).
#pragma once

#include <sys/types.h>

#include <functional>
#include <list>
#include <memory>
#include <string>
#include <vector>

#include "harness/common/clock.h"
#include "harness/supervisor/supervisor.h"

namespace faultline {

/// Sleeps `ms` milliseconds, resuming after signals. Async-signal-safe
/// (nanosleep only), so the watchdog may use it after fork.
void SleepMillis(long ms);

/// The environment variable that marks every process a run starts:
/// FAULTLINE_RUN=<the watchdog's pid>, unique while the run lasts.
inline constexpr char kRunMarkVar[] = "FAULTLINE_RUN";

/// SIGKILLs every process (but this one and `mark` itself) whose environment
/// holds FAULTLINE_RUN=<mark>: the descendants that left their process group
/// (setsid, a daemonizing double fork). `buf` is where environments are
/// read through, in pieces of its size. Uses only system calls and the
/// caller's buffer, so the watchdog may call it after fork. Returns how many
/// it signalled.
int KillMarked(pid_t mark, char* buf, size_t size);

struct Child {
  Child(asio::io_context& io, ChildSpec s) : spec(std::move(s)), kill_timer(io) {}
  ChildSpec spec;
  pid_t pid = 0;  // also the process group id
  std::unique_ptr<asio::posix::stream_descriptor> pidfd;
  asio::steady_timer kill_timer;
  bool exited = false;
  bool stopping = false;
  ExitInfo exit;
  std::vector<std::function<void()>> stop_done;
  std::vector<std::function<void()>> exit_listeners;
};

struct ReadyWait {
  explicit ReadyWait(asio::io_context& io) : poll(io), deadline(io) {}
  std::string name;
  Supervisor::Probe probe;
  std::string probe_description;
  std::shared_ptr<std::string> last_seen;  // what the probe's last attempt got, if it says
  std::function<std::string()> explain;    // Supervisor::WaitReady's
  Duration timeout{};
  std::function<void(Status)> done;
  asio::steady_timer poll;
  asio::steady_timer deadline;
  bool finished = false;
};

class Supervisor::Impl {
 public:
  Impl(asio::io_context& io, Watchdog* watchdog) : io_(io), watchdog_(watchdog), clock_(io) {}
  ~Impl();

  asio::io_context& io_;
  Watchdog* watchdog_;
  AsioClock clock_;  // for the HTTP probe's client
  std::function<void(const ExitInfo&)> on_unexpected_;
  std::vector<std::shared_ptr<Child>> children_;  // start order
  std::list<std::shared_ptr<ReadyWait>> waits_;
  // Probes outlive nothing they point to: they check this before using `this`.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);

  std::shared_ptr<Child> Find(const std::string& name) const {
    for (auto it = children_.rbegin(); it != children_.rend(); ++it) {
      if ((*it)->spec.name == name) return *it;
    }
    return nullptr;
  }

  // supervisor.cc: exits and stopping.
  void ArmExitWait(const std::shared_ptr<Child>& child);
  void OnPidfdReadable(const std::shared_ptr<Child>& child);
  void HandleExit(const std::shared_ptr<Child>& child, const ExitInfo& info);
  void StopChild(const std::shared_ptr<Child>& child, std::function<void()> done);
  std::string LogTail(const std::string& path, size_t lines) const;
  std::string LogContext(const Child& child) const;

  // readiness.cc: polling a probe until ready, exited or timed out.
  void FinishWait(const std::shared_ptr<ReadyWait>& w, Status status);
  void Attempt(const std::shared_ptr<ReadyWait>& w);
};

}  // namespace faultline
