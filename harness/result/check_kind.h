// The kinds of check: shared by the scenario (CheckSpec::Kind, what a user
// writes as `kind = "max"`) and the result model (CheckResult::kind).
#pragma once

#include <optional>
#include <string_view>

namespace faultline {

enum class CheckKind {
  kMax,         // max(metric over window) <= limit
  kGrowth,      // max(metric over window) - baseline(metric) <= limit
  kRate,        // least-squares slope of metric over window, per second, <= limit
  kRecovers,    // after `after` phase ends, metric <= baseline + tolerance within `within`
  kLatency,     // latency percentile of requests started in window <= limit (a duration)
  kErrorRatio,  // non-ok requests / all requests started in window <= limit
  kProcess,     // not written in scenarios: added by the run when a process died mid-run
  kOutlived,    // percentile of how long upstream work outlived its caller who gave up <= limit
  kOrphans,     // upstream requests still open `open_for` after their caller left <= limit
  kHeld,        // threads (or goroutines) whose stack matches `frames` at a census <= limit
};
inline constexpr CheckKind kLastCheckKind = CheckKind::kHeld;  // ParseCheckKind goes up to it

/// The TOML and results.json spelling: "max", "growth", ..., "process", "outlived", "orphans",
/// "held".
const char* ToString(CheckKind kind);
/// The inverse of ToString; nullopt for any other text.
std::optional<CheckKind> ParseCheckKind(std::string_view text);

}  // namespace faultline
