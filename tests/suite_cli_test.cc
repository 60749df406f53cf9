// Black-box tests of suites, shards, --repeat, compare, sweep and the
// before/after report, on the short fixtures in tests/scenarios; and the
// faultline commands of docs/ci.md, run as written.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <regex>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "tests/child_process.h"

using namespace faultline::testing;
using namespace std::chrono_literals;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

const std::string kBin = FAULTLINE_BIN_DIR "/faultline";
const std::string kTests = FAULTLINE_SOURCE_DIR "/tests/scenarios/";

ProcessRun Faultline(std::vector<std::string> args, std::chrono::seconds deadline = 90s,
                     const std::function<void(pid_t, const std::string&)>& on_output = {}) {
  args.insert(args.begin(), kBin);
  return RunProcess(args, deadline, on_output);
}

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

size_t Count(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
  return n;
}

void Write(const std::string& path, const std::string& text) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path) << text;
}

// quick.toml with `from` replaced by `to`.
std::string Quick(const std::string& from = "", const std::string& to = "") {
  std::string s = ReadFile(kTests + "quick.toml");
  if (!from.empty()) s.replace(s.find(from), from.size(), to);
  return s;
}

// The processes other than this one that have `path` open, from /proc
// (only ours are readable).
std::vector<pid_t> Holders(const std::string& path) {
  std::vector<pid_t> out;
  std::error_code ec;
  for (const auto& proc : fs::directory_iterator("/proc", ec)) {
    const std::string name = proc.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    if (std::stoi(name) == ::getpid()) continue;
    std::error_code fd_ec;
    for (const auto& fd : fs::directory_iterator(proc.path() / "fd", fd_ec)) {
      std::error_code link_ec;
      if (fs::read_symlink(fd.path(), link_ec).string() == path) {
        out.push_back(std::stoi(name));
        break;
      }
    }
  }
  return out;
}

// Serves `text` through a FIFO at `path` to each open of it, in turn, until
// the `interrupt_at`-th: then it sends SIGINT to the process that opened it
// and closes without writing. A process blocked in opening the FIFO is
// faultline loading the scenario, so the signal arrives while it loads,
// between two runs (no Runner exists), whatever the timing. Every wait is
// bounded.
class FifoFeeder {
 public:
  FifoFeeder(std::string path, std::string text, int interrupt_at)
      : path_(std::move(path)), text_(std::move(text)), interrupt_at_(interrupt_at) {
    REQUIRE(::mkfifo(path_.c_str(), 0600) == 0);
    thread_ = std::thread([this] { Serve(); });
  }
  ~FifoFeeder() {
    done_ = true;
    thread_.join();
  }
  bool interrupted() const { return interrupted_; }

 private:
  // Waits until `ready` or the deadline or the end; whether `ready`.
  template <typename F>
  bool Await(F ready) {
    while (!done_ && std::chrono::steady_clock::now() < deadline_) {
      if (ready()) return true;
      std::this_thread::sleep_for(1ms);
    }
    return false;
  }

  void Serve() {
    for (int opens = 1;; ++opens) {
      int fd = -1;
      // Opens once a reader is there (ENXIO before).
      if (!Await([&] { return (fd = ::open(path_.c_str(), O_WRONLY | O_NONBLOCK)) >= 0; }))
        return;
      // The reader's open returns once this one did: then it holds the FIFO.
      std::vector<pid_t> reader;
      if (!Await([&] { return !(reader = Holders(path_)).empty(); })) {
        ::close(fd);
        return;
      }
      if (opens == interrupt_at_) {
        interrupted_ = ::kill(reader[0], SIGINT) == 0;
        ::close(fd);
        return;
      }
      ::fcntl(fd, F_SETFL, 0);  // blocking writes: the reader drains the pipe
      for (size_t done = 0; done < text_.size();) {
        const ssize_t n = ::write(fd, text_.data() + done, text_.size() - done);
        if (n <= 0) break;
        done += static_cast<size_t>(n);
      }
      ::close(fd);
      // The next open is a new one only once this reader has closed.
      if (!Await([&] { return Holders(path_).empty(); })) return;
    }
  }

  const std::string path_, text_;
  const int interrupt_at_;
  const std::chrono::steady_clock::time_point deadline_ = std::chrono::steady_clock::now() + 120s;
  std::atomic<bool> done_{false}, interrupted_{false};
  std::thread thread_;
};

}  // namespace

TEST_CASE("suite: every scenario into its own folder with one summary and the worst exit code") {
  BecomeSubreaper();
  TempDir dir;
  Write(dir.path() + "/suite/a-pass.toml", Quick());
  Write(dir.path() + "/suite/b-fail.toml", Quick("limit = 200", "limit = 0"));
  // A target that exits before it is ready: the summaries say why, on its line.
  Write(dir.path() + "/suite/c-crash.toml",
        Quick("argv = [\"orders-service\"",
              "argv = [\"sh\", \"-c\", \"echo crashed; exit 3\", \"orders-service\""));
  const std::string single = dir.path() + "/single.toml";
  Write(single, Quick());
  auto r = Faultline({"run", dir.path() + "/suite", single, "--out", dir.path() + "/out", "-q"});
  CHECK(r.exit_code == 3);
  for (const char* name : {"a-pass", "b-fail", "c-crash", "single"})
    CHECK(fs::exists(dir.path() + "/out/" + name + "/results.json"));
  const std::string junit = ReadFile(dir.path() + "/out/junit.xml");
  CHECK(Count(junit, "<testsuite ") == 5);  // one per scenario variant, and c-crash's run
  CHECK(Contains(junit, "<testsuites name=\"faultline suite\""));
  const std::string md = ReadFile(dir.path() + "/out/summary.md");
  CHECK(Contains(md, "4 scenarios, 2 passed, 1 failed, 1 error"));
  const std::string why = "0 of 1 variants met their expectation; variant default: \"target\" "
                          "exited with code 3 before it was ready; last lines of its log (";
  CHECK(Contains(md, "| ❌ ERROR | " + why.substr(0, why.size() - 1) + "\\("));
  CHECK(Contains(r.out, "suite ERROR: 4 scenarios, 2 passed, 1 failed, 1 error"));
  CHECK(Contains(r.out, "ERROR       quick (" + dir.path() + "/suite/c-crash.toml): " + why));
  CHECK(WaitGone(Descendants(::getpid()), 5s).empty());

  auto variant = Faultline({"run", dir.path() + "/suite", "--variant", "default"});
  CHECK(variant.exit_code == 2);
  CHECK(Contains(variant.err, "--variant selects a variant of one scenario, not of a suite"));
}

TEST_CASE("shard: the shards of a folder run every scenario exactly once") {
  TempDir dir;
  // Scenarios that do not load end at once (exit 2) but are still listed.
  const std::string bad = ReadFile(kTests + "bad.toml");
  const std::vector<std::string> names = {"e", "a", "d", "c", "b"};
  for (const auto& n : names) Write(dir.path() + "/s/" + n + ".toml", bad);
  std::map<std::string, int> seen;
  for (int i = 1; i <= 3; ++i) {
    const std::string out = dir.path() + "/out" + std::to_string(i);
    auto r = Faultline({"run", dir.path() + "/s", "--shard", std::to_string(i) + "/3", "--out", out});
    CHECK(r.exit_code == 2);
    const std::string md = ReadFile(out + "/summary.md");
    CHECK(md.starts_with("## faultline suite shard " + std::to_string(i) + "/3 — "));
    for (const auto& n : names)
      if (Contains(md, "/s/" + n + ".toml")) ++seen[n];
  }
  CHECK(seen.size() == names.size());
  for (const auto& [n, times] : seen) CHECK(times == 1);
  auto r = Faultline({"run", dir.path() + "/s", "--shard", "4/3"});
  CHECK(r.exit_code == 2);
  CHECK(Contains(r.err, "--shard \"4/3\": expected I/N with 1 <= I <= N, e.g. 1/4"));
}

TEST_CASE("repeat and compare: margins of every check and the exit codes of compare") {
  BecomeSubreaper();
  TempDir dir;
  auto r = Faultline({"run", kTests + "quick.toml", "--repeat", "2", "--out", dir.path(), "-q"});
  CHECK(r.exit_code == 0);
  CHECK(Contains(r.out, "verdict stable over 2 runs: PASSED (default pass)"));
  CHECK(Contains(r.out, "threads bounded"));
  CHECK(Contains(ReadFile(dir.path() + "/repeat.md"), "| default | threads bounded | 2/2 |"));

  const std::string a = dir.path() + "/run-1/results.json";
  CHECK(fs::exists(dir.path() + "/run-2/results.json"));
  auto same = Faultline({"compare", a, a, "--markdown", dir.path() + "/c.md"});
  CHECK(same.exit_code == 0);
  CHECK(Contains(same.out, "no regression"));
  CHECK(Contains(ReadFile(dir.path() + "/c.md"), "✅ no regression"));

  // Three times the threads of the baseline itself: a regression, named.
  // (Of run-1, not run-2: two real runs differ in latency and CPU too, and
  // on a busy machine by more than the default tolerances.)
  json doc = json::parse(ReadFile(a));
  for (auto& row : doc["variants"][0]["samples"]) row["threads"] = row["threads"].get<double>() * 3;
  const std::string worse = dir.path() + "/worse.json";
  Write(worse, doc.dump());
  auto reg = Faultline({"compare", a, worse});
  CHECK(reg.exit_code == 1);
  CHECK(Contains(reg.out, "REGRESSION default threads.peak: "));
  CHECK(Faultline({"compare", a, worse, "--tolerance", "threads=+1000%"}).exit_code == 0);

  doc["scenario"]["name"] = "other";
  const std::string other = dir.path() + "/other.json";
  Write(other, doc.dump());
  auto diff = Faultline({"compare", a, other});
  CHECK(diff.exit_code == 2);
  CHECK(Contains(diff.err, "the runs are of different scenarios: baseline \"quick\", current \"other\""));
  CHECK(Faultline({"compare", a, dir.path() + "/missing.json"}).exit_code == 2);
  auto tol = Faultline({"compare", a, a, "--tolerance", "thraeds=5"});
  CHECK(tol.exit_code == 2);
  CHECK(Contains(tol.err, "(did you mean \"threads\"?)"));

  // Before/after: both runs on the same axes, labelled by their folders.
  auto html = Faultline({"report", "--compare", a, worse, "--html", dir.path() + "/ba.html"});
  CHECK(html.exit_code == 0);
  const std::string page = ReadFile(dir.path() + "/ba.html");
  CHECK(Contains(page, "run-1: default"));
  CHECK(Contains(page, "A vs B") == false);
}

TEST_CASE("sweep: a run per value and the breaking point of every variant") {
  BecomeSubreaper();
  TempDir dir;
  auto r = Faultline({"sweep", kTests + "quick.toml", "--vary", "checks[0].limit=200,0", "--out",
                      dir.path(), "-q"});
  CHECK(r.exit_code == 0);  // a failing check is the sweep's finding, not an error
  CHECK(Contains(r.out, "default: breaks at checks[0].limit=0 (threads bounded: observed "));
  CHECK(Contains(r.out, ", limit 0)"));
  CHECK(fs::exists(dir.path() + "/checks[0].limit=200/results.json"));
  CHECK(fs::exists(dir.path() + "/checks[0].limit=0/results.json"));
  const std::string html = ReadFile(dir.path() + "/sweep.html");
  CHECK(Count(html, "<svg class=\"chart\"") >= 3);
  CHECK(Contains(ReadFile(dir.path() + "/sweep.md"), "| default | breaks at"));
  auto bad = Faultline({"sweep", kTests + "quick.toml", "--vary", "load.rate"});
  CHECK(bad.exit_code == 2);
  CHECK(Contains(bad.err, "--vary \"load.rate\": expected KEY=V1,V2,..."));
  CHECK(WaitGone(Descendants(::getpid()), 5s).empty());
}

TEST_CASE("docs/ci.md: every faultline command in it runs") {
  BecomeSubreaper();
  TempDir dir;
  Write(dir.path() + "/scenarios/hung-dependency.toml", Quick());
  // main's artifact: the same suite run earlier.
  auto base = Faultline({"run", dir.path() + "/scenarios/", "--out", dir.path() + "/baseline", "-q"});
  REQUIRE(base.exit_code == 0);

  std::ifstream doc(FAULTLINE_SOURCE_DIR "/docs/ci.md");
  const std::regex command(R"(^\s*(- )?(faultline .*)$)");
  std::vector<std::string> commands;
  for (std::string line; std::getline(doc, line);) {
    std::smatch m;
    if (std::regex_match(line, m, command)) commands.push_back(m[2]);
  }
  REQUIRE(commands.size() >= 4);
  const std::map<std::string, std::string> vars = {{"${{ matrix.shard }}", "1"},
                                                    {"${{ strategy.job-total }}", "1"}};
  for (std::string c : commands) {
    for (const auto& [from, to] : vars)
      for (size_t p; (p = c.find(from)) != std::string::npos;) c.replace(p, from.size(), to);
    CAPTURE(c);
    CHECK(c.find("${{") == std::string::npos);
    auto r = RunProcess({"/bin/sh", "-c",
                         "cd '" + dir.path() + "' && export PATH='" FAULTLINE_BIN_DIR "':$PATH "
                         "CI_NODE_INDEX=1 CI_NODE_TOTAL=1 && " + c},
                        90s);
    CAPTURE(r.err);
    // compare may find a regression between two runs on a busy machine;
    // every other command must succeed.
    if (c.rfind("faultline compare", 0) == 0) CHECK(r.exit_code <= 1);
    else CHECK(r.exit_code == 0);
  }
  CHECK(fs::exists(dir.path() + "/out/junit.xml"));
  CHECK(fs::exists(dir.path() + "/compare.md"));
  CHECK(fs::exists(dir.path() + "/before-after.html"));
  CHECK(WaitGone(Descendants(::getpid()), 5s).empty());
}

TEST_CASE("sweep: a key varied twice and a value that does not fit are refused before any run") {
  TempDir dir;
  auto twice = Faultline({"sweep", kTests + "quick.toml", "--vary", "load.rate=10,20", "--vary",
                          "load.rate=40", "--out", dir.path() + "/a", "-q"});
  CHECK(twice.exit_code == 2);
  CHECK(Contains(twice.err, "faultline sweep: --vary \"load.rate=40\": load.rate is already "
                            "varied by --vary \"load.rate=10,20\""));
  CHECK_FALSE(fs::exists(dir.path() + "/a"));
  auto fast = Faultline({"sweep", kTests + "quick.toml", "--vary", "load.rate=20,fast", "--out",
                         dir.path() + "/b", "-q"});
  CHECK(fast.exit_code == 2);
  CHECK(Contains(fast.err, "faultline sweep: --vary \"load.rate=20,fast\": value fast: "));
  CHECK(Contains(fast.err, "load.rate: expected a number"));
  CHECK_FALSE(fs::exists(dir.path() + "/b"));  // point 1 did not run
}

// A value that loads but does not bind (a ready port that is no number once
// its variable is expanded) is found before anything runs, as `validate`
// finds it: by `run` for any variant it selects, by `sweep` for any point.
TEST_CASE("run and sweep: a variant whose values do not bind is refused before any variant runs") {
  TempDir dir;
  const std::string file = dir.path() + "/vp.toml";
  Write(file, Quick("ready = { kind = \"http\", path = \"/healthz\" }\n\n[[dependencies]]",
                    "ready = { kind = \"http\", path = \"/healthz\", port = \"${variant.rp}\" }"
                    "\n\n[[variants]]\nname = \"v\"\nvars = { rp = \"18555\" }"
                    "\n\n[[variants]]\nname = \"w\"\nvars = { rp = \"abc\" }"
                    "\n\n[[dependencies]]"));
  const std::string message = "variant \"w\": target.ready.port: expected a port number 1..65535, "
                              "got \"abc\" (from \"${variant.rp}\")";
  auto run = Faultline({"run", file, "--out", dir.path() + "/a", "-q"});
  CHECK(run.exit_code == 2);
  CHECK(Contains(run.err, file + ": " + message));
  CHECK_FALSE(fs::exists(dir.path() + "/a"));  // variant v did not run either
  // As the sweep's second value: the first does not run either.
  auto sweep = Faultline({"sweep", file, "--set", "variants.w.vars.rp=18556", "--vary",
                          "variants.w.vars.rp=18556,abc", "--out", dir.path() + "/b", "-q"});
  CHECK(sweep.exit_code == 2);
  CHECK(Contains(sweep.err, "faultline sweep: --vary \"variants.w.vars.rp=18556,abc\": "
                            "value abc: " + file + ": " + message));
  CHECK_FALSE(fs::exists(dir.path() + "/b"));  // point 1 did not run
}

TEST_CASE("sweep: values of one folder name get a folder each and SIGINT between points stops it") {
  BecomeSubreaper();
  TempDir dir;
  // Opens: the scenario, each value, each point (all before any point
  // runs), then point 1; the signal comes as point 2 loads.
  FifoFeeder feeder(dir.path() + "/quick.toml", Quick(), 1 + 2 + 2 + 1 + 1);
  auto r = Faultline({"sweep", dir.path() + "/quick.toml", "--vary", "target.env.X=a/b,a_b",
                      "--out", dir.path() + "/out"});
  CHECK(feeder.interrupted());
  CHECK(r.signal == 0);
  CHECK(r.exit_code == 130);
  CHECK(fs::exists(dir.path() + "/out/target.env.X=a_b/results.json"));
  // The point the signal kept from running is named: the sweep did not hold there.
  CHECK(Contains(ReadFile(dir.path() + "/out/sweep.md"),
                 "**interrupted: 1 of 2 points ran; the others did not**"));
  CHECK(Contains(r.out, "holds at every value judged; not judged at target.env.X=a_b\n"));
  CHECK(fs::exists(dir.path() + "/out/sweep.html"));
  CHECK(WaitGone(Descendants(::getpid()), 5s).empty());

  auto both = Faultline({"sweep", kTests + "quick.toml", "--vary", "target.env.X=a/b,a_b",
                         "--out", dir.path() + "/both", "-q"});
  CAPTURE(both.err);
  CHECK(both.exit_code == 0);
  const json a = json::parse(ReadFile(dir.path() + "/both/target.env.X=a_b/results.json"));
  const json b = json::parse(ReadFile(dir.path() + "/both/target.env.X=a_b-2/results.json"));
  CHECK(a["scenario"]["overrides"].dump().find("target.env.X=a/b") != std::string::npos);
  CHECK(b["scenario"]["overrides"].dump().find("target.env.X=a_b") != std::string::npos);
  CHECK(WaitGone(Descendants(::getpid()), 5s).empty());
}

TEST_CASE("repeat: SIGINT as run 2 loads stops the loop and repeat.md counts only run 1") {
  BecomeSubreaper();
  TempDir dir;
  FifoFeeder feeder(dir.path() + "/quick.toml", Quick(), 2);
  auto r = Faultline({"run", dir.path() + "/quick.toml", "--repeat", "3", "--out",
                      dir.path() + "/out"});
  CHECK(feeder.interrupted());
  CHECK(r.signal == 0);
  CHECK(r.exit_code == 130);
  CHECK(Contains(r.out, "verdict stable over 1 run: "));
  CHECK(Contains(r.out, "  run 2: interrupted, not counted\n"));
  const std::string md = ReadFile(dir.path() + "/out/repeat.md");
  CHECK(Contains(md, "- run 2: interrupted, not counted\n- run 3: not run, the loop was "
                     "interrupted before\n"));
  CHECK_FALSE(fs::exists(dir.path() + "/out/run-3"));
  CHECK(WaitGone(Descendants(::getpid()), 5s).empty());
}

TEST_CASE("repeat: a run interrupted mid-run is listed and not counted in the verdict") {
  BecomeSubreaper();
  TempDir dir;
  bool sent = false;
  auto r = Faultline({"run", kTests + "quick.toml", "--repeat", "3", "--out", dir.path()}, 90s,
                     [&](pid_t pid, const std::string& err) {
                       // Run 2's Runner has started its variant.
                       if (sent || Count(err, "variant default (expected pass)") < 2) return;
                       ::kill(pid, SIGINT);
                       sent = true;
                     });
  REQUIRE(sent);
  CHECK(r.exit_code == 130);
  CHECK(Contains(r.out, "verdict stable over 1 run: "));
  CHECK(Contains(r.out, "  run 2: interrupted, not counted\n"));
  CHECK_FALSE(Contains(r.out, "UNSTABLE"));
  CHECK(Contains(ReadFile(dir.path() + "/repeat.md"), "- run 2: interrupted, not counted"));
  CHECK(WaitGone(Descendants(::getpid()), 5s).empty());
}

TEST_CASE("repeat: a later run with no folder is listed in repeat.md with why") {
  BecomeSubreaper();
  TempDir dir;
  Write(dir.path() + "/run-2", "a file where run 2's folder would be");
  auto r = Faultline({"run", kTests + "quick.toml", "--repeat", "2", "--out", dir.path(), "-q"});
  CHECK(r.exit_code == 3);
  const std::string md = ReadFile(dir.path() + "/repeat.md");
  CHECK(Contains(md, "verdict stable over 1 run: PASSED"));
  CHECK(Contains(md, "- run 2: no result, not counted: create output directory " + dir.path() +
                         "/run-2: "));
  CHECK(WaitGone(Descendants(::getpid()), 5s).empty());
}

TEST_CASE("suite: same-named scenarios keep apart in junit.xml and a folder error is carried") {
  BecomeSubreaper();
  TempDir dir;
  Write(dir.path() + "/a/q.toml", Quick());
  Write(dir.path() + "/b/q.toml", Quick());
  Write(dir.path() + "/out/q", "a file where the first q's folder would be");
  auto r = Faultline({"run", dir.path() + "/a/q.toml", dir.path() + "/b/q.toml", "--out",
                      dir.path() + "/out", "-q"});
  CHECK(r.exit_code == 3);
  const std::string junit = ReadFile(dir.path() + "/out/junit.xml");
  CHECK(Contains(junit, "<testsuite name=\"q-2.default\" "));
  CHECK(Contains(junit, "<testsuite name=\"q\" "));
  CHECK(Contains(junit, "message=\"create output directory " + dir.path() + "/out/q: "));
  CHECK_FALSE(Contains(junit, "did not load"));
  CHECK(Contains(ReadFile(dir.path() + "/out/summary.md"), "create output directory"));
  CHECK(WaitGone(Descendants(::getpid()), 5s).empty());
}

// A member that cannot start this time leaves none of its earlier run's
// files: CI collecting out/**/junit.xml must not find its old pass.
TEST_CASE("suite: a member that no longer loads leaves no earlier results in its folder") {
  BecomeSubreaper();
  TempDir dir;
  Write(dir.path() + "/s/a.toml", Quick());
  auto first = Faultline({"run", dir.path() + "/s", "--out", dir.path() + "/out", "-q"});
  REQUIRE(first.exit_code == 0);
  REQUIRE(fs::exists(dir.path() + "/out/a/junit.xml"));
  Write(dir.path() + "/s/a.toml", "bogus = 1\n" + Quick());
  auto second = Faultline({"run", dir.path() + "/s", "--out", dir.path() + "/out", "-q"});
  CHECK(second.exit_code == 2);
  for (const char* name : {"results.json", "junit.xml", "report.html", "summary.md"})
    CHECK_FALSE(fs::exists(dir.path() + "/out/a/" + name));
  CHECK(Contains(ReadFile(dir.path() + "/out/junit.xml"), "bogus"));
  CHECK(WaitGone(Descendants(::getpid()), 5s).empty());
}

TEST_CASE("suite: SIGINT while the next scenario loads stops the suite with its summaries") {
  BecomeSubreaper();
  TempDir dir;
  Write(dir.path() + "/s/a.toml", Quick());
  Write(dir.path() + "/s/c.toml", Quick());
  FifoFeeder feeder(dir.path() + "/s/b.toml", Quick(), 1);
  auto r = Faultline({"run", dir.path() + "/s/a.toml", dir.path() + "/s/b.toml",
                      dir.path() + "/s/c.toml", "--out", dir.path() + "/out"});
  CHECK(feeder.interrupted());
  CHECK(r.signal == 0);
  CHECK(r.exit_code == 130);
  CHECK(fs::exists(dir.path() + "/out/a/results.json"));
  // c, which the signal kept from running, is in both summaries: a suite
  // cut short does not read as a shorter one.
  const std::string md = ReadFile(dir.path() + "/out/summary.md");
  CHECK(Contains(md, "## faultline suite — ❌ INTERRUPTED"));
  CHECK(Contains(md, "3 scenarios, 1 passed, 1 interrupted, 1 not run"));
  CHECK(Contains(md, "❌ NOT RUN | not run: the suite was interrupted before it"));
  const std::string junit = ReadFile(dir.path() + "/out/junit.xml");
  CHECK(Contains(junit, "interrupted before it ran"));
  CHECK(Contains(junit, "not run: the suite was interrupted before it"));
  CHECK_FALSE(fs::exists(dir.path() + "/out/c"));
  CHECK(WaitGone(Descendants(::getpid()), 5s).empty());
}

TEST_CASE("compare: --markdown makes its folders and a tolerance for a one-run series is a note") {
  TempDir dir;
  auto r = Faultline({"run", kTests + "quick.toml", "--out", dir.path() + "/run", "-q"});
  REQUIRE(r.exit_code == 0);
  const std::string a = dir.path() + "/run/results.json";
  json doc = json::parse(ReadFile(a));
  for (auto& v : doc["variants"]) {
    v["series"].push_back("queue_depth");
    for (auto& row : v["samples"]) row["queue_depth"] = 3;
  }
  const std::string more = dir.path() + "/more.json";
  Write(more, doc.dump());
  auto c = Faultline({"compare", a, more, "--tolerance", "queue_depth=+50%", "--markdown",
                      dir.path() + "/new/sub/compare.md"});
  CHECK(c.exit_code == 0);
  CHECK(fs::exists(dir.path() + "/new/sub/compare.md"));
  CHECK(Contains(c.out, "note: --tolerance \"queue_depth=+50%\": \"queue_depth\" is in only one "
                        "of the runs, so it judges nothing"));
  Write(dir.path() + "/file", "");
  auto bad = Faultline({"compare", a, a, "--markdown", dir.path() + "/file/compare.md"});
  CHECK(bad.exit_code == 3);
  CHECK(Contains(bad.err, "faultline compare: write " + dir.path() + "/file/compare.md: "));
  CHECK_FALSE(Contains(bad.err, ".tmp"));
}

