// Result documents for the renderers' tests, the JUnit schema test and the
// browser test: built as RunResult values, like a run builds them, and
// serialised with ResultsToJson. Test-only (library faultline_report_samples).
#pragma once

#include <string>

#include "harness/result/result.h"

namespace faultline::testing {

/// Text a hostile scenario, log or response could hold: markup, quotes,
/// ampersands, a closing </svg>, a terminal colour sequence.
inline constexpr const char* kHostile =
    "<script>alert(\"x&y\")</script></svg><b>'q'</b> | `tick` &amp; \x1b[31mred\x1b[0m";

/// The A/B experiment the harness exists for: "propagating" (expected to
/// pass, passes: threads plateau) and "naive" (expected to fail, fails:
/// threads and memory grow through the hang), over baseline / hang
/// (fault "hang inventory") / recovery, sampled every `interval_s` for
/// `duration_s`, with a custom "goroutines" series, requests per second,
/// events and log tails.
RunResult AbRun(double duration_s = 22, double interval_s = 0.1);

/// kHostile in every string that reaches a report: scenario name,
/// description, source, variant, phase, fault, series, check, event and log
/// names and texts. One variant errored; the run has an error.
RunResult HostileRun();

/// One variant, "empty", expected to pass, that errored before anything was
/// measured: a "threads" series with no samples, no requests, no checks.
RunResult EmptyRun();

/// How many times `what` occurs in `s` (overlapping occurrences count).
inline size_t Count(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
  return n;
}

}  // namespace faultline::testing
