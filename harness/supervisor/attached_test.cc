// AttachedProcess: a process it watches exits -> one report with `attached`
// set; destroying the watch leaves a live process exactly as it was.
#include "harness/supervisor/attached.h"

#include "harness/supervisor/supervisor_test_support.h"

using namespace faultline;
using namespace faultline::testing;

namespace {

// A process that sleeps until it is killed (forked here: the test ends it).
pid_t Sleeper() {
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::execlp("sleep", "sleep", "60", nullptr);
    ::_exit(127);
  }
  return pid;
}

}  // namespace

TEST_CASE("an attached process's exit is reported once and it is never signalled") {
  asio::io_context io;
  const pid_t pid = Sleeper();
  std::optional<ExitInfo> seen;
  int reports = 0;
  auto watch = AttachedProcess::Watch(io, "svc", pid, [&](const ExitInfo& info) {
    seen = info;
    ++reports;
  });
  REQUIRE(watch.ok());

  // Destroying a watch does nothing to the process.
  auto second = AttachedProcess::Watch(io, "svc", pid, [](const ExitInfo&) {});
  REQUIRE(second.ok());
  second->reset();
  io.run_for(std::chrono::milliseconds(50));
  CHECK(::waitpid(pid, nullptr, WNOHANG) == 0);  // still running
  CHECK_FALSE(seen.has_value());

  ::kill(pid, SIGKILL);  // the test's own child: the test ends it
  ::waitpid(pid, nullptr, 0);
  RunUntil(io, [&] { return seen.has_value(); }, 5s);
  REQUIRE(seen.has_value());
  CHECK(seen->name == "svc");
  CHECK(seen->pid == pid);
  CHECK(seen->attached);
  CHECK(seen->Describe() == "exited (an attached process: its exit status goes to its own parent)");
  CHECK((*watch)->exited());
  io.run_for(std::chrono::milliseconds(20));
  CHECK(reports == 1);
}

TEST_CASE("watching a pid that does not exist names it") {
  asio::io_context io;
  auto watch = AttachedProcess::Watch(io, "svc", 999999999, [](const ExitInfo&) {});
  REQUIRE_FALSE(watch.ok());
  CHECK(watch.status().message() ==
        "watch attached process \"svc\" (pid 999999999): pidfd_open: No such process");
}
