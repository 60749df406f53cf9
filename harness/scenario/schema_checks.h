// The scenario schema's checks: the check kinds and the rows of a
// `[[checks]]` table (and of a `[[census]]` moment, which `held` checks
// name). Part of schema.h, which includes it; see there for how rows are
// added.
#pragma once

#include "harness/scenario/key_schema.h"
#include "harness/scenario/scenario.h"

namespace faultline::schema {

// A check kind's label is its default name (check_names.h): {kind},
// {metric}, {window}, {after}, {within} and {percentile} are filled in.
inline constexpr Choice kCheckKindChoices[] = {
    {static_cast<int>(CheckSpec::Kind::kMax), "max", "the maximum of the metric over the window",
     "{kind} {metric} over {window}"},
    {static_cast<int>(CheckSpec::Kind::kGrowth), "growth",
     "the maximum of the metric over the window minus its baseline",
     "{kind} {metric} over {window}"},
    {static_cast<int>(CheckSpec::Kind::kRate), "rate",
     "the least-squares slope of the metric over the window, in units per second",
     "{kind} {metric} over {window}"},
    {static_cast<int>(CheckSpec::Kind::kRecovers), "recovers",
     "the seconds from the end of `after` to the sample from which the metric stays at or "
     "below baseline + `tolerance` through the deadline (`after`'s end + `within`); fails "
     "when it is not back by then",
     "{metric} recovers within {within} after {after}"},
    {static_cast<int>(CheckSpec::Kind::kLatency), "latency",
     "the `percentile` of the latencies, in seconds, of the requests started in the window",
     "p{percentile} latency over {window}"},
    {static_cast<int>(CheckSpec::Kind::kErrorRatio), "error_ratio",
     "non-ok requests / all requests started in the window; dropped requests count as errors",
     "{kind} over {window}"},
    {static_cast<int>(CheckSpec::Kind::kOutlived), "outlived",
     "the `percentile`, in seconds, of how long the upstream requests to `dependency` of the "
     "client requests that gave up (timeout or reset) outlived them (0 for those that ended "
     "first); needs the target to forward `traceparent`",
     "p{percentile} outlived the caller on {dependency}"},
    {static_cast<int>(CheckSpec::Kind::kOrphans), "orphans",
     "the upstream requests to `dependency` still open at the end of the variant at least "
     "`open_for` after their caller left (gave up or got its answer)",
     "orphans on {dependency} open {open_for} after the caller left"},
    {static_cast<int>(CheckSpec::Kind::kHeld), "held",
     "the threads (or goroutines) whose stack matches `frames` at the census `at`",
     "held {frames} at {at}"},
};
inline constexpr ChoiceList kCheckKinds{"check kind", kCheckKindChoices,
                                        &kEnumTag<CheckSpec::Kind>};

inline constexpr KindSet kMetricChecks = Kinds(CheckSpec::Kind::kMax, CheckSpec::Kind::kGrowth,
                                               CheckSpec::Kind::kRate, CheckSpec::Kind::kRecovers);
inline constexpr KindSet kRecovers = Kinds(CheckSpec::Kind::kRecovers);
inline constexpr KindSet kAuditChecks = Kinds(CheckSpec::Kind::kOutlived, CheckSpec::Kind::kOrphans);
inline constexpr KindSet kHeld = Kinds(CheckSpec::Kind::kHeld);
inline constexpr KindSet kLimitChecks = kAllKinds & ~kRecovers;
inline constexpr KindSet kWindowChecks = kLimitChecks & ~kAuditChecks & ~kHeld;

inline constexpr Key kCheckKeys[] = {
    {.name = "name", .type = Type::kNonEmptyString,
     .doc = "unique; shown in reports and JUnit; the default describes the check, e.g. "
            "`\"growth threads over hang\"`; generated names are made unique with a suffix "
            "`\" (2)\"`",
     .def_note = "generated"},
    {.name = "kind", .type = Type::kEnum, .doc = "what is computed (see below)",
     .choices = &kCheckKinds, .required = kAllKinds},
    {.name = "metric", .type = Type::kString, .doc = "the series the check reads",
     .type_note = "(a metric name)", .applies = kMetricChecks, .required = kMetricChecks},
    {.name = "phases", .type = Type::kStrings,
     .doc = "the window: the union of these phases; empty: the whole run",
     .def = Default<&CheckSpec::phases>, .type_note = "(phase names)", .applies = kWindowChecks},
    {.name = "limit", .type = Type::kLimit,
     .doc = "a duration becomes seconds (`\"2s\"` = 2), or ms on a metric whose name ends in "
            "`_ms` (`loop_lag_ms`: `\"50ms\"` = 50), a size bytes (`\"20MiB\"` = 20971520); a "
            "duration on a metric in bytes or percent, a size on one in ms or percent, and either "
            "on a built-in count (`threads`, `fds`, `upstream.D`, ...) is an error; for latency and outlived only a duration or a number of seconds, for orphans only "
            "a number; or an expression that follows the scenario's settings, "
            "`\"1.5 * ${load.rate} * 2s\"` (see [limit expressions](#limit-expressions)); "
            "never below 0, and at most 1 for error_ratio",
     .type_note = ", or an expression", .applies = kLimitChecks, .required = kLimitChecks},
    {.name = "at_least", .type = Type::kBool,
     .doc = "pass when the observed value is at least `limit` rather than at most: shows that a "
            "fault had its effect (latency went up, errors came)",
     .def = Default<&CheckSpec::at_least>, .applies = kLimitChecks},
    {.name = "percentile", .type = Type::kNumber, .doc = "which latency (or outlived) percentile",
     .def = Default<&CheckSpec::percentile>, .type_note = ", 0 < p <= 100",
     .applies = Kinds(CheckSpec::Kind::kLatency, CheckSpec::Kind::kOutlived)},
    {.name = "after", .type = Type::kString, .doc = "the phase whose end starts the clock",
     .type_note = "(a phase name)", .applies = kRecovers, .required = kRecovers},
    {.name = "within", .type = Type::kPositiveDuration,
     .doc = "the limit: how soon the metric must be back", .def = Default<&CheckSpec::within>,
     .applies = kRecovers},
    {.name = "tolerance", .type = Type::kTolerance,
     .doc = "how far above the baseline still counts as recovered, in the metric's unit as "
            "`limit` reads it (a size only on a metric in bytes, `\"20ms\"` on one in ms)",
     .def = Default<&CheckSpec::tolerance>, .applies = kRecovers},
    {.name = "variants", .type = Type::kStrings, .doc = "the variants this check applies to",
     .def_note = "all variants", .type_note = "(variant names)"},
    {.name = "dependency", .type = Type::kString,
     .doc = "the dependency whose upstream requests are audited; its proxy must speak "
            "`protocol = \"http\"`",
     .type_note = "(a dependency name)", .applies = kAuditChecks, .required = kAuditChecks},
    {.name = "open_for", .type = Type::kDuration,
     .doc = "how long after its caller left an upstream request must still be open to count",
     .def = Default<&CheckSpec::open_for>, .applies = Kinds(CheckSpec::Kind::kOrphans)},
    {.name = "frames", .type = Type::kNonEmptyString,
     .doc = "the stack pattern: a substring of the frames joined by newlines, innermost first, "
            "or a glob over all of them when it begins or ends with `*` (only `*` is special: "
            "`[`, `]` and `?` match themselves, as in Go's `Box[...]`)",
     .applies = kHeld, .required = kHeld},
    {.name = "at", .type = Type::kString,
     .doc = "which census: `\"end\"` or the `at` of a `[[census]]`",
     .def = Default<&CheckSpec::at>, .applies = kHeld},
};
inline constexpr TableSchema kCheckSchema{"check", kCheckKeys, &kCheckKinds};

inline constexpr Key kCensusMomentKeys[] = {
    {.name = "at", .type = Type::kNonEmptyString,
     .doc = "when: `\"PHASE+DURATION\"` after the phase's start, or `\"PHASE\"` at its start; "
            "the census's name in results and in `held` checks",
     .type_note = "`\"hang+8s\"`", .required = kAllKinds},
};
inline constexpr TableSchema kCensusMomentSchema{"census moment", kCensusMomentKeys};

}  // namespace faultline::schema
