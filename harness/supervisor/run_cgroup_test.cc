// The run's cgroup: what enters it cannot leave it, and it is emptied and
// removed whatever its processes did.
#include "harness/supervisor/run_cgroup.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <string>

#include "harness/supervisor/supervisor_test_support.h"

namespace faultline {
namespace {

using namespace faultline::testing;

bool InCgroup(const RunCgroup& cgroup, pid_t pid) {
  std::istringstream procs(ReadAll(std::string(cgroup.path()) + "/cgroup.procs"));
  for (pid_t p; procs >> p;) {
    if (p == pid) return true;
  }
  return false;
}

// A child that enters the cgroup, then forks a grandchild that starts a
// session of its own and clears its environment, and waits.
pid_t StartFamily(const RunCgroup& cgroup) {
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    alarm(30);  // bounds its life if the test fails to kill it
    EnterCgroup(cgroup.procs_fd());
    if (fork() == 0) {
      setsid();
      char* no_env[] = {nullptr};
      char* argv[] = {const_cast<char*>("sleep"), const_cast<char*>("30"), nullptr};
      execve("/bin/sleep", argv, no_env);
      _exit(127);
    }
    pause();
    _exit(0);
  }
  return pid;
}

TEST_CASE("The run's cgroup holds what its children start and is emptied and removed") {
  std::string why;
  RunCgroup cgroup = RunCgroup::Create(&why);
  if (!cgroup.available()) {
    MESSAGE("skipped: no cgroup here: " << why);
    return;
  }
  CHECK(why.empty());
  const std::string path = cgroup.path();
  CHECK(std::filesystem::is_directory(path));
  const pid_t child = StartFamily(cgroup);
  KillOnExit cleanup{{child}};
  // The child and its grandchild, which left the child's session.
  // Both in: two lines of one read (two reads could each see another step).
  REQUIRE(WaitFor([&] {
    const std::string procs = ReadAll(path + "/cgroup.procs");
    return std::count(procs.begin(), procs.end(), '\n') == 2;
  }));
  CHECK(InCgroup(cgroup, child));
  CHECK(!InCgroup(cgroup, getpid()));  // the harness stays out of what it kills

  CHECK(KillCgroup(path.c_str()) == 2);
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  cleanup.pids.clear();
  CHECK(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGKILL);
  CHECK(RemoveCgroup(path.c_str(), 2000));
  CHECK(!std::filesystem::exists(path));
  CHECK(KillCgroup(path.c_str()) == 0);  // gone: nothing to do, no error
  CHECK(RemoveCgroup(path.c_str(), 0));
}

TEST_CASE("A new run's cgroup removes the empty ones of harnesses that are gone") {
  RunCgroup first = RunCgroup::Create();
  if (!first.available()) {
    MESSAGE("skipped: no cgroup here");
    return;
  }
  const std::filesystem::path dir = std::filesystem::path(first.path()).parent_path();
  // A pid that is surely gone: a child of this test, exited and reaped.
  const pid_t dead = fork();
  REQUIRE(dead >= 0);
  if (dead == 0) _exit(0);
  REQUIRE(waitpid(dead, nullptr, 0) == dead);
  const auto stale = dir / ("faultline-" + std::to_string(dead) + "-0");
  REQUIRE(mkdir(stale.c_str(), 0755) == 0);

  RunCgroup second = RunCgroup::Create();
  REQUIRE(second.available());
  CHECK(!std::filesystem::exists(stale));
  CHECK(std::filesystem::exists(first.path()));  // its harness (this one) is alive
  CHECK(std::string(first.path()) != second.path());
  CHECK(RemoveCgroup(first.path(), 0));
  CHECK(RemoveCgroup(second.path(), 0));
}

}  // namespace
}  // namespace faultline
