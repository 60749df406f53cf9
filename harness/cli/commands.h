// The subcommands. Each lives in its own file with an options struct, a
// Setup function that registers it on the CLI, and a Run function that
// returns an exit status.
#pragma once

#include <CLI/CLI.hpp>

namespace faultline {

/// Registers `run`; the callback stores the exit status in *exit_status.
void SetupRunCommand(CLI::App& app, int* exit_status);
/// Registers `validate`.
void SetupValidateCommand(CLI::App& app, int* exit_status);
/// Registers `report`: renders HTML/JUnit/Markdown (and --summary) from a saved results.json.
void SetupReportCommand(CLI::App& app, int* exit_status);
/// Registers `proxy`: the fault proxy stand-alone, with its control API.
void SetupProxyCommand(CLI::App& app, int* exit_status);
/// Registers `compare`: a run against a baseline run, with tolerances.
void SetupCompareCommand(CLI::App& app, int* exit_status);
/// Registers `sweep`: a scenario once per value of --vary keys, with breaking points.
void SetupSweepCommand(CLI::App& app, int* exit_status);

}  // namespace faultline
