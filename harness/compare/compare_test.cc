// Comparing runs (compare.h), sweep points (sweep_plan.h), and the figures
// the sweep and repeat reports derive (reports/sweep_report.h,
// reports/repeat_report.h), on the sample A/B run.
#include "harness/compare/compare.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <tuple>

#include "harness/compare/sweep_plan.h"
#include "reports/repeat_report.h"
#include "reports/sample_results.h"
#include "reports/sweep_report.h"

using namespace faultline;

namespace {

// The sample run with every "threads" sample of `variant` scaled by `factor`.
RunResult Scaled(const std::string& variant, double factor) {
  RunResult r = testing::AbRun(4, 0.1);
  for (auto& v : r.variants)
    if (v.name == variant)
      for (auto& x : v.samples.values["threads"]) x *= factor;
  return r;
}

const FigureComparison* Find(const Comparison& c, const std::string& variant,
                             const std::string& metric) {
  for (const auto& f : c.figures)
    if (f.variant == variant && f.metric == metric) return &f;
  return nullptr;
}

}  // namespace

TEST_CASE("compare: a run against itself has no regression") {
  const RunResult r = testing::AbRun(4, 0.1);
  auto c = CompareRuns(r, r, {});
  REQUIRE(c.ok());
  CHECK(c->regressions() == 0);
  REQUIRE(Find(*c, "naive", "threads.peak"));
  REQUIRE(Find(*c, "naive", "threads.growth"));
  REQUIRE(Find(*c, "propagating", "p99_ms"));
  REQUIRE(Find(*c, "propagating", "error_ratio"));
  CHECK_FALSE(Find(*c, "naive", "loop_lag_ms.peak"));  // faultline's own cost is not compared
  CHECK(RenderComparisonText(*c).find("no regression\n") != std::string::npos);
  CHECK(RenderComparisonMarkdown(*c).find("✅ no regression") != std::string::npos);
}

TEST_CASE("compare: growth past the default tolerance is a regression and is named") {
  auto c = CompareRuns(testing::AbRun(4, 0.1), Scaled("naive", 1.5), {});
  REQUIRE(c.ok());
  const FigureComparison* peak = Find(*c, "naive", "threads.peak");
  REQUIRE(peak);
  CHECK(peak->regression);
  CHECK(peak->tolerance == "+20% or 5");
  CHECK_FALSE(Find(*c, "propagating", "threads.peak")->regression);
  const std::string text = RenderComparisonText(*c);
  CHECK(text.find("REGRESSION naive threads.peak: ") != std::string::npos);
  CHECK(text.find("(+50.0%, allowed +") != std::string::npos);
  CHECK(RenderComparisonMarkdown(*c).find("- ❌ naive threads.peak: ") != std::string::npos);
  // Less is never a regression.
  auto better = CompareRuns(testing::AbRun(4, 0.1), Scaled("naive", 0.5), {});
  REQUIRE(better.ok());
  CHECK(better->regressions() == 0);
}

TEST_CASE("compare: a percentage is allowed points of it - never a second kind of percent") {
  RunResult before = testing::AbRun(4, 0.1), after = before;
  for (RunResult* r : {&before, &after}) {
    for (auto& v : r->variants) {
      const size_t n = v.samples.values["threads"].size();
      v.samples.values["cpu_percent"].assign(n, r == &before ? 6.0 : 30.0);
      if (std::find(v.samples.names.begin(), v.samples.names.end(), "cpu_percent") ==
          v.samples.names.end())
        v.samples.names.push_back("cpu_percent");
    }
  }
  auto c = CompareRuns(before, after, {});
  REQUIRE(c.ok());
  const FigureComparison* peak = Find(*c, "naive", "cpu_percent.peak");
  REQUIRE(peak);
  CHECK(peak->regression);
  CHECK(peak->tolerance == "+20% or 10 pp");
  CHECK(RenderComparisonText(*c).find("(+400.0%, allowed +10 pp,") != std::string::npos);
}

TEST_CASE("compare: --tolerance overrides by series or by one figure") {
  auto loose = ParseToleranceOverride("threads=+60%");
  REQUIRE(loose.ok());
  auto c = CompareRuns(testing::AbRun(4, 0.1), Scaled("naive", 1.5), {*loose});
  REQUIRE(c.ok());
  CHECK_FALSE(Find(*c, "naive", "threads.peak")->regression);
  CHECK(Find(*c, "naive", "threads.peak")->tolerance == "+60%");
  // The figure's own key wins over its series'.
  auto strict = ParseToleranceOverride("threads.peak=1");
  REQUIRE(strict.ok());
  auto d = CompareRuns(testing::AbRun(4, 0.1), Scaled("naive", 1.5), {*loose, *strict});
  REQUIRE(d.ok());
  CHECK(Find(*d, "naive", "threads.peak")->regression);
  CHECK(Find(*d, "naive", "threads.peak")->tolerance == "1");
  CHECK_FALSE(Find(*d, "naive", "threads.end")->regression);
}

TEST_CASE("compare: bad tolerances and bad pairs of runs say what is wrong") {
  const std::pair<const char*, const char*> bad[] = {
      {"threads", "--tolerance \"threads\": expected METRIC=+20% or METRIC=VALUE"},
      {"=5", "--tolerance \"=5\": expected METRIC=+20% or METRIC=VALUE"},
      {"threads=", "--tolerance \"threads=\": expected METRIC=+20% or METRIC=VALUE"},
      {"threads=lots", "--tolerance \"threads=lots\": \"lots\" is no percentage or value"},
      {"threads=-5%", "--tolerance \"threads=-5%\": \"-5%\" is no percentage or value"},
  };
  for (const auto& [text, message] : bad) {
    auto r = ParseToleranceOverride(text);
    CAPTURE(text);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message() == message);
  }
  auto mib = ParseToleranceOverride("rss_bytes=+4MiB");
  REQUIRE(mib.ok());
  CHECK(mib->value == 4.0 * 1024 * 1024);
  auto ms = ParseToleranceOverride("p99_ms=250ms");
  REQUIRE(ms.ok());
  CHECK(ms->value == 250);

  auto typo = ParseToleranceOverride("thraeds=+5%");
  auto c = CompareRuns(testing::AbRun(4, 0.1), testing::AbRun(4, 0.1), {*typo});
  REQUIRE_FALSE(c.ok());
  CHECK(c.status().message() ==
        "--tolerance \"thraeds=+5%\": no metric \"thraeds\" (did you mean \"threads\"?)");

  RunResult other = testing::AbRun(4, 0.1);
  other.scenario_name = "slow-cache";
  auto d = CompareRuns(testing::AbRun(4, 0.1), other, {});
  REQUIRE_FALSE(d.ok());
  CHECK(d.status().message() ==
        "the runs are of different scenarios: baseline \"hung-dependency\", current "
        "\"slow-cache\"");
  RunResult renamed = testing::AbRun(4, 0.1);
  for (auto& v : renamed.variants) v.name += "-2";
  auto e = CompareRuns(testing::AbRun(4, 0.1), renamed, {});
  REQUIRE_FALSE(e.ok());
  CHECK(e.status().message() ==
        "the runs share no variant (2 in the baseline, 2 in the current run)");
}

TEST_CASE("compare: tolerances are decimal and a relative zero is described as one") {
  auto hex = ParseToleranceOverride("threads=0x10");
  REQUIRE_FALSE(hex.ok());
  CHECK(hex.status().message() ==
        "--tolerance \"threads=0x10\": \"0x10\" is no percentage or value");
  CHECK_FALSE(ParseToleranceOverride("threads=+0x10%").ok());
  auto zero = ParseToleranceOverride("threads=+0%");
  REQUIRE(zero.ok());
  auto c = CompareRuns(testing::AbRun(4, 0.1), testing::AbRun(4, 0.1), {*zero});
  REQUIRE(c.ok());
  CHECK(Find(*c, "naive", "threads.peak")->tolerance == "+0%");
  auto abs = ParseToleranceOverride("threads=0");
  auto d = CompareRuns(testing::AbRun(4, 0.1), testing::AbRun(4, 0.1), {*abs});
  REQUIRE(d.ok());
  CHECK(Find(*d, "naive", "threads.peak")->tolerance == "0");
}

TEST_CASE("compare: a figure the baseline could not measure is allowed its absolute part") {
  RunResult blind = testing::AbRun(4, 0.1);
  for (auto& x : blind.variants[0].samples.values["threads"]) x = NAN;
  auto c = CompareRuns(blind, testing::AbRun(4, 0.1), {});
  REQUIRE(c.ok());
  const FigureComparison* peak = Find(*c, blind.variants[0].name, "threads.peak");
  REQUIRE(peak);
  CHECK(std::isnan(peak->baseline));
  CHECK(peak->allowed == 5);
  CHECK_FALSE(peak->regression);
  CHECK(RenderComparisonText(*c).find("+n/a") == std::string::npos);
}

TEST_CASE("compare: runs under different --set values are compared with a note saying so") {
  RunResult baseline = testing::AbRun(4, 0.1);
  RunResult current = baseline;
  auto same = CompareRuns(baseline, current, {});
  REQUIRE(same.ok());
  CHECK(same->notes.empty());
  baseline.overrides = {"load.rate=50"};
  current.overrides = {"load.rate=40"};
  auto other = CompareRuns(baseline, current, {});
  REQUIRE(other.ok());
  REQUIRE(other->notes.size() == 1);
  CHECK(other->notes[0] == "the runs have different --set settings: baseline \"load.rate=50\", "
                           "current \"load.rate=40\"; their figures differ by those too");
  current.overrides.clear();
  CHECK(CompareRuns(baseline, current, {})->notes[0].find("current none;") != std::string::npos);
}

TEST_CASE("compare: a tolerance for a series only one run has is a note not an error") {
  const RunResult good = testing::AbRun(4, 0.1);
  RunResult more = good;
  for (auto& v : more.variants) {
    v.samples.names.push_back("queue_depth");
    v.samples.values["queue_depth"] = v.samples.values["threads"];
  }
  for (const char* key : {"queue_depth=+50%", "queue_depth.peak=3"}) {
    auto o = ParseToleranceOverride(key);
    REQUIRE(o.ok());
    using Pair = std::pair<const RunResult*, const RunResult*>;
    for (const auto& [a, b] : {Pair{&good, &more}, Pair{&more, &good}}) {
      auto c = CompareRuns(*a, *b, {*o});
      CAPTURE(key);
      REQUIRE(c.ok());
      const std::string k(key);
      const std::string note = "--tolerance \"" + k + "\": \"" + k.substr(0, k.find('=')) +
                               "\" is in only one of the runs, so it judges nothing";
      CHECK(std::find(c->notes.begin(), c->notes.end(), note) != c->notes.end());
    }
  }
  // A name neither run has is still an error.
  auto typo = CompareRuns(good, more, {*ParseToleranceOverride("queue_dpth=+5%")});
  REQUIRE_FALSE(typo.ok());
  CHECK(typo.status().message() ==
        "--tolerance \"queue_dpth=+5%\": no metric \"queue_dpth\" (did you mean "
        "\"queue_depth\"?)");
}

TEST_CASE("compare: a size or a duration fits only a metric in that unit") {
  const RunResult r = testing::AbRun(4, 0.1);
  for (const auto& [text, message] : std::vector<std::pair<std::string, std::string>>{
           {"threads=1h", "--tolerance \"threads=1h\": \"threads\" is a count, not a duration; "
                          "give a number in its unit or a percentage"},
           {"rss_bytes=250ms", "--tolerance \"rss_bytes=250ms\": \"rss_bytes\" is in bytes, not "
                               "a duration; give a number in its unit or a percentage"},
           {"p99_ms=1KB", "--tolerance \"p99_ms=1KB\": \"p99_ms\" is in ms, not a size; give a "
                          "number in its unit or a percentage"}}) {
    auto o = ParseToleranceOverride(text);
    REQUIRE(o.ok());
    auto c = CompareRuns(r, r, {*o});
    CAPTURE(text);
    REQUIRE_FALSE(c.ok());
    CHECK(c.status().code() == Status::Code::kInvalid);
    CHECK(c.status().message() == message);
  }
  for (const char* text : {"rss_bytes=4MiB", "p99_ms=250ms", "threads=7", "p99_ms=+10%"})
    CHECK(CompareRuns(r, r, {*ParseToleranceOverride(text)}).ok());
}

TEST_CASE("compare: a run that could not be judged is no pass and a missing series is named") {
  const RunResult good = testing::AbRun(4, 0.1);
  RunResult broken = good;
  broken.variants[1].outcome = VariantOutcome::kError;
  broken.variants[1].error = "process \"target\" exited with code 1\nlast log line";
  using Case = std::tuple<const RunResult*, const RunResult*, const char*>;
  for (const auto& [a, b, which] : {Case{&good, &broken, "current"}, Case{&broken, &good, "baseline"}}) {
    auto c = CompareRuns(*a, *b, {});
    REQUIRE_FALSE(c.ok());
    CHECK(c.status().code() == Status::Code::kUnavailable);
    CHECK(c.status().message() ==
          std::string("the ") + which + " run cannot be compared: variant \"naive\" ended in an "
          "error: process \"target\" exited with code 1\\nlast log line");
  }
  RunResult interrupted = good;
  interrupted.interrupted = true;
  auto i = CompareRuns(good, interrupted, {});
  REQUIRE_FALSE(i.ok());
  CHECK(i.status().message() == "the current run cannot be compared: it was interrupted");
  // An incomplete copy, a variant the run stopped before and an error of the
  // run's own were each read as "no regression" (exit 0).
  RunResult killed = good;
  killed.complete = false;
  CHECK(CompareRuns(good, killed, {}).status().message() ==
        "the current run cannot be compared: it is incomplete (written while it ran: it was "
        "killed, or runs still)");
  RunResult stopped = good;
  stopped.not_run = {stopped.variants[1].name};
  stopped.variants.pop_back();
  stopped.error = "variant propagating: setup failed";
  CHECK(CompareRuns(good, stopped, {}).status().message() ==
        "the current run cannot be compared: variant \"naive\" did not run (the run stopped "
        "before it)");
  RunResult internal = good;
  internal.error = "internal error: boom";
  CHECK(CompareRuns(internal, good, {}).status().message() ==
        "the baseline run cannot be compared: it ended in an error: internal error: boom");
  RunResult blank = good;
  for (auto& v : blank.variants) {
    v.samples = {};
    v.requests = {};
    v.request_summary.reset();
  }
  RunResult unread = good;  // close_wait may become unreadable (results-schema.md)
  for (double& x : unread.variants[0].samples.values.at("threads")) x = NAN;
  auto u = CompareRuns(good, unread, {});
  REQUIRE(u.ok());
  CHECK(RenderComparisonText(*u).find("note: variant \"propagating\": threads.peak was measured "
                                      "in the baseline but not in the current run, not judged") !=
        std::string::npos);
  auto nothing = CompareRuns(good, blank, {});
  REQUIRE_FALSE(nothing.ok());
  CHECK(nothing.status().message() ==
        "the current run cannot be compared: it measured nothing (no figure of the variants both "
        "runs have holds a value)");
  // A variant only one run has does not count: it is a note.
  RunResult extra = good;
  extra.variants.push_back(broken.variants[1]);
  extra.variants.back().name = "other";
  REQUIRE(CompareRuns(good, extra, {}).ok());

  RunResult fewer = good;
  fewer.variants[0].samples.names.erase(std::find(fewer.variants[0].samples.names.begin(),
                                                  fewer.variants[0].samples.names.end(),
                                                  "threads"));
  fewer.variants[0].samples.values.erase("threads");
  auto c = CompareRuns(good, fewer, {});
  REQUIRE(c.ok());
  CHECK(RenderComparisonText(*c).find(
            "note: variant \"propagating\": series \"threads\" is only in the baseline, not "
            "compared\n") != std::string::npos);
}

TEST_CASE("compare: a long variant name keeps every row whole") {
  RunResult r = testing::AbRun(4, 0.1);
  for (auto& v : r.variants) v.name += std::string(600, 'x');
  auto c = CompareRuns(r, r, {});
  REQUIRE(c.ok());
  const std::string text = RenderComparisonText(*c);
  size_t lines = 0;
  for (char ch : text) lines += ch == '\n';
  CHECK(lines == 2 + c->figures.size() + 1);  // title, head, a row per figure, the verdict
  CHECK(text.find("  ok\n") != std::string::npos);
}

TEST_CASE("sweep: --vary parses and combinations walk the first key fastest") {
  auto rate = ParseVary("load.rate=25,50");
  REQUIRE(rate.ok());
  CHECK(rate->values == std::vector<std::string>{"25", "50"});
  auto mode = ParseVary("variants[0].env.MODE=a,b");
  REQUIRE(mode.ok());
  const auto points = SweepPoints({*rate, *mode});
  REQUIRE(points.size() == 4);
  CHECK(SettingLabel(points[0]) == "load.rate=25,variants[0].env.MODE=a");
  CHECK(SettingLabel(points[1]) == "load.rate=50,variants[0].env.MODE=a");
  CHECK(SettingLabel(points[2]) == "load.rate=25,variants[0].env.MODE=b");
  CHECK(SettingFolder({{"target.argv[1]", "a/b c"}}) == "target.argv[1]=a_b_c");
  CHECK(SettingFolder({{"target.env.X", ".."}, {"load.rate", "5"}}) ==
        "target.env.X=..,load.rate=5");
  CHECK(SettingFolder({{"target.env.X", "../../etc\n*"}}) == "target.env.X=.._.._etc__");
  // An array, an inline table or a quoted string is one value, commas and all.
  auto argv =
      ParseVary(R"(target.argv=["svc","--port","1"],["svc","-v"],{a=1,b="x,y"},'p,q',"r\",s")");
  REQUIRE(argv.ok());
  CHECK(argv->values == std::vector<std::string>{R"(["svc","--port","1"])", R"(["svc","-v"])",
                                                 R"({a=1,b="x,y"})", "'p,q'", R"("r\",s")"});
  for (const auto& [text, message] :
       std::vector<std::pair<std::string, std::string>>{
           {"load.rate", "--vary \"load.rate\": expected KEY=V1,V2,..."},
           {"load.rate=25,,50", "--vary \"load.rate=25,,50\": empty value"},
           {"load.rate=25,", "--vary \"load.rate=25,\": empty value"},
           {"load.rate=25,50,25", "--vary \"load.rate=25,50,25\": 25 is given twice"},
           {"target.argv=[\"a\",\"b\"",
            "--vary \"target.argv=[\"a\",\"b\"\": a [ or { is not closed"},
           {"target.env.X=\"a,b", "--vary \"target.env.X=\"a,b\": a \" is not closed"}}) {
    auto r = ParseVary(text);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message() == message);
  }
}

TEST_CASE("sweep: a key in two --vary options is refused naming both") {
  auto twice = ParseVaryOptions({"load.rate=10,20", "variants[0].env.X=a", "load.rate=40"});
  REQUIRE_FALSE(twice.ok());
  CHECK(twice.status().message() ==
        "--vary \"load.rate=40\": load.rate is already varied by --vary \"load.rate=10,20\"");
  auto bad = ParseVaryOptions({"load.rate=10", "load.timeout"});
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message() == "--vary \"load.timeout\": expected KEY=V1,V2,...");
  auto good = ParseVaryOptions({"load.rate=10,20", "load.timeout=1s"});
  REQUIRE(good.ok());
  REQUIRE(good->size() == 2);
  CHECK((*good)[1].text == "load.timeout=1s");
}

TEST_CASE("sweep: two values that make the same folder name get their own folders") {
  auto x = ParseVary("target.env.X=a/b,a_b,a b,c");
  REQUIRE(x.ok());
  CHECK(SettingFolders(SweepPoints({*x})) ==
        std::vector<std::string>{"target.env.X=a_b", "target.env.X=a_b-2",
                                 "target.env.X=a_b-3", "target.env.X=c"});
}

TEST_CASE("sweep: the breaking point is the first value at which a check fails") {
  SweepData d;
  d.scenario = "hung-dependency";
  d.key = "load.rate";
  d.x_values = {"25", "50", "100"};
  for (const auto& x : d.x_values) {
    RunResult r = testing::AbRun(4, 0.1);
    for (auto& v : r.variants) {
      for (auto& c : v.checks) c.passed = v.name == "propagating" ? x != "100" : true;
      if (v.name == "naive" && x != "25") v.checks[0].passed = false;
    }
    d.runs.push_back({x, "", "out/" + x, 0, r});
  }
  const auto points = BreakingPoints(d);
  REQUIRE(points.size() == 2);
  CHECK(points[0].line == "propagating");
  CHECK(points[0].value == "100");
  CHECK(points[1].line == "naive");
  CHECK(points[1].value == "50");
  const std::string html = RenderSweepHtml(d);
  CHECK(testing::Count(html, "<svg class=\"chart\"") >= 3);  // threads, ..., p99_ms, error_ratio
  CHECK(html.find("breaks at load.rate=50") != std::string::npos);
  CHECK(RenderSweepMarkdown(d).find("| naive | breaks at load.rate=50 \\(") != std::string::npos);
  for (auto& run : d.runs)
    for (auto& v : run.result.variants)
      for (auto& c : v.checks) c.passed = true;
  CHECK(BreakingPoints(d)[0].value.empty());
  CHECK(RenderSweepText(d).find("propagating: holds at every value") != std::string::npos);
}

TEST_CASE("sweep: a crash is a break and a run that could not be judged is named") {
  SweepData d;
  d.scenario = "hung-dependency";
  d.key = "vars.life";
  d.x_values = {"30", "5", "1"};
  for (const auto& x : d.x_values) {
    RunResult r = testing::AbRun(4, 0.1);
    for (auto& v : r.variants) {
      for (auto& c : v.checks) c.passed = true;
      v.outcome = VariantOutcome::kPass;
      if (x == "5") v.outcome = VariantOutcome::kError;  // a check with nothing to compute
      if (x == "1" && v.name == "naive") {
        v.outcome = VariantOutcome::kError;
        CheckResult died;
        died.name = "processes stayed up";
        died.kind = CheckKind::kProcess;
        v.checks.push_back(died);
      }
    }
    d.runs.push_back({x, "", "out/" + x, 0, r});
  }
  const auto points = BreakingPoints(d);
  REQUIRE(points.size() == 2);
  CHECK(points[0].value.empty());
  CHECK(points[0].unjudged == std::vector<std::string>{"5"});
  CHECK(points[1].value == "1");
  CHECK(points[1].check == "processes stayed up");
  const std::string text = RenderSweepText(d);
  CHECK(text.find("propagating: holds at every value judged; not judged at vars.life=5") !=
        std::string::npos);
  CHECK(text.find("naive: breaks at vars.life=1 (processes stayed up: observed n/a, limit 0); "
                  "not judged at vars.life=5") != std::string::npos);
}

TEST_CASE("sweep: points that left no result or never ran are named") {
  SweepData d;
  d.scenario = "hung-dependency";
  d.key = "load.rate";
  d.x_values = {"10", "20", "30"};
  d.runs.push_back({"10", "", "out/10", 0, testing::AbRun(4, 0.1)});
  for (auto& v : d.runs[0].result.variants)
    for (auto& c : v.checks) c.passed = true;
  SweepRun failed{"20", "", "out/20", 3, {}};
  failed.result.error = "create output directory out/20: Not a directory";
  d.runs.push_back(failed);
  d.planned = 3;
  d.interrupted = true;
  const auto points = BreakingPoints(d);
  REQUIRE(points.size() == 2);
  CHECK(points[0].value.empty());
  CHECK(points[0].unjudged == std::vector<std::string>{"20", "30"});
  const std::string text = RenderSweepText(d);
  CHECK(text.find("  no result at load.rate=20: create output directory out/20: Not a "
                  "directory\n  interrupted: 2 of 3 points ran; the others did not\n") !=
        std::string::npos);
  CHECK(text.find("holds at every value judged; not judged at load.rate=20, 30") !=
        std::string::npos);
  CHECK(text.find("holds at every value;") == std::string::npos);
  CHECK(text.find(" — —]") != std::string::npos);  // the peaks of 20 and 30: none
  CHECK(RenderSweepMarkdown(d).find("**interrupted: 2 of 3 points ran") != std::string::npos);
  CHECK(RenderSweepHtml(d).find("<strong>no result at load.rate=20: ") != std::string::npos);
}

TEST_CASE("sweep: the report shows the failed check's figures and limits that follow the value") {
  SweepData d;
  d.scenario = "hung-dependency";
  d.key = "load.rate";
  d.x_values = {"25", "50"};
  for (const auto& x : d.x_values) {
    RunResult r = testing::AbRun(4, 0.1);
    for (auto& v : r.variants) {
      CheckResult& threads = v.checks[0];
      threads.limit_expression = "1.5 * ${load.rate} * 2s";
      threads.limit = 3 * std::stod(x);
      threads.observed = v.name == "naive" ? 232 : 51;
      threads.passed = threads.observed <= threads.limit;
    }
    d.runs.push_back({x, "", "out/" + x, 0, r});
  }
  const auto points = BreakingPoints(d);
  REQUIRE(points.size() == 2);
  CHECK(points[1].value == "25");
  CHECK(points[1].limit == 75);
  const std::string text = RenderSweepText(d);
  CHECK(text.find("naive: breaks at load.rate=25 (threads bounded by rate x budget during the "
                  "hang: observed 232, limit 75)") != std::string::npos);
  CHECK(text.find("  limit threads bounded by rate x budget during the hang = 1.5 * ${load.rate} "
                  "* 2s: [75 150]\n") != std::string::npos);
  CHECK(RenderSweepMarkdown(d).find("**limits that follow load.rate**") != std::string::npos);
  const std::string html = RenderSweepHtml(d);
  CHECK(html.find("<code>1.5 * ${load.rate} * 2s</code></td><td>75</td><td>150</td>") !=
        std::string::npos);
  // Without expressions there is no limits table.
  for (auto& run : d.runs)
    for (auto& v : run.result.variants) v.checks[0].limit_expression.clear();
  CHECK(SweepLimits(d).empty());
  CHECK(RenderSweepMarkdown(d).find("limits that follow") == std::string::npos);
}

TEST_CASE("repeat: margins are observed over limit and a changed verdict is unstable") {
  std::vector<RunResult> runs;
  for (double f : {0.5, 1.0, 0.75}) {
    RunResult r = testing::AbRun(4, 0.1);
    r.variants[0].checks[0].observed = r.variants[0].checks[0].limit * f;
    runs.push_back(r);
  }
  RepeatSummary s = SummarizeRepeats(runs);
  CHECK(s.stable);
  REQUIRE(!s.margins.empty());
  CHECK(s.margins[0].runs == 3);
  CHECK(s.margins[0].min == doctest::Approx(0.5));
  CHECK(s.margins[0].median == doctest::Approx(0.75));
  CHECK(s.margins[0].max == doctest::Approx(1.0));
  CHECK(RenderRepeatSummary(s).find("verdict stable over 3 runs: ") == 0);
  runs[1].variants[0].outcome = VariantOutcome::kFail;
  s = SummarizeRepeats(runs);
  CHECK_FALSE(s.stable);
  CHECK(RenderRepeatMarkdown(s).find("verdict UNSTABLE over 3 runs") != std::string::npos);
}

TEST_CASE("repeat: an interrupted run or one with no result is listed and not counted") {
  std::vector<RunResult> runs(3, testing::AbRun(4, 0.1));
  runs[1].interrupted = true;
  runs[1].variants[0].outcome = VariantOutcome::kInterrupted;  // as the Runner leaves it
  RepeatSummary s = SummarizeRepeats(runs);
  CHECK(s.stable);
  CHECK(s.verdicts.size() == 2);
  CHECK(s.counted == std::vector<size_t>{1, 3});
  CHECK(s.margins[0].runs == 2);
  const std::string text = RenderRepeatSummary(s);
  CHECK(text.find("verdict stable over 2 runs: ") == 0);
  CHECK(text.find("\n  run 2: interrupted, not counted\n") != std::string::npos);
  CHECK(RenderRepeatMarkdown(s).find("- run 2: interrupted, not counted\n") != std::string::npos);

  RunResult none;
  none.scenario_name = runs[0].scenario_name;
  none.error = "create output directory out/run-3: Not a directory";
  runs[2] = none;
  runs[0].variants[0].outcome = VariantOutcome::kFail;
  s = SummarizeRepeats(runs);
  CHECK(s.stable);  // one verdict left: nothing to differ from
  const std::string md = RenderRepeatMarkdown(s);
  CHECK(md.find("verdict stable over 1 run: ") != std::string::npos);
  CHECK(md.find("- run 2: interrupted, not counted\n- run 3: no result, not counted: create "
                "output directory out/run-3: Not a directory\n") != std::string::npos);
  runs[0] = none;
  CHECK(RenderRepeatSummary(SummarizeRepeats(runs)).find("no verdict: no run ended\n") == 0);
}

TEST_CASE("repeat: runs an interrupt kept from running are listed") {
  std::vector<RunResult> runs(1, testing::AbRun(4, 0.1));
  RepeatSummary s = SummarizeRepeats(runs);
  s.planned = 4;
  CHECK(RenderRepeatSummary(s).find(
            "\n  runs 2 to 4: not run, the loop was interrupted before\n") != std::string::npos);
  s.planned = 2;
  CHECK(RenderRepeatMarkdown(s).find("- run 2: not run, the loop was interrupted before\n") !=
        std::string::npos);
  s.planned = 1;
  CHECK(RenderRepeatMarkdown(s).find("not run") == std::string::npos);
}

// 3 variants x 100 custom series made a 75,034-byte comment, over the
// 65,536 characters a pull-request comment holds.
TEST_CASE("compare --markdown fits a pull-request comment and says what it left out") {
  Comparison c;
  c.scenario = "big";
  for (int i = 0; i < 2000; ++i) {
    FigureComparison f;
    f.variant = "v";
    f.metric = "series_" + std::to_string(i) + ".peak";
    f.baseline = 1;
    f.current = 1;
    f.regression = i == 1999;
    c.figures.push_back(f);
  }
  const std::string md = RenderComparisonMarkdown(c);
  CHECK(md.size() < 65536);
  CHECK(md.find("- ❌ v series\\_1999.peak: ") != std::string::npos);  // listed above the table
  CHECK(md.find(" more figures are not shown, to keep this within a pull-request comment; "
                "`faultline compare` without `--markdown` prints them all.") != std::string::npos);
  c.figures.resize(10);
  CHECK(RenderComparisonMarkdown(c).find("not shown") == std::string::npos);
}
