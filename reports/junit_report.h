// JUnit XML for CI (Jenkins, GitLab, GitHub test reporters): a <testsuite>
// per variant, a <testcase> per check, plus one test case per variant that
// carries the variant's expectation. Mapping: docs/reports.md.
#pragma once

#include <string>
#include <vector>

#include "harness/result/result.h"

namespace faultline {

/// Renders a run's results as JUnit XML (valid against
/// reports/testdata/junit.xsd). A variant expected to fail that failed is
/// green: its failed checks are passing test cases whose <system-out> says
/// "failed as expected: ...". A variant that missed its expectation has a
/// failing "variant meets expectation" case; one that could not run (or was
/// interrupted) has an <error>. Deterministic; every string is escaped.
std::string RenderJunit(const RunResult& results);

/// One run of a suite and its id there: the name of its output folder, which
/// is unique in the suite ("quick", "quick-2" for a second quick.toml).
struct JunitSuiteRun {
  std::string id;
  RunResult result;
};

/// One JUnit document for several runs (a suite): the test suites of each
/// run, as RenderJunit gives them but named by the run's id ("id.variant",
/// so two files of the same scenario name stay apart), in order, under one
/// <testsuites name="`title`">.
std::string RenderJunitSuite(const std::vector<JunitSuiteRun>& runs, const std::string& title);

}  // namespace faultline
