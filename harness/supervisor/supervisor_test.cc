// Starting children, noticing their exits, stopping them, their logs.
#include "harness/supervisor/supervisor.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include "harness/supervisor/supervisor_test_support.h"

namespace faultline {
namespace {

using namespace std::chrono_literals;
using namespace faultline::testing;

TEST_CASE_FIXTURE(SupervisorRig, "Start reports a program that cannot be executed") {
  auto pid = sup.Start(Spec(dir, "inventory", {"faultline-no-such-program"}));
  REQUIRE_FALSE(pid.ok());
  CHECK(pid.status().code() == Status::Code::kUnavailable);
  CHECK(pid.status().message() ==
        "start \"inventory\": cannot execute \"faultline-no-such-program\": No such file or directory");
  CHECK_FALSE(sup.running("inventory"));

  auto denied = sup.Start(Spec(dir, "inventory", {dir.path}));  // a directory
  REQUIRE_FALSE(denied.ok());
  CHECK(denied.status().message() ==
        "start \"inventory\": cannot execute \"" + dir.path + "\": Permission denied");

  auto no_log = sup.Start(Spec(dir, "x", {"sleep", "1"}));
  ChildSpec bad_log = Spec(dir, "x", {"sleep", "1"});
  bad_log.log_path = dir.File("missing/x.log");
  auto log_failure = sup.Start(bad_log);
  REQUIRE(no_log.ok());
  REQUIRE_FALSE(log_failure.ok());  // "x" is running: refused before the log is opened
  CHECK(log_failure.status().message() == "start \"x\": already running (pid " +
                                               std::to_string(*no_log) + ")");
  bad_log.name = "y";
  log_failure = sup.Start(bad_log);
  REQUIRE_FALSE(log_failure.ok());
  CHECK(log_failure.status().message() == "start \"y\": cannot open log file \"" +
                                               bad_log.log_path + "\": No such file or directory");
}

TEST_CASE_FIXTURE(SupervisorRig, "An unexpected exit is noticed at once with its code and log") {
  std::vector<ExitInfo> exits;
  sup.OnUnexpectedExit([&](const ExitInfo& info) { exits.push_back(info); });
  auto start = SteadyClock::now();
  auto pid = sup.Start(Shell(dir, "inventory", "echo 'fatal: bad config' >&2; exit 3"));
  REQUIRE(pid.ok());
  REQUIRE(RunUntil(io, [&] { return !exits.empty(); }));
  CHECK(SteadyClock::now() - start < 1s);
  CHECK(exits[0].name == "inventory");
  CHECK(exits[0].pid == *pid);
  CHECK_FALSE(exits[0].signaled);
  CHECK(exits[0].code == 3);
  CHECK(exits[0].Describe() == "exited with code 3");
  CHECK(sup.LogTail("inventory") == "fatal: bad config");
  CHECK_FALSE(sup.running("inventory"));
  CHECK_FALSE(sup.pid("inventory"));
  // Once per exit: nothing more arrives.
  io.run_for(100ms);
  CHECK(exits.size() == 1);
}

TEST_CASE_FIXTURE(SupervisorRig, "A child killed by a signal is described with the signal's name") {
  std::optional<ExitInfo> exit;
  sup.OnUnexpectedExit([&](const ExitInfo& info) { exit = info; });
  auto pid = sup.Start(Spec(dir, "target", {"sleep", "30"}));
  REQUIRE(pid.ok());
  REQUIRE(kill(*pid, SIGKILL) == 0);
  REQUIRE(RunUntil(io, [&] { return exit.has_value(); }));
  CHECK(exit->signaled);
  CHECK(exit->code == SIGKILL);
  CHECK(exit->Describe() == "killed by signal 9 (SIGKILL)");
}

TEST_CASE_FIXTURE(SupervisorRig, "Stop escalates to SIGKILL after the grace period for the whole group") {
  bool unexpected = false;
  sup.OnUnexpectedExit([&](const ExitInfo&) { unexpected = true; });
  ChildSpec spec = Shell(dir, "stubborn", "trap '' TERM; sleep 300 & echo grandchild $!; wait");
  spec.stop_grace = 300ms;
  REQUIRE(sup.Start(spec).ok());
  std::optional<Status> ready = AwaitReady(io, sup, "stubborn", sup.LogProbe("stubborn", "grandchild"), 5s);
  REQUIRE(ready->ok());
  pid_t grandchild = PidFromLog(spec.log_path, "grandchild");
  REQUIRE(grandchild > 0);
  KillOnExit cleanup{{grandchild}};

  bool stopped = false;
  auto start = SteadyClock::now();
  sup.Stop("stubborn", [&] { stopped = true; });
  REQUIRE(RunUntil(io, [&] { return stopped; }));
  auto took = SteadyClock::now() - start;
  CHECK(took >= 300ms);  // SIGTERM was ignored
  CHECK(took < 2s);
  CHECK_FALSE(unexpected);
  CHECK_FALSE(sup.running("stubborn"));
  CHECK(WaitGone(grandchild));
}

TEST_CASE_FIXTURE(SupervisorRig, "StopAll stops children in reverse start order") {
  const std::string order = dir.File("order");
  for (const std::string name : {"dependency", "target"}) {
    REQUIRE(sup.Start(Shell(dir, name, "trap 'echo " + name + " >> " + order +
                                           "; exit 0' TERM; sleep 300 & echo up; wait")).ok());
  }
  for (const std::string name : {"dependency", "target"}) {
    REQUIRE(AwaitReady(io, sup, name, sup.LogProbe(name, "up"), 5s).ok());
  }
  bool stopped = false;
  sup.StopAll([&] { stopped = true; });
  REQUIRE(RunUntil(io, [&] { return stopped; }));
  CHECK_FALSE(sup.running("dependency"));
  CHECK_FALSE(sup.running("target"));
  CHECK(ReadAll(order) == "target\ndependency\n");

  // Stopping what has already exited completes at once.
  bool again = false;
  sup.Stop("target", [&] { again = true; });
  REQUIRE(RunUntil(io, [&] { return again; }, 1s));
}

TEST_CASE_FIXTURE(SupervisorRig, "The log captures stdout and stderr with the extended environment and an empty stdin") {
  std::optional<ExitInfo> exit;
  sup.OnUnexpectedExit([&](const ExitInfo& info) { exit = info; });
  ChildSpec spec = Shell(dir, "target", "echo out; echo err >&2; echo \"mode=$FAULTLINE_MODE\"; cat; echo end");
  spec.env["FAULTLINE_MODE"] = "propagate";
  REQUIRE(sup.Start(spec).ok());
  REQUIRE(RunUntil(io, [&] { return exit.has_value(); }));
  CHECK(exit->code == 0);
  CHECK(ReadAll(spec.log_path) == "out\nerr\nmode=propagate\nend\n");
  CHECK(sup.log_path("target") == spec.log_path);
  CHECK(sup.LogTail("target", 2) == "mode=propagate\nend");
}

TEST_CASE_FIXTURE(SupervisorRig, "A log tail is safe to print: escapes written out and long lines cut") {
  std::optional<ExitInfo> exit;
  sup.OnUnexpectedExit([&](const ExitInfo& info) { exit = info; });
  // A title change and a screen clear; then 30 KB on one line.
  ChildSpec spec = Shell(dir, "target",
                         "printf '\\033]0;PWNED\\007\\033[2Jred\\n'; "
                         "head -c 30000 /dev/zero | tr '\\0' x; exit 2");
  REQUIRE(sup.Start(spec).ok());
  REQUIRE(RunUntil(io, [&] { return exit.has_value(); }));
  const std::string tail = sup.LogTail("target", 2);
  CHECK(tail.find('\x1b') == std::string::npos);
  CHECK(tail.find('\x07') == std::string::npos);
  CHECK(tail.starts_with("\\x1b]0;PWNED\\x07\\x1b[2Jred\n"));
  CHECK(tail.size() < 600);  // the 30 KB line cut to its start and end
  CHECK(tail.find("xxxx") != std::string::npos);
  // A log whose last 64 KiB hold no line end is a long line, not "empty".
  ChildSpec long_line = Shell(dir, "one-line", "head -c 200000 /dev/zero | tr '\\0' y; exit 2");
  exit.reset();
  REQUIRE(sup.Start(long_line).ok());
  REQUIRE(RunUntil(io, [&] { return exit.has_value(); }));
  CHECK(sup.LogTail("one-line").find("yyyy") != std::string::npos);
}

// Issue 16 point 3, as docs/scenarios.md states it: a child starts in the
// harness's own working directory (not the log's, not the scenario's) with
// the harness's environment plus its `env`, which wins on a clash.
TEST_CASE_FIXTURE(
    SupervisorRig,
    "A child starts in the harness's working directory with its environment plus env") {
  ::setenv("FAULTLINE_TEST_INHERITED", "from-harness", 1);
  ::setenv("FAULTLINE_TEST_CLASH", "harness", 1);
  std::optional<ExitInfo> exit;
  sup.OnUnexpectedExit([&](const ExitInfo& info) { exit = info; });
  ChildSpec spec =
      Shell(dir, "target", "pwd; echo \"$FAULTLINE_TEST_INHERITED $FAULTLINE_TEST_CLASH\"");
  spec.env["FAULTLINE_TEST_CLASH"] = "spec";
  REQUIRE(sup.Start(spec).ok());
  REQUIRE(RunUntil(io, [&] { return exit.has_value(); }));
  ::unsetenv("FAULTLINE_TEST_INHERITED");
  ::unsetenv("FAULTLINE_TEST_CLASH");
  char cwd[4096];
  REQUIRE(::getcwd(cwd, sizeof cwd) != nullptr);
  CHECK(ReadAll(spec.log_path) == std::string(cwd) + "\nfrom-harness spec\n");
}

TEST_CASE("Destroying the Supervisor kills and reaps its children") {
  TempDir dir;
  asio::io_context io;
  pid_t pid = 0;
  {
    Supervisor sup(io, nullptr);
    auto started = sup.Start(Spec(dir, "target", {"sleep", "30"}));
    REQUIRE(started.ok());
    pid = *started;
    CHECK(sup.pid("target") == pid);
    CHECK(kill(pid, 0) == 0);
  }
  // Reaped, not a zombie: the pid no longer exists at all.
  CHECK(kill(pid, 0) != 0);
  CHECK(errno == ESRCH);
}

}  // namespace
}  // namespace faultline
