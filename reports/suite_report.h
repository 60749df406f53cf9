// The summary of a suite (`faultline run A.toml B.toml DIR/`): a line per
// scenario with its verdict and variants, for the terminal and as Markdown
// (summary.md for a CI step summary). The suite's JUnit XML is
// RenderJunitSuite(runs, title) (reports/junit_report.h).
#pragma once

#include <string>
#include <vector>

#include "harness/result/result.h"

namespace faultline {

/// One scenario of a suite as it ended.
struct SuiteEntry {
  std::string file;          // the scenario file as named or found
  std::string out_dir;       // its own folder under --out
  int exit_status = 0;       // the exit status `faultline run FILE` would have had
  bool not_run = false;      // an interrupt stopped the suite before it (verdict NOT RUN)
  RunResult result;          // as read back; for a scenario that left none (it did not
                             // load, its folder could not be made), only
                             // scenario_name and error (why) are set
};

/// The suite's verdict word: PASSED when every entry exited 0, INTERRUPTED
/// when one was interrupted or did not run, ERROR when one could not run or did not load,
/// FAILED otherwise.
std::string SuiteVerdict(const std::vector<SuiteEntry>& entries);

/// "suite: 3 scenarios, 2 passed, 1 failed" and a line per scenario:
/// "  FAILED  quick (tests/quick.toml): 1 of 2 variants met their expectation -> out/quick".
std::string RenderSuiteSummary(const std::vector<SuiteEntry>& entries);

/// The same as a Markdown table, every name escaped; per scenario the link
/// to its own summary.md is its folder, relative to the suite's --out.
/// `title` heads it: "faultline suite shard 2/4" for a shard.
std::string RenderSuiteMarkdown(const std::vector<SuiteEntry>& entries,
                                const std::string& title = "faultline suite");

}  // namespace faultline
