// The single-scenario run path, shared by `run`, suites, `--repeat` and
// `sweep`: load a scenario (with --set overrides), run its variants, write
// results.json and the reports beside it, print the terminal summary, and
// map the ending to an exit status (docs/exit-codes.md).
//
// Call StartRunEnvironment() once per process, before any thread exists (it
// forks the watchdog), and pass its Watchdog to every RunOneScenario call;
// runs are sequential (one Runner at a time). Nothing here throws: every
// failure is an exit status and a message on stderr.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "harness/result/result.h"
#include "harness/scenario/scenario.h"
#include "harness/supervisor/supervisor.h"

namespace faultline {

struct ScenarioRunOptions {
  std::string scenario;                 // the TOML file
  std::string out_dir;                  // default: out/<scenario name>
  std::vector<std::string> overrides;   // --set key.path=value
  std::vector<std::string> variants;    // --variant NAME: run only these
  bool quiet = false;                   // no progress output
  bool strict = false;                  // warnings are errors: nothing starts
};

/// What one scenario run left behind.
struct ScenarioRunOutcome {
  int exit_status = 0;                  // ExitStatus (harness/cli/exit_status.h)
  std::string scenario_name;            // the loaded name; the file's stem when it did not load
  std::string results_path;             // empty when the scenario did not load
  std::optional<RunResult> result;      // as read back from results.json; unset when not run
  /// Why there is no result (also printed on stderr): "the scenario did not
  /// load: ...", "create output directory out/x: Not a directory".
  std::string error;
};

/// Forks the watchdog, ignores SIGPIPE and puts faultline's own directory
/// first on PATH. Prints the error and returns null when the watchdog
/// cannot start (the caller exits kExitCouldNotRun).
std::unique_ptr<Watchdog> StartRunEnvironment();

/// Runs one scenario as `faultline run` does and prints its summary to stdout.
ScenarioRunOutcome RunOneScenario(const ScenarioRunOptions& options, Watchdog* watchdog);

/// What `validate` and every run check before anything starts: each of
/// `s`'s variants (those named in `only`; all when it is empty) bound
/// (run/bind.h) with placeholder ports, as a run binds it with real ones.
/// "variant \"slow\": target.ready.port: ..." per variant that cannot be;
/// one line without the variant when every variant fails the same way.
std::vector<std::string> BindErrors(const Scenario& s, const std::vector<std::string>& only = {});

/// The worse of two exit statuses for a command that ran several scenarios:
/// interrupted > could not run > usage > check failed > passed.
int WorseExitStatus(int a, int b);

}  // namespace faultline
