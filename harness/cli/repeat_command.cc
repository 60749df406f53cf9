// faultline run SCENARIO --repeat N: the same scenario N times, through the
// single-scenario run path, and whether its verdict held.
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "harness/cli/exit_status.h"
#include "harness/cli/interrupt_watch.h"
#include "harness/cli/run_command.h"
#include "harness/cli/scenario_run.h"
#include "harness/common/file.h"
#include "reports/repeat_report.h"

namespace faultline {

int RunRepeated(const RunCommandOptions& o) {
  std::unique_ptr<Watchdog> watchdog = StartRunEnvironment();
  if (!watchdog) return kExitCouldNotRun;
  const std::string& file = o.scenarios[0];
  const std::string out =
      o.out_dir.empty() ? "out/" + std::filesystem::path(file).stem().string() : o.out_dir;
  InterruptWatch interrupts;  // a signal between two runs stops the loop, not faultline
  std::vector<RunResult> runs;
  int status = kExitPassed;
  for (int i = 1; i <= o.repeat; ++i) {
    if (interrupts.Interrupted()) {
      status = WorseExitStatus(status, kExitInterrupted);
      break;
    }
    ScenarioRunOptions one;
    one.scenario = file;
    one.overrides = o.overrides;
    one.variants = o.variants;
    one.quiet = o.quiet;
    one.strict = o.strict;
    one.out_dir = out + "/run-" + std::to_string(i);
    std::cout << "== run " << i << " of " << o.repeat << "\n" << std::flush;
    ScenarioRunOutcome ran = RunOneScenario(one, watchdog.get());
    const bool interrupted = ran.exit_status == kExitInterrupted || interrupts.Interrupted();
    // Did not load and nothing ran before: it would be the same every time.
    if (!ran.result && runs.empty() && !interrupted && ran.exit_status == kExitUsage)
      return ran.exit_status;
    status = WorseExitStatus(status, interrupted ? kExitInterrupted : ran.exit_status);
    if (ran.result) {
      runs.push_back(std::move(*ran.result));
    } else {  // no verdict, but the summary says why
      RunResult none;
      none.scenario_name = ran.scenario_name;
      none.interrupted = interrupted;
      none.error = interrupted ? "interrupted before it ran" : ran.error;
      runs.push_back(std::move(none));
    }
    if (interrupted) break;
  }
  RepeatSummary summary = SummarizeRepeats(runs);
  summary.planned = static_cast<size_t>(o.repeat);
  std::cout << "\n" << RenderRepeatSummary(summary);
  const std::string path = out + "/repeat.md";
  Status s = WriteFileCreatingFolders(path, RenderRepeatMarkdown(summary));
  if (!s.ok()) {
    std::cerr << "faultline: " << s.message() << "\n";
    status = WorseExitStatus(status, kExitCouldNotRun);
  }
  std::cout << "repeat: " << path << "\n";
  if (!summary.stable) status = WorseExitStatus(status, kExitCheckFailed);
  return status;
}

}  // namespace faultline
