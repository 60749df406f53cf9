// Runner: runs a scenario's selected variants one after another and returns
// what they measured. For each variant it binds the scenario to freshly
// allocated ports (run/bind.h) and hands the Plan to a new VariantRun
// (run/variant_run.h), which starts the processes, drives the phases and
// judges the result. The Runner owns what outlives a variant: the event
// loop, the signals, the run's metadata and the checkpoints.
//
// Every step has a deadline (readiness, each phase, draining, teardown), so
// Run() always returns. The first SIGINT/SIGTERM stops the run in order:
// processes are stopped, what was measured is kept, and the result is marked
// interrupted; a second one kills every process at once. results.json is
// rewritten atomically (by the checkpoint) after every variant and at the
// end, so an interrupted or killed run still leaves what it measured. A
// handler that throws (a bug) fails the run, and the variant under way
// stops as after an interrupt, its teardown commands included.
#pragma once

#include <exception>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "harness/result/result.h"
#include "harness/run/bind.h"
#include "harness/scenario/scenario.h"
#include "harness/supervisor/supervisor.h"

namespace boost::asio {
class io_context;
}

namespace faultline {

struct RunOptions {
  std::string out_dir;                       // results.json and logs/<variant>/<process>.log
  std::vector<std::string> overrides;        // --set values, recorded in the result
  std::vector<std::string> only_variants;    // empty = all
  bool live_progress = false;                // rewrite one line (a TTY) vs periodic plain lines
  std::ostream* progress = nullptr;          // where progress goes (stderr); null = none
  /// Called with the result so far (`complete` false) before the first
  /// variant and after each one; the CLI writes results.json from it.
  /// Run() returns the final result, `complete` true.
  std::function<void(const RunResult&)> checkpoint;
};

/// How the run ended, for the exit status.
enum class RunEnd {
  kCompleted,    // every selected variant ran (checks may have failed)
  kCouldNotRun,  // a process did not start or become ready, a port could not be bound
  kInvalid,      // the scenario could not be applied (e.g. a bad expanded URL)
  kInterrupted,  // SIGINT/SIGTERM
};

class Runner {
 public:
  Runner(const Scenario& scenario, RunOptions options, Watchdog* watchdog);
  ~Runner();
  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;

  /// Runs every selected variant; blocks until done. Call once.
  RunResult Run(RunEnd* end);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

/// Runs `io` until it runs out of work or is stopped. A handler that throws
/// ends only itself: `recover` is called with the exception, and the loop
/// runs on while it returns true; false returns at once, the rest of the
/// work left undone.
void RunRecovering(boost::asio::io_context& io,
                   const std::function<bool(const std::exception&)>& recover);

}  // namespace faultline
