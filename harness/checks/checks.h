// Checks: verdicts over a variant's measured time series and requests.
// Pure functions of the data, so they are tested on hand-made series.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "harness/result/result.h"
#include "harness/scenario/scenario.h"

namespace faultline {

/// Mean of each series over the samples with t in [span.start_s, span.end_s).
/// A series with no value there is left out.
std::map<std::string, double> ComputeBaseline(const Series& samples, const PhaseSpan& span);

/// Evaluates one check. `variant` must have phases, samples, baseline and
/// requests filled in. A check that cannot be computed (no samples in its
/// window, unknown metric) fails, with the reason in `detail`.
CheckResult EvaluateCheck(const CheckSpec& check, const VariantResult& variant);

/// Evaluates every check of `scenario` that applies to `variant` (a check
/// with a `variants` list applies only to those), in scenario order.
std::vector<CheckResult> EvaluateChecks(const Scenario& scenario, const VariantResult& variant);

}  // namespace faultline
