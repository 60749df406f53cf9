// A failed check's marker is drawn at the time the check carries (issue 12
// point 4), and a results.json written before it carried one still renders.
#include "reports/chart_markers.h"

#include <doctest/doctest.h>

#include <cmath>

#include "harness/result/results_json.h"
#include "reports/html_report.h"
#include "reports/sample_results.h"

using namespace faultline;
using faultline::testing::Count;

namespace {

VariantResult Hung() {
  VariantResult v;
  v.name = "naive";
  v.expect = Expectation::kFail;
  v.outcome = VariantOutcome::kFail;
  v.phases = {{"baseline", 0, 4, 100, {}},
              {"hang", 4, 14, 100, {"hang inventory"}},
              {"recovery", 14, 18, 100, {}},
              {"drain", 18, 22, 0, {}}};
  v.duration_s = 22;
  return v;
}

CheckResult Failed(const std::string& name, CheckKind kind, const std::string& detail) {
  CheckResult c;
  c.name = name;
  c.kind = kind;
  c.passed = false;
  c.observed = 941;
  c.limit = 300;
  c.detail = detail;
  return c;
}

}  // namespace

TEST_CASE("a failed check's marker is at the moment it failed else at its window's end") {
  VariantResult v = Hung();
  CheckResult crossed =
      Failed("threads bounded", CheckKind::kGrowth, "peak 947 over hang - baseline 6");
  crossed.window_start_s = 4;
  crossed.window_end_s = 14;
  crossed.at_s = 7.2;
  crossed.limit_expression = "1.5 * ${load.rate} * 2s";
  CHECK(FailedCheckTime(v, crossed) == 7.2);

  CheckResult whole = Failed("p100", CheckKind::kLatency, "p100 of 900 requests started in hang");
  whole.window_start_s = 4;
  whole.window_end_s = 14;
  CHECK(FailedCheckTime(v, whole) == 14);

  CheckResult deadline = Failed("back", CheckKind::kRecovers, "threads never returned");
  deadline.window_start_s = 18;
  deadline.window_end_s = 21;
  deadline.at_s = 21;
  CHECK(FailedCheckTime(v, deadline) == 21);

  v.checks = {crossed, whole, deadline};
  const std::vector<ChartMarker> markers = EventMarkers(v, "#c00");
  REQUIRE(markers.size() == 3);
  CHECK(markers[0].t == 7.2);
  CHECK(markers[0].failure);
  CHECK(markers[0].label ==
        "naive · 7.2s · check failed (as expected): threads bounded: observed 941, limit 300 = "
        "1.5 * ${load.rate} * 2s");
  CHECK(markers[1].t == 14);
  CHECK(markers[2].t == 21);

  // Not "as expected" where the table says FAIL: a variant that crashed
  // (an error) met no expectation, nor does a check that could not be judged.
  v.outcome = VariantOutcome::kError;
  CHECK(EventMarkers(v, "#c00")[0].label.find("check failed: threads bounded") !=
        std::string::npos);
  v.outcome = VariantOutcome::kFail;
  v.checks[0].computed = false;
  CHECK(EventMarkers(v, "#c00")[0].label.find("check failed: threads bounded") !=
        std::string::npos);
}

TEST_CASE("a check without a time is placed from its detail as before") {
  VariantResult v = Hung();
  CheckResult old =
      Failed("threads bounded", CheckKind::kGrowth, "peak 947 over hang+recovery - baseline 6");
  CHECK(FailedCheckTime(v, old) == 18);
  CheckResult recovers = Failed("back", CheckKind::kRecovers, "never came back over drain");
  CHECK(FailedCheckTime(v, recovers) == 22);
  v.checks = {old};
  const std::vector<ChartMarker> markers = EventMarkers(v, "#c00");
  REQUIRE(markers.size() == 1);
  CHECK(markers[0].label ==
        "naive · check failed (as expected): threads bounded: observed 941, limit 300");
}

TEST_CASE("an old results.json without check times renders with its markers") {
  RunResult run = testing::AbRun();
  run.variants[1].checks[0].at_s = 9.5;  // naive: its threads check
  nlohmann::json doc = ResultsToJson(run);
  for (auto& v : doc["variants"])
    for (auto& c : v["checks"])
      for (const char* key : {"limit_expression", "window_start_s", "window_end_s", "at_s"})
        c.erase(key);
  StatusOr<RunResult> old = ResultsFromJson(doc);
  REQUIRE_MESSAGE(old.ok(), old.status().message());
  CHECK(std::isnan(old->variants[1].checks[0].at_s));
  size_t failed = 0;
  for (const auto& v : old->variants)
    for (const auto& c : v.checks) failed += c.passed ? 0 : 1;
  const std::string html = RenderHtml(*old);
  REQUIRE(failed > 0);
  CHECK(Count(html, "<g class=\"marker failure\"") == Count(html, "<svg class=\"chart\"") * failed);
  // The same run with the time: the marker moves to it.
  StatusOr<RunResult> timed = ResultsFromJson(ResultsToJson(run));
  REQUIRE(timed.ok());
  CHECK(FailedCheckTime(timed->variants[1], timed->variants[1].checks[0]) == 9.5);
  CHECK(FailedCheckTime(old->variants[1], old->variants[1].checks[0]) != 9.5);
}

// A fault flapping every 10 ms records an event per change: 4,001 markers on
// every chart once covered the data. Past kMaxEventMarkers, a marker per
// slice of their span says how many it holds; failed checks stay apart.
TEST_CASE("thousands of events become a marker per slice of their span") {
  VariantResult v;
  v.name = "naive";
  for (int i = 0; i < 2000; ++i)
    v.events.push_back(
        {3 + i * 0.01, i % 2 ? "faults on inventory: none" : "faults on inventory: hang"});
  CheckResult failed;
  failed.name = "bounded";
  failed.passed = false;
  failed.at_s = 9;
  v.checks = {failed};
  const std::vector<ChartMarker> markers = EventMarkers(v, "#c00");
  REQUIRE(markers.size() == kMaxEventMarkers + 1);
  size_t events = 0;
  for (const auto& m : markers) events += m.failure ? 0 : 1;
  CHECK(events == kMaxEventMarkers);
  CHECK(markers[0].label ==
        "naive · 3.0s · 50 events to 3.5s, the first: faults on inventory: hang");
  CHECK(std::count_if(markers.begin(), markers.end(),
                      [](const ChartMarker& m) { return m.failure; }) == 1);
  CHECK(std::is_sorted(markers.begin(), markers.end(),
                       [](const ChartMarker& a, const ChartMarker& b) { return a.t < b.t; }));
  v.events.resize(kMaxEventMarkers);  // up to the limit: one each, as before
  CHECK(EventMarkers(v, "#c00").size() == kMaxEventMarkers + 1);
}
