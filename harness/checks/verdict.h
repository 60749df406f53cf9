// Verdict: how a variant that ran to its end came out. Pure: a function of
// what was measured, tested on hand-made results.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "harness/result/result.h"
#include "harness/scenario/scenario.h"

namespace faultline {

/// The check the run adds when a process died mid-run: named "processes
/// stayed up", kind process, failed, with `why` (the exit) as its detail.
CheckResult ProcessesStayedUp(const std::string& why);

/// Judges `variant`, whose phases, samples and requests are filled in:
///  - baseline: the mean of each series over the phase named
///    `baseline_phase` (the first phase when none has that name);
///  - checks: each of `checks` in order, then ProcessesStayedUp(*process_died)
///    when a process died mid-run;
///  - outcome: pass when every check passed, fail otherwise; but error, with
///    `error` saying why, when a check could not be computed (no samples, no
///    requests, no baseline) or when a process died in a variant expected to
///    fail: an expected failure is met only by a check that failed on
///    measured data, never by nothing to judge or by a crash.
/// A variant with no phases gets no baseline.
void Judge(const std::vector<CheckSpec>& checks, const std::string& baseline_phase,
           const std::optional<std::string>& process_died, VariantResult* variant);

}  // namespace faultline
