// For the supervisor's tests: temporary log folders, child specs, and loops
// and polls with deadlines.
#pragma once


#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <optional>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <doctest/doctest.h>

#include "harness/common/ports.h"
#include "harness/common/test_http_server.h"  // RunUntil, FreePort
#include "harness/supervisor/supervisor.h"

namespace faultline::testing {

using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

// A fresh directory for logs, removed at the end of the test.
struct TempDir {
  TempDir() {
    char tmpl[] = "/tmp/faultline-supervisor-XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string File(const std::string& name) const { return path + "/" + name; }
  std::string path;
};

// A log directory, a loop and a Supervisor on it, for TEST_CASE_FIXTURE.
struct SupervisorRig {
  TempDir dir;
  asio::io_context io;
  Supervisor sup{io, nullptr};
};

inline std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline ChildSpec Spec(const TempDir& dir, const std::string& name, std::vector<std::string> argv) {
  ChildSpec spec;
  spec.name = name;
  spec.argv = std::move(argv);
  spec.log_path = dir.File(name + ".log");
  return spec;
}

inline ChildSpec Shell(const TempDir& dir, const std::string& name, const std::string& script) {
  return Spec(dir, name, {"/bin/sh", "-c", script});
}

// True once `pid` no longer exists or is a zombie (reaping it if it is ours,
// e.g. an orphan reparented to this subreaper process).
inline bool Gone(pid_t pid) {
  waitpid(pid, nullptr, WNOHANG);
  if (kill(pid, 0) != 0 && errno == ESRCH) return true;
  std::string stat = ReadAll("/proc/" + std::to_string(pid) + "/stat");
  size_t paren = stat.rfind(')');
  return paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] == 'Z';
}

// Whether `holds` comes true within `limit`, polling it.
inline bool WaitFor(const std::function<bool()>& holds, Duration limit = 5s) {
  auto deadline = SteadyClock::now() + limit;
  while (!holds()) {
    if (SteadyClock::now() >= deadline) return false;
    usleep(10000);  // polling a condition with a deadline
  }
  return true;
}

inline bool WaitGone(pid_t pid, Duration limit = 5s) {
  return WaitFor([pid] { return Gone(pid); }, limit);
}

// Kills (by pid) whatever a failed test left behind.
struct KillOnExit {
  std::vector<pid_t> pids;
  ~KillOnExit() {
    for (pid_t pid : pids) {
      if (pid > 0) {
        kill(pid, SIGKILL);
        waitpid(pid, nullptr, 0);
      }
    }
  }
};

// Reads "key value" from a log once the line is there.
inline pid_t PidFromLog(const std::string& path, const std::string& key) {
  std::istringstream in(ReadAll(path));
  std::string word;
  while (in >> word) {
    if (word == key && in >> word) return static_cast<pid_t>(std::stol(word));
  }
  return 0;
}

// Waits for `name` to be ready with `probe`, running the loop; the verdict.
inline Status AwaitReady(asio::io_context& io, Supervisor& sup, const std::string& name,
                         Supervisor::Probe probe, Duration timeout) {
  std::optional<Status> ready;
  sup.WaitReady(name, std::move(probe), timeout, [&](Status s) { ready = s; });
  REQUIRE(RunUntil(io, [&] { return ready.has_value(); }));
  return *ready;
}

}  // namespace faultline::testing
