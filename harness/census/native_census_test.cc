#include "harness/census/native_census.h"

#include <grp.h>
#include <sys/wait.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "harness/census/held_threads_process.h"

namespace faultline {

namespace {

using testing::HeldThreads;

const CensusGroup* GroupWith(const Census& c, const std::string& function) {
  for (const CensusGroup& g : c.groups) {
    if (CensusFramesMatch(g, function)) return &g;
  }
  return nullptr;
}

// Threads of `pid` that are stopped or traced.
int StoppedOrTraced(pid_t pid) {
  int n = 0;
  for (const auto& task : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task")) {
    std::ifstream status(task.path() / "status");
    for (std::string line; std::getline(status, line);) {
      if (line.starts_with("State:") && (line.find("t (") != std::string::npos ||
                                         line.find("T (") != std::string::npos)) {
        ++n;
      }
      if (line.starts_with("TracerPid:") && line != "TracerPid:\t0") ++n;
    }
  }
  return n;
}

// Threads of `pid` as /proc lists them: the held ones, the main thread,
// and any a sanitizer's runtime adds (TSan starts one of its own).
int Tasks(pid_t pid) {
  int n = 0;
  for ([[maybe_unused]] const auto& task :
       std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task")) {
    ++n;
  }
  return n;
}

}  // namespace

TEST_CASE("native census finds each held group with its exact count and function name") {
  HeldThreads held(HELD_THREADS_BIN, 5, 3, 2);
  REQUIRE(held.ok());
  Census c = TakeNativeCensus(held.pid());
  INFO("reason: " << c.reason);
  CHECK_FALSE(c.partial);
  CHECK(c.source == "native");
  CHECK(c.total == Tasks(held.pid()));  // the 10 held, the main thread (and TSan's)
  CHECK(c.total >= 11);
  CHECK(c.pause_s > 0);
  const CensusGroup* poll = GroupWith(c, "held::WaitInPoll");
  const CensusGroup* condition = GroupWith(c, "held::WaitOnCondition");
  const CensusGroup* read = GroupWith(c, "held::WaitInRead");
  REQUIRE(poll != nullptr);
  REQUIRE(condition != nullptr);
  REQUIRE(read != nullptr);
  CHECK(poll->count == 5);
  CHECK(condition->count == 3);
  CHECK(read->count == 2);
  CHECK(CountMatching(c, "held::WaitInPoll") == 5);
  CHECK(c.groups.front().count == 5);  // largest first
  CHECK(poll->syscall == "poll");
  CHECK(condition->syscall == "futex");
  CHECK(read->syscall == "read");
  CHECK(poll->state == "S");
  // -O2 without frame pointers, unwound from CFI through libstdc++ to the
  // thread's start; the held function has its file:line.
  CHECK(CensusFramesMatch(*poll, "*held::WaitInPoll (held_threads.cc:*)*"));
  CHECK(CensusFramesMatch(*poll, "*start_thread*"));
}

TEST_CASE("native census leaves every thread of the target running and untraced") {
  HeldThreads held(HELD_THREADS_BIN, 20, 0, 0);
  REQUIRE(held.ok());
  for (int i = 0; i < 3; ++i) {
    Census c = TakeNativeCensus(held.pid());
    CHECK(c.total == Tasks(held.pid()));
    CHECK(c.total >= 21);
  }
  CHECK(StoppedOrTraced(held.pid()) == 0);
}

TEST_CASE("native census of a process that is gone is partial and names it") {
  pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) _exit(0);
  REQUIRE(waitpid(child, nullptr, 0) == child);
  Census c = TakeNativeCensus(child);
  CHECK(c.partial);
  CHECK(c.reason == "process " + std::to_string(child) + " not found");
  CHECK(c.total == 0);
  CHECK(c.groups.empty());
}

TEST_CASE("native census refused by ptrace is partial with the reason and counts the threads") {
  if (geteuid() != 0) {
    MESSAGE("not root: cannot drop to another user to be refused");
    return;
  }
  HeldThreads held(HELD_THREADS_BIN, 4, 0, 0);
  REQUIRE(held.ok());
  int result[2];
  REQUIRE(pipe(result) == 0);
  pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    // Another user may not trace a root process.
    if (setgroups(0, nullptr) != 0 || setresgid(65534, 65534, 65534) != 0 ||
        setresuid(65534, 65534, 65534) != 0) {
      _exit(2);
    }
    Census c = TakeNativeCensus(held.pid());
    std::string line = std::to_string(c.partial) + " " + std::to_string(c.total) + " " + c.reason;
    ssize_t n = write(result[1], line.data(), line.size());
    _exit(n == static_cast<ssize_t>(line.size()) ? 0 : 3);
  }
  close(result[1]);
  std::string text;
  char buf[512];
  for (ssize_t n; (n = read(result[0], buf, sizeof buf)) > 0;) text.append(buf, static_cast<size_t>(n));
  close(result[0]);
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  INFO(text);
  // partial; the 4 held and the main thread (and TSan's) still counted
  CHECK(text.starts_with("1 " + std::to_string(Tasks(held.pid())) + " "));
  CHECK(text.find("Permission denied") != std::string::npos);
  CHECK(StoppedOrTraced(held.pid()) == 0);
}

}  // namespace faultline
