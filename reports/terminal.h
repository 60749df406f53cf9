// Terminal output: the end-of-run summary (rendered from the results read
// back from results.json, like every report) and the live progress line.
#pragma once

#include <cstdint>
#include <string>

#include "harness/result/result.h"

namespace faultline {

/// The summary printed after a run: per variant, baseline/peak/end of each
/// metric, requests by outcome, latency p50/p99/max and every check with its
/// observed value and limit; then the verdict.
std::string RenderSummary(const RunResult& results);

/// What the live line shows at one instant.
struct Progress {
  std::string variant;
  std::string phase;
  double elapsed_s = 0;
  double total_s = 0;
  double rate = 0;           // scheduled requests/s in this phase
  uint64_t in_flight = 0;
  uint64_t completed = 0;    // requests ended so far
  double threads = 0, threads_baseline = 0;
  double rss_bytes = 0, rss_baseline = 0;
  bool has_baseline = false;
};

/// One line, no newline: "[propagating] hang  12.3/22.0s  rate 100/s  in-flight 180  threads 205 (+200)  rss 14.2 MiB (+8.1 MiB)".
std::string RenderProgress(const Progress& p);

}  // namespace faultline
