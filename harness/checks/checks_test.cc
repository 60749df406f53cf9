#include "harness/checks/checks.h"

#include <doctest/doctest.h>

using namespace faultline;
using namespace std::chrono_literals;

namespace {

// A variant with phases baseline [0,5), hang [5,15), drain [15,20) and a
// "threads" series sampled every second: flat at 5, then `per_s` per second
// during the hang, then `after` during the drain.
VariantResult Piling(double per_s, double after) {
  VariantResult v;
  v.name = "v";
  v.phases = {{"baseline", 0, 5, 100, {}}, {"hang", 5, 15, 100, {"hang inventory"}},
              {"drain", 15, 20, 0, {}}};
  v.requests.SetPhaseStarts({0, 5, 15});
  for (int t = 0; t < 20; ++t) {
    double threads = t < 5 ? 5 : t < 15 ? 5 + per_s * (t - 4) : after;
    v.samples.Append(t, {{"threads", threads}});
  }
  v.baseline = ComputeBaseline(v.samples, v.phases[0]);
  return v;
}

CheckSpec Check(CheckSpec::Kind kind, std::vector<std::string> phases, double limit) {
  CheckSpec c;
  c.name = "c";
  c.kind = kind;
  c.metric = "threads";
  c.phases = std::move(phases);
  c.limit = limit;
  return c;
}

}  // namespace

TEST_CASE("baseline is the mean over the baseline phase") {
  VariantResult v = Piling(10, 5);
  CHECK(v.baseline.at("threads") == 5);
}

TEST_CASE("max and growth compare the window's peak against the limit") {
  VariantResult v = Piling(10, 5);  // peaks at 5 + 10*10 = 105
  auto max = EvaluateCheck(Check(CheckSpec::Kind::kMax, {"hang"}, 100), v);
  CHECK_FALSE(max.passed);
  CHECK(max.observed == 105);
  CHECK(max.limit == 100);
  auto growth = EvaluateCheck(Check(CheckSpec::Kind::kGrowth, {"hang"}, 100), v);
  CHECK(growth.passed);
  CHECK(growth.observed == 100);
  CHECK(growth.detail == "peak 105 over hang - baseline 5");
}

TEST_CASE("rate is the least-squares slope per second") {
  VariantResult v = Piling(96, 5);
  auto r = EvaluateCheck(Check(CheckSpec::Kind::kRate, {"hang"}, 20), v);
  CHECK(r.observed == doctest::Approx(96));
  CHECK_FALSE(r.passed);
  CHECK(r.unit == Unit::kPerSecond);
  VariantResult flat = Piling(0, 5);
  CHECK(EvaluateCheck(Check(CheckSpec::Kind::kRate, {"hang"}, 20), flat).passed);
}

TEST_CASE("recovers measures the time back to baseline after a phase ends") {
  CheckSpec c = Check(CheckSpec::Kind::kRecovers, {}, 0);
  c.after = "hang";
  c.within = 3s;
  c.tolerance = 2;
  VariantResult healed = Piling(10, 6);  // 6 <= 5 + 2 at t = 15
  auto r = EvaluateCheck(c, healed);
  CHECK(r.passed);
  CHECK(r.observed == 0);
  CHECK(r.limit == 3);
  CHECK(r.detail ==
        "threads back to 6, at or below baseline 5 + tolerance 2, 0s after hang ended, and stayed "
        "there");
  VariantResult stuck = Piling(10, 105);
  auto s = EvaluateCheck(c, stuck);
  CHECK_FALSE(s.passed);
  CHECK(s.computed);  // never recovering is a verdict, not missing data
  CHECK(std::isnan(s.observed));
  CHECK(s.detail ==
        "threads never returned to baseline 5 + tolerance 2 after hang ended (last 105)");
}

TEST_CASE("a check with no samples in its window fails and says why") {
  VariantResult v = Piling(10, 5);
  CheckSpec c = Check(CheckSpec::Kind::kMax, {"hang"}, 1000);
  c.metric = "goroutines";
  auto r = EvaluateCheck(c, v);
  CHECK_FALSE(r.passed);
  CHECK(r.detail == "no samples of goroutines in hang");
  // A scraped series whose scrapes missed says why, not only in results.json.
  v.scrape = ScrapeStats{"http://127.0.0.1:9090/metrics", 20, 20,
                         "connect: Connection refused"};
  CHECK(EvaluateCheck(c, v).detail ==
        "no samples of goroutines in hang (scraping http://127.0.0.1:9090/metrics missed 20 of "
        "20 times; the last: connect: Connection refused)");
  c.metric = "threads_x";
  v.scrape->misses = 0;  // scraped fine: the series is just not there
  CHECK(EvaluateCheck(c, v).detail == "no samples of threads_x in hang");
  CHECK_FALSE(r.computed);
}

TEST_CASE("latency and error ratio use requests started in the window") {
  VariantResult v = Piling(0, 5);
  for (int i = 0; i < 100; ++i) v.requests.Add({Outcome::kOk, 200, 1 + i * 0.01, 0.005});
  for (int i = 0; i < 100; ++i) {
    bool slow = i % 4 == 0;
    v.requests.Add({slow ? Outcome::kHttpStatus : Outcome::kOk, slow ? 504 : 200, 6 + i * 0.01,
                    slow ? 2.0 : 0.005});
  }
  CheckSpec lat = Check(CheckSpec::Kind::kLatency, {"hang"}, 2.5);
  lat.metric.clear();
  auto l = EvaluateCheck(lat, v);
  CHECK(l.passed);
  CHECK(l.observed == doctest::Approx(2.0).epsilon(0.032));
  lat.phases = {"baseline"};
  CHECK(EvaluateCheck(lat, v).observed < 0.006);

  CheckSpec err = Check(CheckSpec::Kind::kErrorRatio, {"hang"}, 0.1);
  err.metric.clear();
  auto e = EvaluateCheck(err, v);
  CHECK_FALSE(e.passed);
  CHECK(e.observed == doctest::Approx(0.25));
  CHECK(e.detail == "25 of 100 requests started in hang did not succeed");

  // at_least: the fault's effect must show.
  err.at_least = true;
  auto shown = EvaluateCheck(err, v);
  CHECK(shown.passed);
  CHECK(shown.detail ==
        "25 of 100 requests started in hang did not succeed (passes at or above the limit)");
  lat.at_least = true;
  lat.limit = 0.1;
  CHECK_FALSE(EvaluateCheck(lat, v).passed);  // the baseline's latency is not that high
}

TEST_CASE("request windows follow phase boundaries that are not whole seconds") {
  VariantResult v;
  v.phases = {{"a", 0, 1.5, 40, {}}, {"b", 1.5, 3, 40, {"refuse inventory"}}};
  v.requests.SetPhaseStarts({0, 1.5});
  for (int i = 0; i < 120; ++i) {
    double t = i * 0.025;
    bool in_b = t >= 1.5;
    v.requests.Add({in_b ? Outcome::kConnectError : Outcome::kOk, 0, t, 0.001});
  }
  CheckSpec a = Check(CheckSpec::Kind::kErrorRatio, {"a"}, 0);
  a.metric.clear();
  auto ra = EvaluateCheck(a, v);
  CHECK(ra.passed);
  CHECK(ra.detail == "0 of 60 requests started in a did not succeed");
  CheckSpec b = a;
  b.phases = {"b"};
  CHECK(EvaluateCheck(b, v).observed == 1.0);
}

TEST_CASE("a request check with no requests cannot be computed") {
  VariantResult v = Piling(0, 5);
  CheckSpec c = Check(CheckSpec::Kind::kErrorRatio, {"drain"}, 0.5);
  c.metric.clear();
  auto r = EvaluateCheck(c, v);
  CHECK_FALSE(r.passed);
  CHECK_FALSE(r.computed);
  CHECK(r.detail == "no requests were scheduled in drain");
}

TEST_CASE("checks restricted to variants apply only to them") {
  Scenario s;
  CheckSpec a = Check(CheckSpec::Kind::kMax, {}, 1000);
  a.variants = {"other"};
  CheckSpec b = Check(CheckSpec::Kind::kMax, {}, 1000);
  s.checks = {a, b};
  VariantResult v = Piling(1, 5);
  CHECK(EvaluateChecks(s, v).size() == 1);
}

namespace {

// An audited variant: `dependency` has an audit with these outlived values
// and orphan ages.
VariantResult Audited(bool forwarded, std::vector<double> outlived_s, std::vector<double> ages_s) {
  VariantResult v;
  CancellationSummary c;
  c.forwarded = forwarded;
  c.gave_up = outlived_s.size() + 1;
  c.ended_after = outlived_s.size();
  c.never_ended = 1;
  c.outlived_s = std::move(outlived_s);
  c.orphan_ages_s = std::move(ages_s);
  c.orphans = c.orphan_ages_s.size();
  c.open_at_end = c.orphans;
  v.cancellation["inventory"] = c;
  return v;
}

CheckSpec AuditCheck(CheckSpec::Kind kind, double limit) {
  CheckSpec c;
  c.name = "c";
  c.kind = kind;
  c.dependency = "inventory";
  c.limit = limit;
  return c;
}

}  // namespace

TEST_CASE("outlived compares a percentile of the outlived-by values against the limit") {
  VariantResult v = Audited(true, {0.5, 1, 1.5, 2}, {});
  CheckSpec check = AuditCheck(CheckSpec::Kind::kOutlived, 1);
  check.percentile = 50;
  auto r = EvaluateCheck(check, v);
  CHECK(r.passed);
  CHECK(r.observed == 1);
  CHECK(r.unit == Unit::kSeconds);
  CHECK(r.detail ==
        "p50 over 4 upstream requests of the 5 client requests that gave up (0 ended before the "
        "caller left, 4 after, 1 never)");
  check.percentile = 99;
  CHECK_FALSE(EvaluateCheck(check, v).passed);
}

TEST_CASE("outlived is 0 when no upstream work of a caller who gave up ended") {
  auto r = EvaluateCheck(AuditCheck(CheckSpec::Kind::kOutlived, 0), Audited(true, {}, {}));
  CHECK(r.passed);
  CHECK(r.computed);
  CHECK(r.observed == 0);
}

TEST_CASE("outlived cannot be computed when the target does not forward traceparent") {
  auto r = EvaluateCheck(AuditCheck(CheckSpec::Kind::kOutlived, 0), Audited(false, {}, {3}));
  CHECK_FALSE(r.passed);
  CHECK_FALSE(r.computed);
  CHECK(r.detail ==
        "the target does not forward traceparent: no upstream request to inventory can be tied "
        "to its caller");
}

TEST_CASE("orphans counts upstream requests open long enough after their caller left") {
  VariantResult v = Audited(true, {}, {0.5, 2, 10});
  CheckSpec check = AuditCheck(CheckSpec::Kind::kOrphans, 0);
  auto all = EvaluateCheck(check, v);
  CHECK_FALSE(all.passed);
  CHECK(all.observed == 3);
  CHECK(all.detail == "3 of 3 upstream requests to inventory open at the end, 0s or more after their caller left");
  check.open_for = 1s;
  CHECK(EvaluateCheck(check, v).observed == 2);
  check.at_least = true;
  check.limit = 1;
  CHECK(EvaluateCheck(check, v).passed);
}

TEST_CASE("an audit check of a dependency without an audit cannot be computed") {
  VariantResult v;
  auto r = EvaluateCheck(AuditCheck(CheckSpec::Kind::kOrphans, 0), v);
  CHECK_FALSE(r.computed);
  CHECK(r.detail == "no cancellation audit of inventory (its proxy must speak protocol \"http\")");
}
namespace faultline {

TEST_CASE("held counts the threads of a census whose stack matches") {
  VariantResult v;
  v.census.push_back(Census{"end", 20, 0.1, "native", 12, false, "",
                            {{10, "S", "poll", {"__poll", "orders::InventoryClient::Get (orders.cc:84)"}},
                             {2, "S", "futex", {"futex_wait"}}}});
  CheckSpec check;
  check.name = "held";
  check.kind = CheckKind::kHeld;
  check.frames = "InventoryClient::Get";
  check.limit = 0;
  CheckResult r = EvaluateCheck(check, v);
  CHECK(r.computed);
  CHECK_FALSE(r.passed);
  CHECK(r.observed == 10);
  CHECK(r.detail == "10 of 12 threads at census \"end\" match \"InventoryClient::Get\"");
  check.at_least = true;
  check.limit = 5;
  CHECK(EvaluateCheck(check, v).passed);
}

TEST_CASE("held without its census or without stacks is not computed") {
  VariantResult v;
  CheckSpec check;
  check.kind = CheckKind::kHeld;
  check.frames = "x";
  check.at = "hang+8s";
  CheckResult r = EvaluateCheck(check, v);
  CHECK_FALSE(r.computed);
  CHECK(r.detail == "no census \"hang+8s\" was taken");
  v.census.push_back(Census{"hang+8s", 8, 0, "native", 3, true, "ptrace refused for 3 threads",
                            {{3, "S", "poll", {}}}});
  r = EvaluateCheck(check, v);
  CHECK_FALSE(r.computed);
  CHECK(r.detail == "census \"hang+8s\" holds no stack: ptrace refused for 3 threads");
}

// A stripped service's 200 threads held in wait_in_poll, and 5 threads in
// D that would not stop, once passed "at most 0": a thread with no stack or
// with a frame that could not be named may match, so what the seen threads
// alone cannot decide is not computed; what they do decide stands.
TEST_CASE("held does not judge what the threads it could not see might change") {
  VariantResult v;
  Census c{"end", 20, 0.1, "native", 206, true, "no symbols in holder; 5 threads did not stop",
           {{200, "S", "poll", {"__poll", "?? (holder+0x11a9)", "start_thread"}},
            {5, "D", "", {}},
            {1, "S", "nanosleep", {"clock_nanosleep", "main (holder.c:40)"}}}};
  c.unnamed_modules = {"holder"};
  v.census.push_back(c);
  CheckSpec check;
  check.kind = CheckKind::kHeld;
  check.frames = "wait_in_poll";
  check.limit = 0;
  CheckResult r = EvaluateCheck(check, v);
  CHECK_FALSE(r.computed);
  CHECK(r.detail == "205 of the 206 threads at census \"end\" have no stack or frames that could "
                    "not be named (no symbols in holder; 5 threads did not stop); they may match "
                    "\"wait_in_poll\", so it cannot tell");
  check.frames = "*poll*";  // 200 seen: over the limit whatever the others hold
  r = EvaluateCheck(check, v);
  CHECK(r.computed);
  CHECK_FALSE(r.passed);
  CHECK(r.observed == 200);
  check.at_least = true;  // at least 100: the seen ones suffice
  check.limit = 100;
  CHECK(EvaluateCheck(check, v).passed);
  check.frames = "clock_nanosleep";  // at least 300: 1 seen, and 205 unseen cannot make it
  check.limit = 300;
  r = EvaluateCheck(check, v);
  CHECK(r.computed);
  CHECK_FALSE(r.passed);
}

}  // namespace faultline

// Issue 12 point 4: a check carries the span it judged, and a failed one the
// moment it failed, so that reports mark the charts without guessing.
// Go's profile hides runtime.goexit, the outermost frame of every goroutine:
// one starting or ending has no frame left, "1 @ 0x46b941" alone. The
// propagating Go variant once came out "could not be computed" for it.
TEST_CASE("held judges a goroutine whose profile shows no frame as not matching") {
  VariantResult v;
  Census c{"end", 20, 0.1, "go", 9, false, "",
           {{8, "", "", {"internal/poll.runtime_pollWait (netpoll.go:305)", "main.main (m.go:9)"}},
            {1, "", "", {}}}};
  v.census.push_back(c);
  CheckSpec check;
  check.kind = CheckKind::kHeld;
  check.frames = "main.(*service).callInventory";
  check.limit = 0;
  CheckResult r = EvaluateCheck(check, v);
  CHECK(r.computed);
  CHECK(r.passed);
  CHECK(r.detail == "0 of 9 goroutines at census \"end\" match "
                    "\"main.(*service).callInventory\"");
  v.census[0].source = "native";  // a native thread with no stack was not seen: it may match
  r = EvaluateCheck(check, v);
  CHECK_FALSE(r.computed);
  CHECK(r.detail == "1 of the 9 threads at census \"end\" have no stack or frames that could "
                    "not be named; they may match \"main.(*service).callInventory\", so it "
                    "cannot tell");
}

TEST_CASE("window checks carry their window and the first sample past the limit") {
  VariantResult v = Piling(10, 5);  // threads 5 + 10 x (t - 4) during hang [5, 15)
  auto max = EvaluateCheck(Check(CheckSpec::Kind::kMax, {"hang"}, 60), v);
  CHECK_FALSE(max.passed);
  CHECK(max.window_start_s == 5);
  CHECK(max.window_end_s == 15);
  CHECK(max.at_s == 10);  // 65 at t = 10 is the first sample above 60

  auto growth = EvaluateCheck(Check(CheckSpec::Kind::kGrowth, {"hang"}, 60), v);
  CHECK_FALSE(growth.passed);
  CHECK(growth.at_s == 11);  // 75 - baseline 5 = 70 at t = 11; 65 - 5 = 60 at t = 10 is not above

  auto held = EvaluateCheck(Check(CheckSpec::Kind::kGrowth, {"hang"}, 1000), v);
  CHECK(held.passed);
  CHECK(held.window_start_s == 5);
  CHECK(std::isnan(held.at_s));  // a passed check failed at no moment

  // Several phases: from the first one's start to the last one's end.
  auto both = EvaluateCheck(Check(CheckSpec::Kind::kMax, {"drain", "baseline"}, 1000), v);
  CHECK(both.window_start_s == 0);
  CHECK(both.window_end_s == 20);
  // The whole run.
  auto whole = EvaluateCheck(Check(CheckSpec::Kind::kMax, {}, 1000), v);
  CHECK(whole.window_start_s == 0);
  CHECK(whole.window_end_s == 20);
  // A window whose phase did not run has no span.
  auto none = EvaluateCheck(Check(CheckSpec::Kind::kMax, {"recovery"}, 1000), v);
  CHECK_FALSE(none.computed);
  CHECK(std::isnan(none.window_start_s));
  CHECK(std::isnan(none.window_end_s));
  // Nor does one that only half ran (a crash in hang): "hang+recovery" is
  // not judged on hang alone, which would pass on the samples it has.
  auto half = EvaluateCheck(Check(CheckSpec::Kind::kMax, {"hang", "recovery"}, 1000), v);
  CHECK_FALSE(half.computed);
  CHECK_FALSE(half.passed);
  CHECK(std::isnan(half.window_start_s));
  CHECK(half.detail == "phase recovery of hang+recovery did not run");
}

TEST_CASE("a check judged over its whole window fails at no moment") {
  VariantResult v = Piling(96, 5);
  auto rate = EvaluateCheck(Check(CheckSpec::Kind::kRate, {"hang"}, 20), v);
  CHECK_FALSE(rate.passed);
  CHECK(rate.window_end_s == 15);
  CHECK(std::isnan(rate.at_s));
  CheckSpec shown = Check(CheckSpec::Kind::kMax, {"baseline"}, 50);
  shown.at_least = true;
  auto s = EvaluateCheck(shown, v);
  CHECK_FALSE(s.passed);
  CHECK(std::isnan(s.at_s));
  CheckSpec lat = Check(CheckSpec::Kind::kLatency, {"hang"}, 0.001);
  lat.metric.clear();
  v.requests.Add({Outcome::kOk, 200, 6, 0.5});
  auto l = EvaluateCheck(lat, v);
  CHECK_FALSE(l.passed);
  CHECK(l.window_start_s == 5);
  CHECK(l.window_end_s == 15);
  CHECK(std::isnan(l.at_s));
}

TEST_CASE("recovers spans from the end of its phase to the deadline and fails at the deadline") {
  CheckSpec c = Check(CheckSpec::Kind::kRecovers, {}, 0);
  c.after = "hang";
  c.within = 3s;
  auto stuck = EvaluateCheck(c, Piling(10, 105));
  CHECK_FALSE(stuck.passed);
  CHECK(stuck.window_start_s == 15);
  CHECK(stuck.window_end_s == 18);
  CHECK(stuck.at_s == 18);
  auto healed = EvaluateCheck(c, Piling(10, 5));
  CHECK(healed.passed);
  CHECK(healed.window_end_s == 18);
  CHECK(std::isnan(healed.at_s));
  // Back, but after the deadline: it failed at the deadline too.
  c.within = 500ms;
  VariantResult late = Piling(10, 105);
  late.samples.values["threads"][16] = 5;  // back 1 s after hang ended
  auto l = EvaluateCheck(c, late);
  CHECK_FALSE(l.passed);
  CHECK(l.observed == 1);
  CHECK(l.at_s == 15.5);
  // Not back when the run ended, 5 s after hang, with the deadline 10 s
  // after it: it may still have come back in time, so the check cannot say.
  c.within = 10s;
  auto open = EvaluateCheck(c, Piling(10, 105));
  CHECK_FALSE(open.passed);
  CHECK_FALSE(open.computed);
  CHECK(std::isnan(open.at_s));
  CHECK(open.detail == "threads was not back to baseline 5 + tolerance 0 when the run ended, at "
                       "20s, before the deadline at 25s (last 105)");
  // A deadline at the run's end is judged.
  c.within = 5s;
  auto end = EvaluateCheck(c, Piling(10, 105));
  CHECK(end.computed);
  CHECK(end.at_s == 20);
}

TEST_CASE("recovers needs the metric to stay back to the deadline: one dip is not a recovery") {
  CheckSpec c = Check(CheckSpec::Kind::kRecovers, {}, 0);
  c.after = "hang";
  c.within = 3s;  // deadline 18
  VariantResult dip = Piling(10, 105);
  dip.samples.values["threads"][15] = 5;  // one sample back, then up again for good
  auto d = EvaluateCheck(c, dip);
  CHECK_FALSE(d.passed);
  CHECK(d.computed);
  CHECK(std::isnan(d.observed));
  CHECK(d.at_s == 18);
  CHECK(d.detail ==
        "threads came back to baseline 5 + tolerance 0 after hang ended but did not stay there "
        "(last 105)");
  // Down at 15, up at 16, down from 17 on: recovered at 17, 2 s after the end.
  VariantResult settles = Piling(10, 5);
  settles.samples.values["threads"][16] = 40;
  auto s = EvaluateCheck(c, settles);
  CHECK(s.passed);
  CHECK(s.observed == 2);
  // Back from 15 and up again only after the deadline (a later fault): recovered.
  VariantResult later = Piling(10, 5);
  later.samples.values["threads"][19] = 90;
  auto l = EvaluateCheck(c, later);
  CHECK(l.passed);
  CHECK(l.observed == 0);
}

TEST_CASE("a held check judges its census moment and a limit expression is carried") {
  VariantResult v;
  v.census.push_back(Census{"end", 21.5, 0.1, "native", 3, false, "", {{3, "S", "poll", {"x"}}}});
  CheckSpec check;
  check.name = "held";
  check.kind = CheckKind::kHeld;
  check.frames = "x";
  check.limit = 0;
  check.limit_expression = "0 * ${load.rate}";
  CheckResult r = EvaluateCheck(check, v);
  CHECK_FALSE(r.passed);
  CHECK(r.window_start_s == 21.5);
  CHECK(r.window_end_s == 21.5);
  CHECK(r.at_s == 21.5);
  CHECK(r.limit_expression == "0 * ${load.rate}");
  CHECK(EvaluateCheck(Check(CheckSpec::Kind::kMax, {}, 1), Piling(0, 5)).limit_expression.empty());
}
