// `faultline run`'s options and its three ways to run: one scenario
// (harness/cli/scenario_run.h), a suite of scenarios (suite_command.cc) and
// one scenario repeated (repeat_command.cc). Each returns an exit status
// (docs/exit-codes.md) and prints what went wrong on stderr.
#pragma once

#include <string>
#include <vector>

namespace faultline {

struct RunCommandOptions {
  std::vector<std::string> scenarios;   // files and folders of *.toml files
  std::string out_dir;                  // default: out/<name> (one), out (a suite)
  std::vector<std::string> overrides;   // --set key.path=value
  std::vector<std::string> variants;    // --variant NAME: run only these
  std::string shard;                    // --shard I/N; empty: all
  int repeat = 1;                       // --repeat N
  bool quiet = false;                   // no progress output
  bool strict = false;                  // --strict: warnings are errors
};

/// Whether `path` names a folder (a suite of the *.toml files in it).
bool IsFolder(const std::string& path);

/// Runs every scenario of the suite (after --shard) in turn, each into
/// <out>/<scenario file stem>/, then writes <out>/summary.md and
/// <out>/junit.xml (a testsuite per scenario variant) and prints the suite
/// summary. Returns the worst of the scenarios' exit statuses; stops at the
/// first interrupted one.
int RunSuite(const RunCommandOptions& options);

/// Runs the one scenario options.repeat times, into <out>/run-1 ...
/// <out>/run-N, then prints and writes <out>/repeat.md: whether the
/// verdict was the same every time, and per check its margin (observed /
/// limit: min, median, max). Returns the worst exit status, and at least
/// kExitCheckFailed when the verdicts differed.
int RunRepeated(const RunCommandOptions& options);

}  // namespace faultline
