// faultline run A.toml B.toml DIR/ [--shard I/N]: a suite, every scenario in
// turn through the single-scenario run path, each in its own folder.
#include <filesystem>
#include <iostream>
#include <memory>
#include <map>
#include <string>
#include <vector>

#include "harness/cli/exit_status.h"
#include "harness/cli/interrupt_watch.h"
#include "harness/cli/run_command.h"
#include "harness/cli/scenario_run.h"
#include "harness/cli/suite_plan.h"
#include "harness/common/file.h"
#include "reports/junit_report.h"
#include "reports/suite_report.h"

namespace faultline {
namespace fs = std::filesystem;

bool IsFolder(const std::string& path) {
  std::error_code ec;
  return fs::is_directory(path, ec);
}

int RunSuite(const RunCommandOptions& o) {
  if (!o.variants.empty()) {
    std::cerr << "faultline: --variant selects a variant of one scenario, not of a suite\n";
    return kExitUsage;
  }
  Shard shard;
  if (!o.shard.empty()) {
    StatusOr<Shard> parsed = ParseShard(o.shard);
    if (!parsed.ok()) {
      std::cerr << "faultline: " << parsed.status().message() << "\n";
      return kExitUsage;
    }
    shard = *parsed;
  }
  StatusOr<std::vector<std::string>> files = ExpandScenarioPaths(o.scenarios);
  if (!files.ok()) {
    std::cerr << "faultline: " << files.status().message() << "\n";
    return kExitUsage;
  }
  const std::vector<std::string> selected = SelectShard(*files, shard);
  const std::string out = o.out_dir.empty() ? "out" : o.out_dir;
  std::error_code ec;
  fs::create_directories(out, ec);
  if (ec) {
    std::cerr << "faultline: create output directory " << out << ": " << ec.message() << "\n";
    return kExitCouldNotRun;
  }
  std::cerr << "faultline: suite of " << files->size() << " scenario"
            << (files->size() == 1 ? "" : "s");
  if (!o.shard.empty())
    std::cerr << ", shard " << shard.index << "/" << shard.count << ": " << selected.size();
  std::cerr << "\n";

  std::unique_ptr<Watchdog> watchdog = StartRunEnvironment();
  if (!watchdog) return kExitCouldNotRun;
  InterruptWatch interrupts;  // a signal between two scenarios stops the suite, not faultline
  std::vector<SuiteEntry> entries;
  const std::map<std::string, std::string> folders = ScenarioFolders(*files, out);
  int status = kExitPassed;
  for (const auto& file : selected) {
    if (interrupts.Interrupted()) {
      status = WorseExitStatus(status, kExitInterrupted);
      break;
    }
    ScenarioRunOptions one;
    one.scenario = file;
    one.out_dir = folders.at(file);
    one.overrides = o.overrides;
    one.quiet = o.quiet;
    one.strict = o.strict;
    std::cout << "== " << file << "\n" << std::flush;
    ScenarioRunOutcome ran = RunOneScenario(one, watchdog.get());
    SuiteEntry entry;
    entry.file = file;
    entry.exit_status = ran.exit_status;
    if (ran.result) {
      entry.result = std::move(*ran.result);
      entry.out_dir = one.out_dir;
    } else {
      entry.result.scenario_name = ran.scenario_name;
      entry.result.error = ran.error;
      // A signal while it loaded: that, not the load, is why it has no result.
      if (interrupts.Interrupted()) {
        entry.exit_status = kExitInterrupted;
        entry.result.interrupted = true;
        entry.result.error = "interrupted before it ran";
      }
    }
    entries.push_back(std::move(entry));
    status = WorseExitStatus(status, ran.exit_status);
    if (ran.exit_status == kExitInterrupted || interrupts.Interrupted()) {
      status = WorseExitStatus(status, kExitInterrupted);
      break;
    }
  }

  // The scenarios an interrupt kept from running are in the summaries too:
  // a suite cut short must not read as a shorter suite that passed.
  for (size_t i = entries.size(); i < selected.size() && status == kExitInterrupted; ++i) {
    SuiteEntry entry;
    entry.file = selected[i];
    entry.not_run = true;
    entry.exit_status = kExitInterrupted;
    entry.result.scenario_name = fs::path(selected[i]).stem().string();
    entry.result.interrupted = true;
    entry.result.error = "not run: the suite was interrupted before it";
    entries.push_back(std::move(entry));
  }

  std::vector<JunitSuiteRun> runs;
  for (const auto& e : entries)
    runs.push_back({fs::path(folders.at(e.file)).filename().string(), e.result});
  std::string title = "faultline suite";
  if (!o.shard.empty()) title += " shard " + o.shard;
  const std::string junit = (fs::path(out) / "junit.xml").string();
  const std::string markdown = (fs::path(out) / "summary.md").string();
  for (const auto& [path, text] : {std::pair{junit, RenderJunitSuite(runs, title)},
                                   std::pair{markdown, RenderSuiteMarkdown(entries, title)}}) {
    Status s = WriteFileAtomic(path, text);
    if (!s.ok()) {
      std::cerr << "faultline: " << s.message() << "\n";
      status = WorseExitStatus(status, kExitCouldNotRun);
    }
  }
  std::cout << "\n" << RenderSuiteSummary(entries);
  std::cout << "suite: " << markdown << ", " << junit << "\n";
  return status;
}

}  // namespace faultline
