#include "reports/junit_report.h"

#include <cstdio>
#include <set>
#include <vector>

#include "reports/report_figures.h"
#include "reports/text_format.h"

namespace faultline {
namespace {

std::string E(const std::string& s) { return EscapeXml(s); }

std::string Seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", s < 0 ? 0 : s);
  return buf;
}

struct TestCase {
  std::string name;
  double time = 0;
  enum Kind { kPass, kFailure, kError } kind = kPass;
  std::string message;  // failure/error message attribute
  std::string type;     // failure/error type attribute
  std::string body;     // failure/error text
  std::string out;      // <system-out>
};

struct Suite {
  std::string name;
  double time = 0;
  std::string timestamp;
  std::vector<std::pair<std::string, std::string>> properties;
  std::vector<TestCase> cases;
};

std::string Measured(const CheckResult& check) {
  const auto [observed, limit] = FormatObservedAndLimit(check.observed, check.limit, check.unit);
  std::string s = "observed " + observed + ", limit " + limit;
  return s + " (" + ToString(check.kind) + (check.metric.empty() ? "" : " of " + check.metric) +
         ")";
}

Suite VariantSuite(const std::string& scenario, const VariantResult& v,
                   const std::string& started_at) {
  const std::string expect = ToString(v.expect);
  const std::string outcome = ToString(v.outcome);
  const bool expect_fail = v.expect == Expectation::kFail;
  const bool met = v.met_expectation();

  Suite suite;
  suite.name = scenario + "." + v.name;
  suite.time = v.duration_s;
  suite.timestamp = started_at;
  suite.properties = {{"expect", expect}, {"outcome", outcome}};
  // Counts no test case carries, which a reader of the numbers needs.
  const uint64_t retried = v.SummarizedRequests().retried;
  if (retried > 0) suite.properties.emplace_back("requests_retried", std::to_string(retried));
  if (v.abandoned_requests > 0)
    suite.properties.emplace_back("requests_abandoned", std::to_string(v.abandoned_requests));

  TestCase expectation;
  expectation.name = "variant meets expectation (expected " + expect + ")";
  expectation.time = suite.time;
  if (v.outcome == VariantOutcome::kError || v.outcome == VariantOutcome::kInterrupted ||
      !v.error.empty()) {
    expectation.kind = TestCase::kError;
    expectation.type = outcome;
    expectation.message =
        !v.error.empty() ? v.error : "the variant was " + outcome + " before its checks ran";
    expectation.body = expectation.message;
  } else if (!met) {
    expectation.kind = TestCase::kFailure;
    expectation.type = "expectation";
    expectation.message = expect_fail
        ? "expected the checks to fail, but every check passed: the scenario did not detect "
          "the pathology it demonstrates"
        : "expected every check to pass; outcome " + outcome;
    expectation.body = expectation.message;
  } else if (expect_fail) {
    expectation.out = "the variant failed its checks, as the scenario expects";
  }
  suite.cases.push_back(expectation);

  for (const auto& c : v.checks) {
    TestCase tc;
    tc.name = c.name;
    const std::string& detail = c.detail;
    const std::string measured = Measured(c);
    if (c.passed) {
      tc.out = "passed: " + measured + (detail.empty() ? "" : "; " + detail);
    } else if (v.failed_as_expected(c)) {
      tc.out = "failed as expected: " + measured + (detail.empty() ? "" : "; " + detail);
    } else {
      tc.kind = TestCase::kFailure;
      tc.type = ToString(c.kind);
      tc.message = measured;
      tc.body = measured + (detail.empty() ? "" : "\n" + detail);
    }
    suite.cases.push_back(std::move(tc));
  }
  return suite;
}

// Appends the test suites of one run to `suites`, named after `id` (else
// the scenario's name); returns that name.
std::string AddRunSuites(const RunResult& results, const std::string& id,
                         std::vector<Suite>& suites) {
  const std::string scenario = !id.empty()                     ? id
                               : results.scenario_name.empty() ? std::string("scenario")
                                                               : results.scenario_name;
  const std::string& started_at = results.started_at;

  for (const auto& v : results.variants) suites.push_back(VariantSuite(scenario, v, started_at));
  // A variant the run never started is an error of its own, named as if it ran.
  for (const auto& name : results.not_run) {
    Suite suite;
    suite.name = scenario + "." + name;
    suite.timestamp = started_at;
    suite.properties = {{"outcome", "not run"}};
    TestCase tc;
    tc.name = "variant ran";
    tc.kind = TestCase::kError;
    tc.type = "not run";
    tc.message = "not run: the run stopped before this variant";
    tc.body = tc.message;
    suite.cases.push_back(tc);
    suites.push_back(suite);
  }
  // A run that stopped early gets a case of its own, so CI never shows green
  // for an experiment that did not finish.
  if (!results.error.empty() || results.interrupted || !results.complete) {
    Suite run;
    run.name = scenario;
    run.timestamp = started_at;
    TestCase tc;
    tc.name = "run completed";
    tc.kind = TestCase::kError;
    tc.type = !results.error.empty() ? "error" : results.interrupted ? "interrupted" : "incomplete";
    tc.message = !results.error.empty() ? results.error
                 : results.interrupted  ? "interrupted: the run did not finish"
                                        : IncompleteNotice();
    tc.body = tc.message;
    run.cases.push_back(tc);
    suites.push_back(run);
  }
  return scenario;
}

// A suite's id and a variant's name join with a dot, so "a.b" is both the
// run of a file a.b.toml and variant "b" of a.toml. CI tools merge suites of
// one name: a later one is renamed as output folders are ("a.b-2").
void MakeNamesUnique(std::vector<Suite>& suites) {
  std::set<std::string> used;
  for (Suite& s : suites) {
    std::string name = s.name;
    for (int n = 2; !used.insert(name).second; ++n) name = s.name + "-" + std::to_string(n);
    s.name = name;
  }
}

std::string Document(const std::string& title, std::vector<Suite> suites) {
  MakeNamesUnique(suites);
  size_t tests = 0, failures = 0, errors = 0;
  double time = 0;
  for (const auto& s : suites) {
    time += s.time;
    for (const auto& c : s.cases) {
      ++tests;
      failures += c.kind == TestCase::kFailure;
      errors += c.kind == TestCase::kError;
    }
  }

  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += "<testsuites name=\"" + E(title) + "\" tests=\"" +
         std::to_string(tests) + "\" failures=\"" + std::to_string(failures) + "\" errors=\"" +
         std::to_string(errors) + "\" time=\"" + Seconds(time) + "\">\n";
  for (const auto& s : suites) {
    size_t f = 0, e = 0;
    for (const auto& c : s.cases) {
      f += c.kind == TestCase::kFailure;
      e += c.kind == TestCase::kError;
    }
    out += "  <testsuite name=\"" + E(s.name) + "\" tests=\"" + std::to_string(s.cases.size()) +
           "\" failures=\"" + std::to_string(f) + "\" errors=\"" + std::to_string(e) +
           "\" skipped=\"0\" time=\"" + Seconds(s.time) + "\"";
    if (!s.timestamp.empty()) out += " timestamp=\"" + E(s.timestamp) + "\"";
    out += ">\n";
    if (!s.properties.empty()) {
      out += "    <properties>\n";
      for (const auto& [k, v] : s.properties)
        out += "      <property name=\"" + E(k) + "\" value=\"" + E(v) + "\"/>\n";
      out += "    </properties>\n";
    }
    for (const auto& c : s.cases) {
      out += "    <testcase classname=\"" + E(s.name) + "\" name=\"" + E(c.name) + "\" time=\"" +
             Seconds(c.time) + "\"";
      if (c.kind == TestCase::kPass && c.out.empty()) {
        out += "/>\n";
        continue;
      }
      out += ">\n";
      if (c.kind != TestCase::kPass) {
        const char* tag = c.kind == TestCase::kFailure ? "failure" : "error";
        out += std::string("      <") + tag + " message=\"" + E(c.message) + "\" type=\"" +
               E(c.type) + "\">" + E(c.body) + "</" + tag + ">\n";
      }
      if (!c.out.empty()) out += "      <system-out>" + E(c.out) + "</system-out>\n";
      out += "    </testcase>\n";
    }
    out += "  </testsuite>\n";
  }
  out += "</testsuites>\n";
  return out;
}

}  // namespace

std::string RenderJunit(const RunResult& results) {
  std::vector<Suite> suites;
  const std::string scenario = AddRunSuites(results, "", suites);
  return Document("faultline " + scenario, suites);
}

std::string RenderJunitSuite(const std::vector<JunitSuiteRun>& runs, const std::string& title) {
  std::vector<Suite> suites;
  for (const auto& r : runs) AddRunSuites(r.result, r.id, suites);
  return Document(title, suites);
}

}  // namespace faultline
