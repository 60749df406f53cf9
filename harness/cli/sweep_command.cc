// faultline sweep SCENARIO --vary KEY=V1,V2,... [--vary ...]: the scenario
// once per value (or combination), through the single-scenario run path
// with the values as --set overrides, then the sweep report
// (reports/sweep_report.h). A sweep is an experiment: checks failing at
// some values is its finding, not an error, so it exits 0 once every point
// ran (1 is never returned), 2 for bad usage, a scenario that does not
// load or a --vary value that does not fit its key (every point is loaded
// before the first runs), 3 when a point could not run, 130 when
// interrupted (also between two points: the report of the points that ran
// is still written).
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "harness/cli/commands.h"
#include "harness/cli/exit_status.h"
#include "harness/cli/interrupt_watch.h"
#include "harness/cli/scenario_run.h"
#include "harness/common/file.h"
#include "harness/compare/sweep_plan.h"
#include "harness/scenario/scenario_loader.h"
#include "reports/sweep_report.h"

namespace faultline {
namespace {

struct SweepOptions {
  std::string scenario;
  std::vector<std::string> vary;        // --vary KEY=V1,V2,...
  std::string out_dir;                  // default out/<file stem>-sweep
  std::vector<std::string> overrides;   // --set, applied to every point
  std::vector<std::string> variants;    // --variant
  bool quiet = false;
};

// Loads and binds the scenario as every point will, before any point runs:
// a value that does not fit its key is found at once, named with its --vary, not
// after the points before it ran. False after printing every error.
bool EveryPointLoads(const SweepOptions& o, const std::vector<VaryAxis>& axes,
                     const std::vector<SweepSetting>& points) {
  auto errors = [&](const std::vector<std::string>& set, const std::string& where) {
    std::vector<std::string> overrides = o.overrides;
    overrides.insert(overrides.end(), set.begin(), set.end());
    LoadOutcome loaded = LoadScenarioFile(o.scenario, overrides);
    for (const auto& d : loaded.errors)
      std::cerr << "faultline sweep: " << where << d.ToString() << "\n";
    if (!loaded.errors.empty()) return true;
    // Values that load but do not bind: a port that is no number once a
    // variable is expanded, as `validate` finds them.
    const std::vector<std::string> bind = BindErrors(*loaded.scenario, o.variants);
    for (const auto& e : bind)
      std::cerr << "faultline sweep: " << where << o.scenario << ": " << e << "\n";
    return !bind.empty();
  };
  if (errors({}, "")) return false;  // the scenario itself (with --set)
  bool ok = true;
  for (const auto& axis : axes)  // each value on its own: the message names it
    for (const auto& v : axis.values)
      if (errors({axis.key + "=" + v}, "--vary \"" + axis.text + "\": value " + v + ": "))
        ok = false;
  for (size_t i = 0; ok && i < points.size(); ++i) {  // values that do not fit together
    std::vector<std::string> set;
    for (const auto& [k, v] : points[i]) set.push_back(k + "=" + v);
    if (errors(set, "--vary point " + SettingLabel(points[i]) + ": ")) ok = false;
  }
  return ok;
}

int RunSweep(const SweepOptions& o) {
  StatusOr<std::vector<VaryAxis>> parsed = ParseVaryOptions(o.vary);
  if (!parsed.ok()) {
    std::cerr << "faultline sweep: " << parsed.status().message() << "\n";
    return kExitUsage;
  }
  const std::vector<VaryAxis>& axes = *parsed;
  const std::vector<SweepSetting> points = SweepPoints(axes);
  if (!EveryPointLoads(o, axes, points)) return kExitUsage;
  const std::string out =
      o.out_dir.empty() ? "out/" + std::filesystem::path(o.scenario).stem().string() + "-sweep"
                        : o.out_dir;
  std::unique_ptr<Watchdog> watchdog = StartRunEnvironment();
  if (!watchdog) return kExitCouldNotRun;
  InterruptWatch interrupts;  // a signal between two points stops the sweep, not faultline

  SweepData data;
  data.key = axes[0].key;
  data.x_values = axes[0].values;
  int status = kExitPassed;
  const std::vector<std::string> folders = SettingFolders(points);
  for (size_t i = 0; i < points.size(); ++i) {
    if (interrupts.Interrupted()) {
      status = WorseExitStatus(status, kExitInterrupted);
      break;
    }
    const SweepSetting& point = points[i];
    ScenarioRunOptions one;
    one.scenario = o.scenario;
    one.out_dir = out + "/" + folders[i];
    one.overrides = o.overrides;
    for (const auto& [k, v] : point) one.overrides.push_back(k + "=" + v);
    one.variants = o.variants;
    one.quiet = o.quiet;
    std::cout << "== sweep point " << i + 1 << " of " << points.size() << ": "
              << SettingLabel(point) << "\n" << std::flush;
    ScenarioRunOutcome ran = RunOneScenario(one, watchdog.get());
    const bool interrupted = ran.exit_status == kExitInterrupted || interrupts.Interrupted();
    // Every point loaded above: one that does not now (an unknown --variant,
    // --strict) would not at any point.
    if (ran.exit_status == kExitUsage && !ran.result && data.runs.empty() && !interrupted)
      return kExitUsage;
    if (!ran.result && interrupted) {  // stopped as it loaded: no point to report
      status = WorseExitStatus(status, kExitInterrupted);
      break;
    }
    data.scenario = ran.scenario_name;
    SweepRun run;
    run.x = point[0].second;
    run.rest = SettingLabel(SweepSetting(point.begin() + 1, point.end()));
    run.out_dir = one.out_dir;
    run.exit_status = ran.exit_status;
    if (ran.result) run.result = std::move(*ran.result);
    else run.result.error = ran.error;
    data.runs.push_back(std::move(run));
    if (ran.exit_status != kExitCheckFailed) status = WorseExitStatus(status, ran.exit_status);
    if (interrupted) {
      status = WorseExitStatus(status, kExitInterrupted);
      break;
    }
  }

  data.planned = points.size();
  data.interrupted = status == kExitInterrupted;
  std::cout << "\n" << RenderSweepText(data);
  for (const auto& [name, text] : {std::pair{"sweep.html", RenderSweepHtml(data)},
                                   std::pair{"sweep.md", RenderSweepMarkdown(data)}}) {
    const std::string path = out + "/" + name;
    Status s = WriteFileCreatingFolders(path, text);  // no folder yet when no point ran
    if (!s.ok()) {
      std::cerr << "faultline sweep: " << s.message() << "\n";
      status = WorseExitStatus(status, kExitCouldNotRun);
    }
  }
  std::cout << "sweep: " << out << "/sweep.html, " << out << "/sweep.md\n";
  return status;
}

}  // namespace

void SetupSweepCommand(CLI::App& app, int* exit_status) {
  auto opts = std::make_shared<SweepOptions>();
  CLI::App* cmd = app.add_subcommand(
      "sweep",
      "Run a scenario once per value of --vary keys; report each metric's peak against the "
      "value and each variant's breaking point");
  cmd->add_option("scenario", opts->scenario, "Scenario TOML file")->required();
  cmd->add_option("--vary", opts->vary,
                  "KEY=V1,V2,...: a scenario key and its values, set as --set does (a comma "
                  "inside [...], {...} or quotes is part of its value); several "
                  "--vary run every combination (the first is the charts' x axis)")
      ->required();
  cmd->add_option("--out", opts->out_dir,
                  "Directory for the sweep report and a folder per point (default "
                  "out/<file>-sweep)");
  cmd->add_option("--set", opts->overrides, "Override a value at every point: key.path=value");
  cmd->add_option("--variant", opts->variants, "Run only this variant (repeatable)");
  cmd->add_flag("--quiet,-q", opts->quiet, "No progress output");
  cmd->callback([opts, exit_status] { *exit_status = RunSweep(*opts); });
}

}  // namespace faultline
