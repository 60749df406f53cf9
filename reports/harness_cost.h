// The harness's own cost, kept apart from the target's metrics: how long each
// sample took (`sample_ms`), how late the event loop ran (`loop_lag_ms`), and
// how late the load generator sent its requests (requests.start_lag_ms). A
// reader checks here that the instrument was not the bottleneck.
//
// The harness series are not target metrics: charts and metric tables leave
// them out (IsHarnessSeries), and the section is empty for results without
// any of these figures (files before issue 8), so those render as before.
#pragma once

#include <cmath>
#include <string>
#include <vector>

#include "harness/result/result.h"

namespace faultline {

/// "sample_ms" and "loop_lag_ms": series that measure faultline itself.
bool IsHarnessSeries(const std::string& name);

/// Nearest-rank percentile `p` (0..100) of the finite values; NaN when none.
double SeriesPercentile(const std::vector<double>& values, double p);

/// One variant's harness figures, in milliseconds; NaN where not recorded.
struct HarnessCost {
  double sample_p50_ms = NAN;
  double sample_max_ms = NAN;
  double loop_lag_p99_ms = NAN;
  double loop_lag_max_ms = NAN;
  LatencySummary start_lag;
  bool any() const;  // at least one figure was recorded
};
HarnessCost HarnessCostOf(const VariantResult& v, const RequestSummary& requests);

/// The report's "Harness cost" section: one row per variant, with its name
/// and colour swatch. Empty when no variant has any harness figure.
struct HarnessCostRow {
  std::string variant;
  std::string colour;
  HarnessCost cost;
};
std::string HtmlHarnessCost(const std::vector<HarnessCostRow>& rows);

}  // namespace faultline
