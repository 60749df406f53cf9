// The guarantee that no child outlives the harness, whatever kills it.
#include "harness/supervisor/supervisor.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <functional>

#include "harness/supervisor/supervisor_test_support.h"

namespace faultline {
namespace {

using namespace std::chrono_literals;
using namespace faultline::testing;

std::string EnvironOf(pid_t pid) { return ReadAll("/proc/" + std::to_string(pid) + "/environ"); }

// The guarantee: the harness is SIGKILLed, and still nothing it started
// survives. The grandchild has no PDEATHSIG (fork clears it): only the
// watchdog can kill it.
TEST_CASE("No child outlives a SIGKILLed harness") {
  // Orphans are reparented to this process, so they can be reaped here.
  REQUIRE(prctl(PR_SET_CHILD_SUBREAPER, 1) == 0);
  int report[2];
  REQUIRE(pipe2(report, O_CLOEXEC) == 0);
  TempDir dir;

  pid_t harness = fork();
  REQUIRE(harness >= 0);
  if (harness == 0) {
    // The fake harness: no doctest here, only an exit code.
    close(report[0]);
    alarm(30);  // bounds its life if the test fails to kill it
    auto watchdog = Watchdog::Start();
    if (!watchdog.ok()) _exit(10);
    asio::io_context io;
    Supervisor sup(io, watchdog->get());
    // One grandchild in the child's group, one that left it with setsid,
    // and one that left it and also dropped its environment (the mark).
    ChildSpec spec = Shell(dir, "target",
                           "sleep 300 & echo grandchild $!; "
                           "setsid sh -c 'echo wiped $$; exec env -i sleep 300' & "
                           "setsid sh -c 'echo escaped $$; exec sleep 300' & wait");
    auto pid = sup.Start(spec);
    if (!pid.ok()) _exit(11);
    bool ready = false;
    auto both = [&] {
      return PidFromLog(spec.log_path, "escaped") > 0 && PidFromLog(spec.log_path, "wiped") > 0;
    };
    sup.WaitReady("target", [&](auto done) { done(both()); }, 5s, [&](Status s) {
      if (!s.ok()) _exit(12);
      ready = true;
    });
    if (!RunUntil(io, [&] { return ready; })) _exit(13);
    std::ofstream(dir.File("cgroup")) << (*watchdog)->cgroup().path();
    pid_t pids[5] = {(*watchdog)->pid(), *pid, PidFromLog(spec.log_path, "grandchild"),
                     PidFromLog(spec.log_path, "escaped"), PidFromLog(spec.log_path, "wiped")};
    if (write(report[1], pids, sizeof pids) != sizeof pids) _exit(14);
    for (;;) pause();
  }
  close(report[1]);
  KillOnExit cleanup{{harness}};
  pid_t pids[5] = {0, 0, 0, 0, 0};
  ssize_t n = read(report[0], pids, sizeof pids);
  close(report[0]);
  REQUIRE(n == sizeof pids);
  const pid_t watchdog = pids[0], child = pids[1], grandchild = pids[2], escaped = pids[3],
              wiped = pids[4];
  cleanup.pids.insert(cleanup.pids.end(), {watchdog, child, grandchild, escaped, wiped});
  REQUIRE(grandchild > 0);
  REQUIRE(escaped > 0);
  REQUIRE(wiped > 0);
  CHECK(kill(child, 0) == 0);
  CHECK(kill(grandchild, 0) == 0);
  CHECK(getpgid(escaped) != child);  // out of the group the watchdog kills
  const std::string cgroup = ReadAll(dir.File("cgroup"));
  // Only the run's cgroup can find `wiped` once `env -i` has run sleep.
  REQUIRE(WaitFor([&] { return EnvironOf(wiped).empty(); }));

  REQUIRE(kill(harness, SIGKILL) == 0);
  int status = 0;
  REQUIRE(waitpid(harness, &status, 0) == harness);
  CHECK(WIFSIGNALED(status));
  cleanup.pids[0] = 0;

  CHECK(WaitGone(child));
  CHECK(WaitGone(grandchild));
  CHECK(WaitGone(escaped));  // found by the run's mark in its environment
  CHECK(WaitGone(watchdog));  // its job done, it exits
  if (cgroup.empty()) {
    MESSAGE("no cgroup here (not root?): only the mark and groups can contain a run");
  } else {
    CHECK(WaitGone(wiped));  // found in the run's cgroup
    CHECK(!std::filesystem::exists(cgroup));  // and the cgroup removed
  }
}

namespace {

// Starts a child whose `script` leaves a grandchild in a session of its own
// (it prints "escaped PID"), waits until `started` holds for that pid, and
// checks that StopAll ends it: only the run's mark can find it.
void StopAllEndsEscaped(const std::string& script,
                        const std::function<bool(pid_t)>& started = [](pid_t) { return true; },
                        bool needs_cgroup = false) {
  REQUIRE(prctl(PR_SET_CHILD_SUBREAPER, 1) == 0);
  auto watchdog = Watchdog::Start();
  REQUIRE(watchdog.ok());
  if (needs_cgroup && !(*watchdog)->cgroup().available()) {
    MESSAGE("skipped: no cgroup here: " << (*watchdog)->containment());
    return;
  }
  TempDir dir;
  asio::io_context io;
  Supervisor sup(io, watchdog->get());
  ChildSpec spec = Shell(dir, "target", script);
  REQUIRE(sup.Start(spec).ok());
  bool ready = false;
  sup.WaitReady("target", sup.LogProbe("target", "escaped"), 5s, [&](Status s) {
    REQUIRE(s.ok());
    ready = true;
  });
  REQUIRE(RunUntil(io, [&] { return ready; }));
  const pid_t escaped = PidFromLog(spec.log_path, "escaped");
  KillOnExit cleanup{{escaped}};
  REQUIRE(escaped > 0);
  CHECK(kill(escaped, 0) == 0);
  REQUIRE(RunUntil(io, [&] { return started(escaped); }));
  bool stopped = false;
  sup.StopAll([&] { stopped = true; });
  REQUIRE(RunUntil(io, [&] { return stopped; }));
  CHECK(WaitGone(escaped));
}

}  // namespace

TEST_CASE("StopAll also ends a grandchild that left its process group with setsid") {
  StopAllEndsEscaped("setsid sh -c 'echo escaped $$; exec sleep 300' & wait");
}

TEST_CASE("StopAll finds the mark of an escaped grandchild behind 70 KB of environment") {
  // env -i sets exactly BIG and then the mark, in that order; the check
  // waits until sleep runs with that environment.
  StopAllEndsEscaped(
      "setsid sh -c 'echo escaped $$; exec env -i BIG=$(head -c 70000 /dev/zero | tr \"\\0\" "
      "x) FAULTLINE_RUN=$FAULTLINE_RUN sleep 300' & wait",
      [](pid_t pid) { return ReadAll("/proc/" + std::to_string(pid) + "/environ").size() > 70000; });
}

TEST_CASE("StopAll ends an escaped grandchild that dropped the run's mark (the run's cgroup)") {
  // `env -i` leaves sleep no environment at all, as a daemon that writes
  // its process title over its environment leaves no readable mark.
  StopAllEndsEscaped(
      "setsid sh -c 'echo escaped $$; exec env -i sleep 300' & wait",
      [](pid_t pid) { return EnvironOf(pid).empty(); },
      true);
}

TEST_CASE("The watchdog leaves unregistered groups alone and exits when closed") {
  auto watchdog = Watchdog::Start();
  REQUIRE(watchdog.ok());
  TempDir dir;
  asio::io_context io;
  pid_t watchdog_pid = (*watchdog)->pid();
  CHECK(kill(watchdog_pid, 0) == 0);
  pid_t pid = 0;
  {
    Supervisor sup(io, watchdog->get());
    auto started = sup.Start(Spec(dir, "target", {"sleep", "30"}));
    REQUIRE(started.ok());
    pid = *started;
    bool stopped = false;
    sup.Stop("target", [&] { stopped = true; });
    REQUIRE(RunUntil(io, [&] { return stopped; }));
  }
  auto start = SteadyClock::now();
  watchdog = Status::Unavailable("closed");  // ~Watchdog: closes the socket, reaps
  CHECK(SteadyClock::now() - start < 1s);  // nothing registered: no grace period to wait out
  CHECK(kill(watchdog_pid, 0) != 0);
  CHECK(kill(pid, 0) != 0);
}

}  // namespace
}  // namespace faultline
