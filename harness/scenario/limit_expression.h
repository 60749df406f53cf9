// Limit expressions: a check's `limit` written in terms of the scenario's
// own settings, so that "rate x budget" stays true when the rate is swept or
// set with --set:
//
//   limit = "1.5 * ${load.rate} * 2s"
//
// An expression is a product and quotient of factors, left to right:
//   FACTOR (("*" | "/") FACTOR)*
// where a FACTOR is a number ("1.5", "2e3"), a duration ("2s", "250ms", in
// seconds; in ms for a check on a metric whose name ends in "_ms"), a size ("64KiB", in bytes) or "${KEY}", a numeric scenario
// setting named by the key --set would use (LimitVariables). Spaces around
// factors are ignored. No sums, no parentheses: a limit that needs them is
// better written as a number with a comment.
//
// The loader evaluates it once, after --set (and so every sweep value) is
// applied and the sections it may name are read; the check then holds the
// resolved number, and the text is kept for reports (CheckSpec,
// CheckResult::limit_expression). Pure functions; internal to the loader
// and its tests.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "harness/common/status.h"
#include "harness/scenario/scenario.h"

namespace faultline {

/// Which units a limit's factors may carry: every unit (max, growth, rate,
/// error_ratio, held), durations only (latency, outlived: the limit is in
/// seconds), or none (orphans: a count of requests).
enum class LimitUnits { kAll, kDurations, kNone };

/// The values an expression may name, by key: `load.rate` (requests/s),
/// `load.timeout` (s), `load.max_in_flight`, `sampling.interval` (s), and per
/// phase `phases.NAME.duration` (s) and `phases.NAME.rate` (requests/s: the
/// phase's own rate, else load.rate). `scenario` must have its load,
/// sampling and phases read. Times are in units of `time_unit_s` seconds
/// (0.001 for a limit on a metric in milliseconds), rates per that unit.
std::map<std::string, double> LimitVariables(const Scenario& scenario, double time_unit_s = 1);

/// True when a string `limit` is an expression rather than one value: it
/// holds "${", "*" or "/".
bool IsLimitExpression(std::string_view text);

/// The value of `text`. Invalid, naming the bad token, for: an empty factor
/// (`expected a number, a duration, a size or ${KEY} after "*"`), an unknown
/// variable (`unknown variable "${load.rat}" (did you mean "load.rate"?)`),
/// a malformed one (`unclosed "${"`), a factor that is not a number (or not of
/// a unit `units` allows: `"20MiB" is not a number or a duration`), a
/// division by zero (`division by zero: "${load.rate}" is 0`), and a result
/// that is not finite or is negative (`comes to -3: a limit must be a finite
/// number >= 0`).
/// Durations count in units of `time_unit_s` seconds, as the variables do.
StatusOr<double> EvaluateLimitExpression(std::string_view text,
                                         const std::map<std::string, double>& variables,
                                         LimitUnits units, double time_unit_s = 1);

}  // namespace faultline
