// Kill at random: faultline SIGKILLed at any moment of a two-variant run
// leaves no process behind (its watchdog ends them), and results.json is
// either absent or complete, valid JSON holding every variant that had
// finished (it is checkpointed atomically after each variant).
#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/child_process.h"

using namespace faultline::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

const std::string kBin = FAULTLINE_BIN_DIR "/faultline";
const std::string kScenario = FAULTLINE_SOURCE_DIR "/tests/scenarios/two-short-variants.toml";

// Starts `faultline run` with stdout and stderr in files of `dir`.
pid_t StartRun(const std::string& dir) {
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    const int out = ::open((dir + "/stdout").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err = ::open((dir + "/stderr").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(out, 1);
    ::dup2(err, 2);
    const std::string out_dir = dir + "/out";
    ::execl(kBin.c_str(), kBin.c_str(), "run", kScenario.c_str(), "--out", out_dir.c_str(),
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  return pid;
}

// Waits for `pid` at most `limit`; SIGKILLs it then. Returns its wait status.
int WaitAtMost(pid_t pid, std::chrono::milliseconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  int status = 0;
  while (::waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > end) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      break;
    }
    std::this_thread::sleep_for(10ms);
  }
  return status;
}

// The variants the run had finished, from its progress: each variant's
// start line is printed after the previous variant was checkpointed.
std::vector<std::string> FinishedVariants(const std::string& err, bool completed) {
  std::vector<std::string> started;
  for (size_t at = 0; (at = err.find("variant ", at)) != std::string::npos; at += 8) {
    if (at != 0 && err[at - 1] != '\n') continue;
    const size_t space = err.find(" (expected", at + 8);
    if (space == std::string::npos || err.find('\n', at) < space) continue;
    const std::string name = err.substr(at + 8, space - at - 8);
    if (name.find_first_of(": ") != std::string::npos) continue;  // a verdict line
    started.push_back(name);
  }
  if (!completed && !started.empty()) started.pop_back();
  return started;
}

}  // namespace

TEST_CASE("SIGKILL at a random moment leaves no process and a complete or no results.json") {
  BecomeSubreaper();
  // One full run: how long it takes, and that it is complete.
  std::chrono::milliseconds full{0};
  {
    TempDir dir;
    const auto start = std::chrono::steady_clock::now();
    const int status = WaitAtMost(StartRun(dir.path()), 60s);
    full = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                 start);
    REQUIRE(WIFEXITED(status));
    REQUIRE(WEXITSTATUS(status) == 0);
    const json results = json::parse(ReadFile(dir.path() + "/out/results.json"));
    REQUIRE(results["variants"].size() == 2);
    CHECK(results["complete"] == true);
    CHECK(results["passed"] == true);
  }

  const unsigned seed = std::random_device{}();
  CAPTURE(seed);
  std::mt19937 rng(seed);
  // From before the watchdog exists to just after the run's normal end.
  std::uniform_int_distribution<long> moment(0, full.count() * 11 / 10);
  for (int i = 0; i < 20; ++i) {
    TempDir dir;
    const std::chrono::milliseconds at{moment(rng)};
    CAPTURE(i);
    CAPTURE(at.count());
    const pid_t pid = StartRun(dir.path());
    std::this_thread::sleep_for(at);  // the random moment itself, not a wait for an event
    ::kill(pid, SIGKILL);
    const int status = WaitAtMost(pid, 10s);
    CHECK((WIFSIGNALED(status) || WIFEXITED(status)));

    CHECK(WaitGone(Descendants(::getpid()), 10s).empty());

    const bool completed = WIFEXITED(status);
    const std::string err = ReadFile(dir.path() + "/stderr");
    CAPTURE(err);
    const std::vector<std::string> finished = FinishedVariants(err, completed);
    const std::string path = dir.path() + "/out/results.json";
    if (!std::filesystem::exists(path)) {
      CHECK(finished.empty());
      continue;
    }
    const json results = json::parse(ReadFile(path), nullptr, /*allow_exceptions=*/false);
    REQUIRE_FALSE(results.is_discarded());
    REQUIRE(results["variants"].is_array());
    std::vector<std::string> written;
    for (const auto& v : results["variants"]) written.push_back(v["name"].get<std::string>());
    CHECK(written.size() >= finished.size());
    // A copy written before the end never claims a verdict: "passed" only
    // in the final one, which holds both variants.
    if (results["complete"] == false) CHECK(results["passed"] == false);
    if (results["passed"] == true) CHECK(written.size() == 2);
    for (size_t k = 0; k < finished.size() && k < written.size(); ++k) CHECK(written[k] == finished[k]);
  }
}
