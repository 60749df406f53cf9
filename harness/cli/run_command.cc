// faultline run SCENARIO...: runs every variant and writes results.json.
// One file: the run as it always was. Several files or folders, or
// --shard: a suite (harness/cli/suite_command.cc). --repeat N: the same
// scenario N times with its margins (harness/cli/repeat_command.cc).
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "harness/cli/commands.h"
#include "harness/cli/exit_status.h"
#include "harness/cli/interrupt_watch.h"
#include "harness/cli/scenario_run.h"
#include "harness/cli/run_command.h"

namespace faultline {
namespace {

int RunCommand(const RunCommandOptions& o) {
  if (o.repeat < 1) {
    std::cerr << "faultline: --repeat " << o.repeat << ": expected a count of 1 or more\n";
    return kExitUsage;
  }
  const bool suite = o.scenarios.size() > 1 || !o.shard.empty() || IsFolder(o.scenarios[0]);
  if (suite && o.repeat > 1) {
    std::cerr << "faultline: --repeat runs one scenario file, not a suite\n";
    return kExitUsage;
  }
  if (suite) return RunSuite(o);
  if (o.repeat > 1) return RunRepeated(o);
  std::unique_ptr<Watchdog> watchdog = StartRunEnvironment();
  if (!watchdog) return kExitCouldNotRun;
  // The run's Runner catches SIGINT and SIGTERM only while it exists; this
  // keeps them caught while the results and reports are written after it,
  // so that a signal then ends the command with 130 once they are whole.
  InterruptWatch interrupts;
  ScenarioRunOptions one;
  one.scenario = o.scenarios[0];
  one.out_dir = o.out_dir;
  one.overrides = o.overrides;
  one.variants = o.variants;
  one.quiet = o.quiet;
  one.strict = o.strict;
  const int status = RunOneScenario(one, watchdog.get()).exit_status;
  return interrupts.Interrupted() ? WorseExitStatus(status, kExitInterrupted) : status;
}

}  // namespace

void SetupRunCommand(CLI::App& app, int* exit_status) {
  auto opts = std::make_shared<RunCommandOptions>();
  CLI::App* cmd = app.add_subcommand(
      "run",
      "Run a scenario's variants and check the results; several files or folders run as a suite");
  cmd->add_option("scenario", opts->scenarios,
                  "Scenario TOML file; several files, or folders of *.toml files, run as a suite")
      ->required();
  cmd->add_option("--out", opts->out_dir,
                  "Directory for results.json and logs (default out/<name>; a suite: out, a "
                  "folder per scenario)");
  cmd->add_option("--set", opts->overrides,
                  "Override a scenario value: key.path=value (repeatable)");
  cmd->add_option("--variant", opts->variants, "Run only this variant (repeatable)");
  cmd->add_option("--shard", opts->shard,
                  "Run only shard I of N (I/N, e.g. 2/4) of the suite's scenarios");
  cmd->add_option("--repeat", opts->repeat,
                  "Run the scenario N times and report whether the verdict was stable and each "
                  "check's margin");
  cmd->add_flag("--quiet,-q", opts->quiet, "No progress output");
  cmd->add_flag("--strict", opts->strict, "Treat scenario warnings as errors (for CI)");
  cmd->callback([opts, exit_status] { *exit_status = RunCommand(*opts); });
}

}  // namespace faultline
