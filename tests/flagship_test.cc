// The shipped scenarios, run end to end: each variant must come out as the
// scenario expects, with the magnitudes the story depends on.
#include <doctest/doctest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "tests/child_process.h"

using namespace faultline::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

const std::string kBin = FAULTLINE_BIN_DIR "/faultline";

// Callers log run.err before run.out: CI shows a failing test's first lines,
// and the reason a run ended is on stderr, the long tables on stdout.
json RunShipped(const std::string& name, const TempDir& dir, ProcessRun* run) {
  BecomeSubreaper();
  *run = RunProcess({kBin, "run", FAULTLINE_SOURCE_DIR "/scenarios/" + name + ".toml", "--out",
                     dir.path()},
                    150s);
  CHECK(WaitGone(Descendants(::getpid()), 5s).empty());
  return json::parse(ReadFile(dir.path() + "/results.json"));
}

const json& Variant(const json& r, const std::string& name) {
  for (const auto& v : r["variants"])
    if (v["name"] == name) return v;
  FAIL("no variant " << name);
  static json none;
  return none;
}

const json& Check(const json& v, const std::string& name) {
  for (const auto& c : v["checks"])
    if (c["name"] == name) return c;
  FAIL("no check " << name);
  static json none;
  return none;
}

double Peak(const json& v, const std::string& metric) {
  double peak = 0;
  for (const auto& s : v["samples"])
    if (s[metric].is_number()) peak = std::max(peak, s[metric].get<double>());
  return peak;
}

// Issue 10 point 5: the flagships' cancellation checks. The propagating
// variant's inventory calls end with its 2 s budget, before the client's 5 s
// timeout: no orphan, nothing outlives its caller. The other variant's calls
// the hang took stay open after their callers gave up (orphans), and those
// the dependency's idle close ends after the hang end late (outlived).
void CheckCancellation(const json& good, const json& bad) {
  const std::string outlived = "no inventory call outlives its caller";
  const std::string orphans = "no inventory call left open after its caller";
  const json& g = good["cancellation"]["inventory"];
  INFO("propagating: " << g.dump());
  CHECK(g["forwarded"] == true);  // the audit found the traceparent on the inventory calls
  CHECK(g["upstream_requests"].get<int>() >= 1500);  // those the hang swallowed too
  CHECK(g["orphans"].get<int>() == 0);
  CHECK(Check(good, outlived)["passed"] == true);
  CHECK(Check(good, orphans)["passed"] == true);
  const json& b = bad["cancellation"]["inventory"];
  INFO("not propagating: " << b.dump());
  CHECK(b["forwarded"] == true);
  CHECK(b["orphans"].get<int>() >= 200);
  CHECK(b["never_ended"].get<int>() >= 200);
  CHECK(Check(bad, outlived)["passed"] == false);
  CHECK(Check(bad, orphans)["passed"] == false);
  CHECK(Check(bad, orphans)["observed"].get<double>() >= 200);
}

// Runs a shipped scenario whose variants must all come out as expected, and
// checks the variants named in `expected` against their outcome.
json RunAsExpected(const std::string& name, const TempDir& dir,
                   const std::vector<std::pair<std::string, std::string>>& expected) {
  ProcessRun run;
  json r = RunShipped(name, dir, &run);
  INFO(run.err);
  INFO(run.out);
  CHECK(run.exit_code == 0);
  for (const auto& [variant, outcome] : expected) CHECK(Variant(r, variant)["outcome"] == outcome);
  return r;
}

}  // namespace

TEST_CASE("hung-dependency: propagating stays bounded and recovers - non-propagating piles up") {
  TempDir dir;
  ProcessRun run;
  json r = RunShipped("hung-dependency", dir, &run);
  INFO(run.err);
  INFO(run.out);
  CHECK(run.exit_code == 0);
  CHECK(r["passed"] == true);

  const json& good = Variant(r, "propagating");
  CHECK(good["outcome"] == "pass");
  const double base = good["baseline"]["threads"].get<double>();
  // rate x budget = 200 threads held at most, plus the baseline.
  CHECK(Peak(good, "threads") <= base + 300);
  CHECK(Peak(good, "threads") >= base + 100);  // the hang really held requests
  CHECK(Check(good, "threads back to baseline after the drain")["passed"] == true);
  CHECK(good["requests"]["status"]["504"].get<int>() > 500);

  const json& bad = Variant(r, "non-propagating");
  CHECK(bad["outcome"] == "fail");
  CHECK(Peak(bad, "threads") >= bad["baseline"]["threads"].get<double>() + 600);
  CHECK(Check(bad, "threads bounded by rate x budget during the hang")["passed"] == false);
  CHECK(Check(bad, "threads back to baseline after the drain")["passed"] == false);
  CheckCancellation(good, bad);
}

TEST_CASE("slow-dependency: only the propagating variant keeps requests within the budget") {
  TempDir dir;
  ProcessRun run;
  json r = RunShipped("slow-dependency", dir, &run);
  INFO(run.err);
  INFO(run.out);
  CHECK(run.exit_code == 0);
  const json& good = Variant(r, "propagating");
  CHECK(good["outcome"] == "pass");
  CHECK(good["requests"]["latency_ms"]["max"].get<double>() < 2500);
  const json& bad = Variant(r, "non-propagating");
  CHECK(bad["outcome"] == "fail");
  CHECK(bad["requests"]["latency_ms"]["max"].get<double>() >= 3000);
}

TEST_CASE("hung-dependency-go: goroutines stay bounded with r.Context() and pile up behind context.Background()") {
  TempDir dir;
  ProcessRun run;
  json r = RunShipped("hung-dependency-go", dir, &run);
  INFO(run.err);
  INFO(run.out);
  CHECK(run.exit_code == 0);
  const json& good = Variant(r, "propagating");
  CHECK(good["outcome"] == "pass");
  const json& bad = Variant(r, "background");
  CHECK(bad["outcome"] == "fail");
  // OS threads hardly move in either variant: /proc alone would miss it.
  CHECK(Peak(bad, "threads") < bad["baseline"]["threads"].get<double>() + 20);
  CHECK(Peak(bad, "goroutines") >= bad["baseline"]["goroutines"].get<double>() + 1500);
  CHECK(Check(bad, "goroutines back to baseline after the drain")["passed"] == false);
  CHECK(Check(good, "goroutines back to baseline after the drain")["passed"] == true);
  // A piled-up process answers /metrics late at times: each miss is a gap,
  // never a stalled sampler, and most scrapes still land.
  int gaps = 0;
  for (const auto& sample : bad["samples"]) gaps += sample["goroutines"].is_null() ? 1 : 0;
  CHECK(gaps == bad["scrape"]["misses"].get<int>());
  CHECK(bad["scrape"]["misses"].get<int>() < bad["scrape"]["attempts"].get<int>() / 2);
  CheckCancellation(good, bad);
}

TEST_CASE("fault-tour: each fault of the catalogue has its effect on the orders service") {
  TempDir dir;
  ProcessRun run;
  json r = RunShipped("fault-tour", dir, &run);
  INFO(run.err);
  INFO(run.out);
  CHECK(run.exit_code == 0);
  const json& v = Variant(r, "default");
  CHECK(v["outcome"] == "pass");
  for (const auto& c : v["checks"]) {
    INFO(c["name"].get<std::string>() << ": " << c["detail"].get<std::string>());
    CHECK(c["passed"] == true);
  }
  // reset_peer on 30 % of connections: 502s; connect_hang: 504s at the budget.
  CHECK(v["requests"]["status"]["502"].get<int>() > 0);
  CHECK(v["requests"]["status"]["504"].get<int>() > 100);
  // One event per ramp step after the first.
  int steps = 0;
  for (const auto& e : v["events"])
    steps += e["message"].get<std::string>().rfind("faults on inventory: latency", 0) == 0;
  CHECK(steps == 3);
}

// The real-dependency scenarios: PostgreSQL and Redis started fresh, the
// Python service (targets/python) in three modes. Only the deadline mode
// holds; statement_timeout alone does not help.
const std::vector<std::pair<std::string, std::string>> kPythonModes = {
    {"none", "fail"}, {"server-timeout", "fail"}, {"deadline", "pass"}};

TEST_CASE("hung-database: only a client-side deadline keeps a Python service bounded when PostgreSQL hangs") {
  TempDir dir;
  json r = RunAsExpected("hung-database", dir, kPythonModes);
  const json& good = Variant(r, "deadline");
  CHECK(Peak(good, "upstream.db") <= 60);  // the pool: 40, and some the proxy is closing
  CHECK(good["requests"]["status"]["504"].get<int>() > 50);
  for (const char* name : {"none", "server-timeout"}) {
    CHECK(Peak(Variant(r, name), "upstream.db") >= 150);
    CHECK(Check(Variant(r, name), "threads bounded by rate x budget during the hang")["passed"] ==
          false);
  }
}

TEST_CASE("slow-cache: a bounded cache call with a database fallback keeps a Python service fast") {
  TempDir dir;
  json r = RunAsExpected("slow-cache", dir, kPythonModes);
  CHECK(Check(Variant(r, "deadline"), "requests still fast without the cache")["passed"] == true);
  for (const char* name : {"none", "server-timeout"}) {
    CHECK(Check(Variant(r, name), "threads bounded while the cache is slow or hung")["passed"] ==
          false);
  }
}

// Issue 16 point 5: docs/tutorial.md's scenario gives the verdicts the
// tutorial shows. Run from the repository root, as the tutorial says: the
// shop's argv names shop.py relative to it.
TEST_CASE("the tutorial's shop scenario gives the verdicts docs/tutorial.md shows") {
  TempDir dir;
  BecomeSubreaper();
  char old_cwd[4096];
  REQUIRE(::getcwd(old_cwd, sizeof old_cwd) != nullptr);
  REQUIRE(::chdir(FAULTLINE_SOURCE_DIR) == 0);
  ProcessRun run =
      RunProcess({kBin, "run", "docs/examples/tutorial/shop.toml", "--out", dir.path(), "-q"}, 60s);
  REQUIRE(::chdir(old_cwd) == 0);
  CHECK(WaitGone(Descendants(::getpid()), 5s).empty());
  INFO(run.err);
  INFO(run.out);
  CHECK(run.exit_code == 0);
  const json r = json::parse(ReadFile(dir.path() + "/results.json"));
  const json& deadline = Variant(r, "deadline");
  const json& naive = Variant(r, "naive");
  CHECK(deadline["outcome"] == "pass");
  CHECK(naive["outcome"] == "fail");
  CHECK(Check(deadline, "threads bounded by rate x budget")["passed"] == true);
  CHECK(Check(deadline, "threads back to baseline after the hang")["passed"] == true);
  CHECK(Check(deadline, "baseline p90 latency")["passed"] == true);
  CHECK(Check(naive, "threads bounded by rate x budget")["passed"] == false);
  CHECK(Check(naive, "threads back to baseline after the hang")["passed"] == false);
  CHECK(run.out.find("PASSED: 2 of 2 variants met their expectation") != std::string::npos);
}

TEST_CASE("http-faults: a budget turns 503s and 1 s delays into bounded errors - naive waits them out") {
  TempDir dir;
  json r = RunAsExpected("http-faults", dir, {{"propagating", "pass"}, {"naive", "fail"}});
  const json& good = Variant(r, "propagating");
  // abort 5 %: 502s in both variants; delay 10 %: 504s at the 500 ms budget.
  CHECK(good["requests"]["status"]["502"].get<int>() > 5);
  CHECK(good["requests"]["status"]["504"].get<int>() > 20);
  CHECK(Check(good, "requests end within the budget")["passed"] == true);
  const json& bad = Variant(r, "naive");
  CHECK(bad["requests"]["status"]["502"].get<int>() > 5);
  CHECK(bad["requests"]["latency_ms"]["max"].get<double>() >= 1000);
  CHECK(Check(bad, "requests end within the budget")["passed"] == false);
  CHECK(Check(bad, "errors stay a bounded share")["passed"] == true);
}
