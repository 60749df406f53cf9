// Events on the charts themselves: every event a variant recorded (process
// exits, fault changes, and whatever kinds of event other parts add: they
// are drawn alike, from their time and message) and every failed check,
// as vertical markers with a label that shows on hover.
#pragma once

#include <string>
#include <vector>

#include "harness/result/result.h"
#include "reports/svg_chart.h"

namespace faultline {

/// When a failed check is drawn: the moment it failed (`at_s`: the first
/// sample past the limit, a recovery deadline, a census), else the end of the
/// window it judged (`window_end_s`). A check from a results.json written
/// before those fields: the end of the last phase its window names (read from
/// its detail, "... over hang+recovery", "... started in hang"; a recovers
/// check: the end of the run), else the end of the variant's last phase; NaN
/// for a variant with no phases and no duration.
double FailedCheckTime(const VariantResult& v, const CheckResult& check);

/// Events past this many are drawn a marker per slice of their span.
inline constexpr size_t kMaxEventMarkers = 40;

/// The markers of `v`, in time order: its events ("naive · 12.3s · process
/// \"target\" exited with status 1") and its failed checks ("naive · 10.4s ·
/// check failed: threads bounded: observed 959, limit 300 = 1.5 * ${load.rate}
/// * 2s"; the time and the limit's expression only when the check has them),
/// in `colour`. Over kMaxEventMarkers events, a marker per slice of their
/// span ("naive · 3.0s · 41 events to 3.4s, the first: faults on ...").
std::vector<ChartMarker> EventMarkers(const VariantResult& v, const std::string& colour);

/// The phases shaded under every chart of a run, labelled "hang: hang
/// inventory" (name, then faults): every variant runs the scenario's
/// phases, but one that crashed or was interrupted ran fewer, the last cut
/// short, so they are those of the variant that ran the most of them.
std::vector<ChartBand> PhaseBands(const std::vector<const VariantResult*>& variants);

}  // namespace faultline
