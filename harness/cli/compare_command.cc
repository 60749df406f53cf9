// faultline compare BASELINE.json CURRENT.json: the CI gate against a
// baseline run (harness/compare/compare.h). Exits 0 (no regression), 1 (a
// regression: each is named), 2 (bad input: a file that does not read, runs
// of different scenarios, a bad --tolerance), 3 (a run that cannot be
// judged: interrupted or a shared variant in error; --markdown not written;
// its folders are created).
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "harness/cli/commands.h"
#include "harness/cli/exit_status.h"
#include "harness/common/file.h"
#include "harness/compare/compare.h"
#include "harness/result/results_json.h"

namespace faultline {
namespace {

struct CompareOptions {
  std::string baseline;                  // results.json of the baseline run
  std::string current;                   // results.json of the run under test
  std::vector<std::string> tolerances;   // --tolerance METRIC=+20% | METRIC=VALUE
  std::string markdown;                  // --markdown PATH
};

int RunCompare(const CompareOptions& o) {
  std::vector<ToleranceOverride> overrides;
  for (const auto& t : o.tolerances) {
    StatusOr<ToleranceOverride> parsed = ParseToleranceOverride(t);
    if (!parsed.ok()) {
      std::cerr << "faultline compare: " << parsed.status().message() << "\n";
      return kExitUsage;
    }
    overrides.push_back(*parsed);
  }
  StatusOr<RunResult> baseline = ReadResultsFile(o.baseline);
  StatusOr<RunResult> current = ReadResultsFile(o.current);
  for (const auto* r : {&baseline, &current}) {
    if (r->ok()) continue;
    std::cerr << "faultline compare: " << r->status().message() << "\n";
    return kExitUsage;
  }
  StatusOr<Comparison> c = CompareRuns(*baseline, *current, overrides);
  if (!c.ok()) {
    std::cerr << "faultline compare: " << o.baseline << " vs " << o.current << ": "
              << c.status().message() << "\n";
    return c.status().code() == Status::Code::kInvalid ? kExitUsage : kExitCouldNotRun;
  }
  std::cout << RenderComparisonText(*c) << std::flush;
  if (!o.markdown.empty()) {
    Status s = WriteFileCreatingFolders(o.markdown, RenderComparisonMarkdown(*c));
    if (!s.ok()) {
      std::cerr << "faultline compare: " << s.message() << "\n";
      return kExitCouldNotRun;
    }
    std::cerr << "faultline compare: wrote " << o.markdown << "\n";
  }
  return c->regressions() == 0 ? kExitPassed : kExitCheckFailed;
}

}  // namespace

void SetupCompareCommand(CLI::App& app, int* exit_status) {
  auto opts = std::make_shared<CompareOptions>();
  CLI::App* cmd = app.add_subcommand(
      "compare",
      "Compare a run with a baseline run of the same scenario: exit 1 when a figure grew "
      "past its tolerance");
  cmd->add_option("baseline", opts->baseline, "results.json of the baseline (e.g. from main)")
      ->required();
  cmd->add_option("current", opts->current, "results.json of the run to judge")->required();
  cmd->add_option("--tolerance", opts->tolerances,
                  "METRIC=+20% (relative) or METRIC=VALUE (absolute); METRIC is a series "
                  "(threads), one figure (threads.peak), p99_ms or error_ratio (repeatable)");
  cmd->add_option("--markdown", opts->markdown, "Write the comparison as Markdown to PATH");
  cmd->callback([opts, exit_status] { *exit_status = RunCompare(*opts); });
}

}  // namespace faultline
