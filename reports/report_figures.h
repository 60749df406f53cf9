// Figures the renderers derive from the result model the same way: the run's
// verdict word, the outcome classes requests are shown by, and a series'
// baseline, peak and end.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "harness/result/result.h"

namespace faultline {

/// "PASSED", "FAILED", "INTERRUPTED", "ERROR" (the run could not complete,
/// or a variant could not be judged: exit 3) or "INCOMPLETE" (a copy
/// written while the run went on: it was killed, or still runs).
std::string RunVerdict(const RunResult& result);

/// "not run: b, c (the run stopped before them)": the selected variants an
/// error or an interrupt kept from starting (RunResult::not_run).
std::string NotRunNotice(const std::vector<std::string>& names);

/// "and 43 requests still in flight when the run was interrupted: ...", for
/// a variant's abandoned requests beside its request counts.
std::string AbandonedNote(uint64_t abandoned);

/// "3 requests were sent a second time, ...", for a variant's requests that
/// the load generator retried on a new connection (RequestSummary::retried).
std::string RetriedNote(uint64_t retried);

/// What every report says of a result that is not complete.
std::string IncompleteNotice();

/// A class of request outcome (a chart, a table row or a count each).
struct OutcomeClass {
  enum class Kind { kOk, kStatus, kTimeout, kReset, kConnectError, kDropped };
  Kind kind = Kind::kOk;
  int status = 0;     // the HTTP status code, for kStatus
  std::string label;  // "ok", "HTTP 504", "timeout", "connect error"

  /// How many requests of `counts` are in this class.
  uint64_t CountIn(const OutcomeCounts& counts) const;
};

/// Every class present in any of `totals`: ok always, then each HTTP status
/// code that appears (ascending), then timeout, reset, connect error and
/// dropped when their count is above zero.
std::vector<OutcomeClass> OutcomeClasses(const std::vector<OutcomeCounts>& totals);

/// A sample series of one variant at a glance; NaN where there is no value.
struct SeriesExtent {
  double baseline = NAN;  // the variant's baseline (mean over the baseline phase)
  double peak = NAN;      // the largest sample (the first one, on a tie)
  double end = NAN;       // the last sample that is not a gap
};
/// The extent of series `name` in `v` (all NaN when `v` has no such series).
SeriesExtent Extent(const VariantResult& v, const std::string& name);

}  // namespace faultline
