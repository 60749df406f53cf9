// Black-box tests of suites, shards, --repeat, compare, sweep and the
// before/after report, on the short fixtures in tests/scenarios; and the
// faultline commands of docs/ci.md, run as written.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include <nlohmann/json.hpp>

#include "tests/child_process.h"

using namespace faultline::testing;
using namespace std::chrono_literals;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

const std::string kBin = FAULTLINE_BIN_DIR "/faultline";
const std::string kTests = FAULTLINE_SOURCE_DIR "/tests/scenarios/";

ProcessRun Faultline(std::vector<std::string> args, std::chrono::seconds deadline = 90s) {
  args.insert(args.begin(), kBin);
  return RunProcess(args, deadline);
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

}  // namespace

TEST_CASE("suite: every scenario into its own folder with one summary and the worst exit code") {
  BecomeSubreaper();
  TempDir dir;
  Write(dir.path() + "/suite/a-pass.toml", Quick());
  Write(dir.path() + "/suite/b-fail.toml", Quick("limit = 200", "limit = 0"));
  const std::string single = dir.path() + "/single.toml";
  Write(single, Quick());
  auto r = Faultline({"run", dir.path() + "/suite", single, "--out", dir.path() + "/out", "-q"});
  CHECK(r.exit_code == 1);
  for (const char* name : {"a-pass", "b-fail", "single"})
    CHECK(fs::exists(dir.path() + "/out/" + name + "/results.json"));
  const std::string junit = ReadFile(dir.path() + "/out/junit.xml");
  CHECK(Count(junit, "<testsuite ") == 3);  // one per scenario variant
  CHECK(Contains(junit, "<testsuites name=\"faultline suite\""));
  const std::string md = ReadFile(dir.path() + "/out/summary.md");
  CHECK(Contains(md, "3 scenarios, 2 passed, 1 failed"));
  CHECK(Contains(r.out, "suite FAILED: 3 scenarios, 2 passed, 1 failed"));
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
