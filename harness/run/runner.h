// Runner: runs a scenario's variants one after another and returns what
// they measured. Owns the timeline of one variant: start the dependencies
// (behind their fault proxies) and the target, drive load through the
// phases while sampling, then tear everything down and evaluate the checks.
//
// Every step has a deadline (readiness, each phase, draining, teardown), so
// Run() always returns. SIGINT/SIGTERM end the run early: processes are
// stopped, what was measured is kept, and the result is marked interrupted.
// results.json is rewritten atomically after every variant and at the end,
// so an interrupted or killed run still leaves what it measured.
#pragma once

#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "harness/common/asio.h"
#include "harness/result/result.h"
#include "harness/scenario/scenario.h"
#include "harness/supervisor/supervisor.h"

namespace faultline {

struct RunOptions {
  std::string out_dir;                       // results.json and logs/<variant>/<process>.log
  std::vector<std::string> overrides;        // --set values, recorded in the result
  std::vector<std::string> only_variants;    // empty = all
  bool live_progress = false;                // rewrite one line (a TTY) vs periodic plain lines
  std::ostream* progress = nullptr;          // where progress goes (stderr); null = none
  /// Called with the result so far after each variant and at the end; the
  /// CLI writes results.json from it.
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

/// Splits "http://HOST:PORT/prefix" where HOST is a loopback address
/// (127.x.y.z, [::1] or localhost). Invalid otherwise: faultline only ever
/// sends load to this machine.
struct LoopbackUrl {
  std::string host;    // numeric: "127.0.0.1" or "::1"
  uint16_t port = 0;
  std::string prefix;  // "" or "/api"
};
StatusOr<LoopbackUrl> ParseLoopbackUrl(const std::string& url);

}  // namespace faultline
