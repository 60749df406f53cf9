#include <doctest/doctest.h>

#include "reports/html_report.h"
#include "reports/junit_report.h"
#include "reports/markdown_report.h"
#include "reports/report_checks.h"
#include "reports/sample_results.h"

using namespace faultline;

using faultline::testing::CheckNone;
using faultline::testing::Has;

TEST_CASE("JUnit: a suite per variant and a case per check and a variant expected to fail is green") {
  const std::string xml = RenderJunit(testing::AbRun());
  CHECK(Has(xml, "<testsuites name=\"faultline hung-dependency\" tests=\"8\" failures=\"0\" errors=\"0\""));
  CHECK(Has(xml, "<testsuite name=\"hung-dependency.propagating\" tests=\"4\" failures=\"0\""));
  CHECK(Has(xml, "<testcase classname=\"hung-dependency.naive\" name=\"variant meets expectation (expected fail)\""));
  CHECK(Has(xml, "<testcase classname=\"hung-dependency.naive\" name=\"threads bounded by rate x budget "
                 "during the hang\" time=\"0.000\">\n      <system-out>failed as expected: observed 950.4, "
                 "limit 300 (growth of threads); peak over hang - baseline 6</system-out>"));
  CheckNone(xml, {"<failure", "<error"});
}

TEST_CASE("JUnit: a failed check of a variant expected to pass is a failure with observed and limit") {
  RunResult run = testing::AbRun();
  run.variants[0].outcome = VariantOutcome::kFail;
  run.variants[0].checks[0].passed = false;
  run.variants[0].checks[0].observed = 412;
  const std::string xml = RenderJunit(run);
  CHECK(Has(xml, "<failure message=\"observed 412, limit 300 (growth of threads)\" type=\"growth\">"));
  CHECK(Has(xml, "<failure message=\"expected every check to pass; outcome fail\" type=\"expectation\">"));
  CHECK(Has(xml, "tests=\"8\" failures=\"2\" errors=\"0\""));
}

TEST_CASE("JUnit: a variant expected to fail that passes fails its expectation case") {
  RunResult run = testing::AbRun();
  run.variants[1].outcome = VariantOutcome::kPass;
  for (auto& c : run.variants[1].checks) c.passed = true;
  const std::string xml = RenderJunit(run);
  CHECK(Has(xml, "name=\"variant meets expectation (expected fail)\" time=\"22.000\">\n      <failure "
                 "message=\"expected the checks to fail, but every check passed"));
  CHECK(Has(xml, "failures=\"1\""));
}

TEST_CASE("JUnit: errored variants and an unfinished run are errors and strings are escaped") {
  const std::string xml = RenderJunit(testing::HostileRun());
  CheckNone(xml, {"<script", "\x1b"});
  CHECK(Has(xml, "<error message=\"target did not start: &lt;script&gt;alert(&quot;x&amp;y&quot;)"));
  CHECK(Has(xml, "name=\"run completed\""));
  CHECK(Has(xml, "<error message=\"run error &lt;script&gt;"));
  CHECK(Has(xml, "errors=\"2\""));
}

TEST_CASE("JUnit Markdown and HTML: a variant expected to fail that crashed shows no failure as expected") {
  RunResult run = testing::AbRun();
  VariantResult& naive = run.variants[1];
  naive.outcome = VariantOutcome::kError;
  naive.error = "process \"target\" exited with code 7";
  CheckResult died;
  died.name = "processes stayed up";
  died.kind = CheckKind::kProcess;
  died.detail = naive.error;
  naive.checks.push_back(died);
  for (const std::string& text : {RenderJunit(run), RenderMarkdown(run), RenderHtml(run)}) {
    CheckNone(text, {"failed as expected", "fail (expected)", "fail, as expected",
                     "check failed (as expected)"});
  }
  const std::string xml = RenderJunit(run);
  CHECK(Has(xml, "name=\"processes stayed up\" time=\"0.000\">\n      <failure "));
  naive.outcome = VariantOutcome::kFail;  // the checks failed on measured data: as expected
  naive.error.clear();
  naive.checks.pop_back();
  CHECK(Has(RenderJunit(run), "failed as expected"));
  CHECK(Has(RenderMarkdown(run), "fail (expected)"));
  CHECK(Has(RenderHtml(run), "fail, as expected"));
}

TEST_CASE("JUnit suite: two files of one scenario name get test suites of their own ids") {
  const RunResult run = testing::AbRun();
  const std::string xml = RenderJunitSuite({{"a", run}, {"a-2", run}}, "faultline suite");
  CHECK(Has(xml, "<testsuites name=\"faultline suite\""));
  CHECK(Has(xml, "<testsuite name=\"a.naive\" "));
  CHECK(Has(xml, "<testsuite name=\"a-2.naive\" "));
  CHECK(Has(xml, "<testcase classname=\"a-2.propagating\" "));
  CheckNone(xml, {"hung-dependency.naive"});
}

TEST_CASE("JUnit suite: a file whose name holds a dot does not merge with a variant's suite") {
  const RunResult run = testing::AbRun();
  RunResult failed;
  failed.error = "a.naive.toml:1:1: bad";
  const std::string xml = RenderJunitSuite({{"a", run}, {"a.naive", failed}}, "faultline suite");
  CHECK(Has(xml, "<testsuite name=\"a.naive\" "));
  CHECK(Has(xml, "<testsuite name=\"a.naive-2\" "));
  CHECK(Has(xml, "<testcase classname=\"a.naive-2\" name=\"run completed\""));
}

// Requests sent twice and requests left in flight by an interrupt are in no
// test case: a CI reader of junit.xml alone once could not see them.
TEST_CASE("JUnit: retried and abandoned requests are properties of their variant's suite") {
  RunResult run = testing::AbRun();
  run.variants[0].abandoned_requests = 43;
  run.variants[0].requests.Add({Outcome::kOk, 200, 1.0, 0.004, 0.0002, "", /*retried=*/true});
  const std::string xml = RenderJunit(run);
  CHECK(Has(xml, "<property name=\"requests_retried\" value=\"1\"/>"));
  CHECK(Has(xml, "<property name=\"requests_abandoned\" value=\"43\"/>"));
  CheckNone(RenderJunit(testing::AbRun()), {"requests_retried", "requests_abandoned"});
}
