// Supervisor: starts the run's child processes and guarantees none outlives
// the harness.
//
// Each child is started from an argv array (execvp, no shell) in its own
// process group, with stdout and stderr appended to one log file, and with
// PR_SET_PDEATHSIG(SIGKILL). A Watchdog process (started first, before any
// thread exists) holds the read end of a pipe and the list of process groups;
// when the harness dies in any way, even SIGKILL, the pipe closes and the
// watchdog kills every registered group. Exit of a child is observed through
// a pidfd on the io_context, so an unexpected exit is noticed at once.
//
// Single-threaded: call every method from the io_context's thread.
#pragma once

#include <sys/types.h>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "harness/common/asio.h"
#include "harness/common/status.h"
#include "harness/common/units.h"
#include "harness/supervisor/run_cgroup.h"

namespace faultline {

/// Kills registered process groups when the harness goes away. Start() forks
/// the watchdog process; call it at the very start of main, before threads.
class Watchdog {
 public:
  /// Forks the watchdog. Unavailable if fork/pipe fail.
  static StatusOr<std::unique_ptr<Watchdog>> Start();
  ~Watchdog();  // closes the pipe: the watchdog kills what is left and exits; reaps it
  /// Tells the watchdog about a process group to kill if the harness dies.
  void Register(pid_t pgid);
  /// The group has been stopped and reaped; the watchdog forgets it.
  void Unregister(pid_t pgid);
  pid_t pid() const { return pid_; }
  /// The run's cgroup, which every marked child enters before exec; the
  /// watchdog empties and removes it when the harness goes. Unavailable
  /// where none could be made (`containment()` says why).
  const RunCgroup& cgroup() const { return cgroup_; }
  /// How the run's processes are contained, for results.json: "cgroup,
  /// process groups and run mark", or "process groups and run mark (no
  /// cgroup: WHY)".
  const std::string& containment() const { return containment_; }

 private:
  Watchdog(pid_t pid, int fd, RunCgroup cgroup, std::string containment)
      : pid_(pid), fd_(fd), cgroup_(std::move(cgroup)), containment_(std::move(containment)) {}
  pid_t pid_;
  int fd_;
  RunCgroup cgroup_;
  std::string containment_;
};

/// What to run. The strings are already expanded (no ${...} left).
struct ChildSpec {
  std::string name;
  std::vector<std::string> argv;
  std::map<std::string, std::string> env;  // added to the harness's environment
  std::string log_path;                    // stdout+stderr go here (created/truncated)
  Duration stop_grace = std::chrono::seconds(3);
  /// Carries the run's mark (FAULTLINE_RUN), so that its descendants that
  /// leave its group are found and ended with the run. Off for a command
  /// whose leftovers in their own session are the user's (a variant hook
  /// that restarts a service).
  bool marked = true;
};

/// How a child ended.
struct ExitInfo {
  std::string name;
  pid_t pid = 0;
  bool signaled = false;
  int code = 0;            // exit code, or the signal number when signaled
  std::string Describe() const;  // "exited with code 1" / "killed by signal 9 (SIGKILL)"
  bool attached = false;   // not faultline's child (AttachedProcess): code and signal unknown
};

class Supervisor {
 public:
  Supervisor(asio::io_context& io, Watchdog* watchdog);
  ~Supervisor();  // kills (SIGKILL) and reaps whatever is still running
  Supervisor(const Supervisor&) = delete;
  Supervisor& operator=(const Supervisor&) = delete;

  /// Called once per child that exits while not being stopped by Stop/StopAll.
  void OnUnexpectedExit(std::function<void(const ExitInfo&)> handler);

  /// Starts a child. Unavailable (naming the child, the program and errno)
  /// when the program cannot be found or executed; a failed exec is reported
  /// here, not as an exit, because the error travels back over a CLOEXEC pipe.
  StatusOr<pid_t> Start(const ChildSpec& spec);

  /// Polls readiness every 50 ms until `probe` (called on the io thread)
  /// returns true, the child exits, or `timeout` passes. `probe` receives a
  /// callback to call with the result of one attempt, so it may be async.
  /// done(Ok) when ready; Unavailable with the reason and the log tail otherwise.
  /// `explain`, when given, is asked on a timeout (the child still running)
  /// why the probe may never succeed: what it says follows the probe's own
  /// result in the message.
  using Probe = std::function<void(std::function<void(bool ready)>)>;
  void WaitReady(const std::string& name, Probe probe, Duration timeout,
                 std::function<void(Status)> done, std::function<std::string()> explain = {});

  /// Ready-made probes.
  Probe TcpProbe(uint16_t port);                               // connect to 127.0.0.1:port
  Probe HttpProbe(uint16_t port, std::string path, int status);  // GET, compare status
  Probe LogProbe(const std::string& name, std::string needle);   // a log line contains needle

  /// SIGTERM to the child's process group, SIGKILL after its stop_grace;
  /// done() once the child is reaped. Already exited: done() at once.
  void Stop(const std::string& name, std::function<void()> done);
  /// Stops every child, in reverse start order; done() when all are reaped.
  void StopAll(std::function<void()> done);

  std::optional<pid_t> pid(const std::string& name) const;
  bool running(const std::string& name) const;
  /// Last `lines` lines of the child's log file.
  std::string LogTail(const std::string& name, size_t lines = 20) const;
  std::string log_path(const std::string& name) const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace faultline
