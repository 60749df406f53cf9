#include "harness/census/native_census.h"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <thread>

#include "harness/census/held_threads_process.h"
#include "harness/testing/as_nobody.h"

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

// The state letter of a /proc stat file; '?' when it cannot be read.
char StateIn(const std::filesystem::path& stat_file) {
  std::ifstream stat(stat_file);
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  size_t close = text.rfind(')');
  return close != std::string::npos && close + 2 < text.size() ? text[close + 2] : '?';
}

// Whether every thread of `pid` is a zombie or gone.
bool AllThreadsDead(pid_t pid) {
  std::error_code ec;
  for (const auto& task :
       std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
    char state = StateIn(task.path() / "stat");
    if (state != 'Z' && state != 'X' && state != '?') return false;
  }
  return true;
}

// Polls `done` until it holds or `deadline` passes.
bool WaitFor(const std::function<bool()>& done, std::chrono::milliseconds deadline) {
  const auto end = std::chrono::steady_clock::now() + deadline;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
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

// 300 pre-forked workers once held the run's end for 21 s, unbounded.
TEST_CASE("native census past its budget counts the threads it did not read without a stack") {
  HeldThreads held(HELD_THREADS_BIN, 5, 0, 0);
  REQUIRE(held.ok());
  NativeCensusOptions options;
  options.budget = std::chrono::milliseconds(0);
  Census c = TakeNativeCensus(held.pid(), options);
  CHECK(c.partial);
  CHECK(c.total == Tasks(held.pid()));
  CHECK(c.reason == "it stopped after its 0 ms: " + std::to_string(c.total) +
                        " threads of 1 processes were not read");
  CHECK(CountMatching(c, "held::WaitInPoll") == 0);
  CHECK(CountUnjudged(c, "held::WaitInPoll") == c.total);  // a held check cannot tell
  CHECK(c.pause_s == 0);  // nothing was stopped
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

TEST_CASE("native census of a stripped executable is partial and names it") {
  HeldThreads held(HELD_THREADS_STRIPPED_BIN, 3, 0, 0);
  REQUIRE(held.ok());
  Census c = TakeNativeCensus(held.pid());
  INFO("reason: " << c.reason);
  CHECK(c.partial);
  CHECK(c.reason.find("no symbols in held-threads-stripped") != std::string::npos);
  CHECK(c.total == Tasks(held.pid()));
  // What a held check naming the service's function would miss.
  CHECK(CountMatching(c, "held::WaitInPoll") == 0);
}

TEST_CASE("native census cuts stacks at max_frames and says so") {
  HeldThreads held(HELD_THREADS_BIN, 2, 0, 0);
  REQUIRE(held.ok());
  NativeCensusOptions options;
  options.max_frames = 3;
  Census c = TakeNativeCensus(held.pid(), options);
  INFO("reason: " << c.reason);
  CHECK(c.partial);
  CHECK(c.reason.find("stacks were cut at 3 frames (their outer frames are missing)") !=
        std::string::npos);
  for (const CensusGroup& g : c.groups) CHECK(g.frames.size() <= 3);
  // The default reaches the threads' start.
  Census whole = TakeNativeCensus(held.pid());
  CHECK_FALSE(whole.partial);
  REQUIRE(GroupWith(whole, "held::WaitInPoll") != nullptr);
  CHECK(CensusFramesMatch(*GroupWith(whole, "held::WaitInPoll"), "*start_thread*"));
}

TEST_CASE("native census unwinds a process whose main thread exited") {
  HeldThreads held(HELD_THREADS_BIN, 3, 0, 0, {"main-exits"});
  REQUIRE(held.ok());
  // "ready" comes before the main thread's pthread_exit.
  const std::string stat = "/proc/" + std::to_string(held.pid()) + "/stat";
  REQUIRE(WaitFor([&] { return StateIn(stat) == 'Z'; }, std::chrono::seconds(10)));
  Census c = TakeNativeCensus(held.pid());
  INFO("reason: " << c.reason);
  CHECK_FALSE(c.partial);
  CHECK(c.total == Tasks(held.pid()) - 1);  // the exited main thread is not counted
  const CensusGroup* poll = GroupWith(c, "held::WaitInPoll");
  REQUIRE(poll != nullptr);
  CHECK(poll->count == 3);
}

TEST_CASE("native census of a process killed while it is stopped ends partial") {
  HeldThreads held(HELD_THREADS_BIN, 20, 0, 0);
  REQUIRE(held.ok());
  NativeCensusOptions options;
  bool dead = false;
  options.hook = [&dead](pid_t pid, NativeCensusOptions::Moment moment) {
    if (moment != NativeCensusOptions::Moment::kStopped) return;
    // SIGKILL wakes a stopped tracee: every thread dies before it is unwound,
    // so none of their registers can be read (libdw 0.188 asserted on the
    // second such thread, aborting the harness).
    kill(pid, SIGKILL);
    dead = WaitFor([pid] { return AllThreadsDead(pid); }, std::chrono::seconds(10));
  };
  Census c = TakeNativeCensus(held.pid(), options);
  INFO("reason: " << c.reason);
  REQUIRE(dead);
  CHECK(c.partial);
  CHECK(c.reason.find("could not be unwound") != std::string::npos);
  CHECK(CountMatching(c, "held::WaitInPoll") == 0);
}

TEST_CASE("native census leaves the exit status of a process killed mid-census to its parent") {
  // This test is the held process's parent, as faultline's supervisor is a
  // target's: the census (a thread of the same process) must not reap it.
  HeldThreads held(HELD_THREADS_BIN, 5, 0, 0);
  REQUIRE(held.ok());
  NativeCensusOptions options;
  bool dead = false;
  options.hook = [&dead](pid_t pid, NativeCensusOptions::Moment moment) {
    if (moment != NativeCensusOptions::Moment::kSeized) return;
    kill(pid, SIGKILL);  // before the stops are waited for
    dead = WaitFor([pid] { return AllThreadsDead(pid); }, std::chrono::seconds(10));
  };
  Census c = TakeNativeCensus(held.pid(), options);
  INFO("reason: " << c.reason);
  REQUIRE(dead);
  CHECK(c.partial);
  CHECK(c.reason.find("threads exited during the census") != std::string::npos);
  int status = 0;
  REQUIRE(WaitFor([&] { return waitpid(held.pid(), &status, WNOHANG) != 0; },
                  std::chrono::seconds(10)));
  held.Reaped();
  CHECK(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGKILL);
}

TEST_CASE("native census out of file descriptors says so rather than not found") {
  HeldThreads held(HELD_THREADS_BIN, 2, 0, 0);
  REQUIRE(held.ok());
  // A census with descriptors to spare first: UBSan's check of the tracing
  // thread's dynamic type tests memory through a pipe the first time it
  // meets the type, and reports "invalid vptr" when no fd is left for it.
  CHECK_FALSE(TakeNativeCensus(held.pid()).partial);
  rlimit saved{};
  REQUIRE(getrlimit(RLIMIT_NOFILE, &saved) == 0);
  std::vector<int> fds;
  {
    rlimit low = saved;
    low.rlim_cur = 256;
    REQUIRE(setrlimit(RLIMIT_NOFILE, &low) == 0);
    for (int fd; (fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0;) fds.push_back(fd);
  }
  Census c = TakeNativeCensus(held.pid());
  for (int fd : fds) close(fd);
  REQUIRE(setrlimit(RLIMIT_NOFILE, &saved) == 0);
  CHECK(c.partial);
  CHECK(c.reason == "process " + std::to_string(held.pid()) +
                        ": cannot list its threads: Too many open files");
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

using faultline::testing::AsNobody;

TEST_CASE("native census refused by ptrace is partial with the reason and counts the threads") {
  if (geteuid() != 0) {
    MESSAGE("not root: cannot drop to another user to be refused");
    return;
  }
  HeldThreads held(HELD_THREADS_BIN, 4, 0, 0);
  REQUIRE(held.ok());
  // Another user may not trace a root process.
  const std::string text = AsNobody([&] {
    Census c = TakeNativeCensus(held.pid());
    return std::to_string(c.partial) + " " + std::to_string(c.total) + " " + c.reason;
  });
  INFO(text);
  // partial; the 4 held and the main thread (and TSan's) still counted
  CHECK(text.starts_with("1 " + std::to_string(Tasks(held.pid())) + " "));
  CHECK(text.find("Permission denied") != std::string::npos);
  CHECK(text.find("another user's process") != std::string::npos);
  CHECK(StoppedOrTraced(held.pid()) == 0);
}

TEST_CASE("native census of an own process that is not dumpable says so") {
  if (geteuid() != 0) {
    MESSAGE("not root: cannot drop to a user that root does not override");
    return;
  }
  // As nobody: a child of its own that makes itself non-dumpable (as a
  // program that changes its credentials is), then the census of it.
  const std::string text = AsNobody([] {
    int ready[2];
    if (pipe(ready) != 0) _exit(4);
    const pid_t sealed = fork();
    if (sealed == 0) {
      prctl(PR_SET_DUMPABLE, 0);
      if (write(ready[1], "x", 1) != 1) _exit(5);
      pause();
      _exit(0);
    }
    char x;
    if (read(ready[0], &x, 1) != 1) _exit(6);
    Census c = TakeNativeCensus(sealed);
    kill(sealed, SIGKILL);
    waitpid(sealed, nullptr, 0);
    return std::to_string(c.partial) + " " + c.reason;
  });
  INFO(text);
  CHECK(text.starts_with("1 "));
  CHECK(text.find("the process is not dumpable") != std::string::npos);
  CHECK(text.find("another user") == std::string::npos);  // it is this user's own
}

}  // namespace faultline
