// Running the built faultline binary from a test: output captured, a hard
// deadline, and a way to find and account for every process it leaves.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <set>
#include <string>
#include <vector>

namespace faultline::testing {

struct ProcessRun {
  int exit_code = -1;       // when it exited
  int signal = 0;           // when a signal ended it
  bool timed_out = false;   // killed by RunProcess after the deadline
  std::string out, err;
};

/// Runs argv (argv[0] a path) with stdout/stderr captured. `on_output` is
/// called with the stderr seen so far each time more arrives, and with the
/// pid; it may send signals. The child is SIGKILLed at `deadline`.
ProcessRun RunProcess(const std::vector<std::string>& argv, std::chrono::seconds deadline,
                      const std::function<void(pid_t pid, const std::string& err)>& on_output = {});

/// Makes this process the reaper of orphaned descendants, so processes a
/// killed faultline leaves behind are re-parented here and can be found.
void BecomeSubreaper();

/// Pids of every live (non-zombie) descendant of `root`, from /proc.
std::set<pid_t> Descendants(pid_t root);

/// Waits (at most `deadline`) until none of `pids` is alive, reaping any
/// that became our children; returns those still alive then.
std::set<pid_t> WaitGone(const std::set<pid_t>& pids, std::chrono::seconds deadline);

/// A fresh empty directory under /tmp, removed by the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
 private:
  std::string path_;
};

std::string ReadFile(const std::string& path);

/// A process the test starts itself, as a user's already-running service
/// would be (fork and exec of argv, argv[0] a path; not under faultline).
/// port() is the port its first line of stdout names ("... 127.0.0.1:PORT
/// ..."), 0 when none; later output goes to a closed pipe. The destructor
/// (or End) sends SIGTERM and reaps it.
class UserProcess {
 public:
  explicit UserProcess(std::vector<std::string> argv);
  ~UserProcess() { End(); }
  UserProcess(const UserProcess&) = delete;
  UserProcess& operator=(const UserProcess&) = delete;
  pid_t pid() const { return pid_; }
  int port() const { return port_; }
  bool alive() const;
  void End();

 private:
  pid_t pid_ = -1;
  int port_ = 0;
};

}  // namespace faultline::testing
