// Baselines (`faultline compare BASELINE.json CURRENT.json`): every variant
// the two runs share, figure by figure, against a tolerance.
//
// Figures per variant: for every target series both runs recorded (not
// faultline's own cost series), its `peak`, its `growth` (peak - baseline;
// absent when either run has no baseline for it) and its value at the
// `end`; then the requests' `p99_ms` latency and `error_ratio` (non-ok /
// all). Every figure is "lower is better": a regression is an increase past
// the tolerance, allowed = max(relative x |baseline|, absolute). A figure
// that either run could not measure (NaN) is shown, never a regression.
//
// Default tolerances, by the figure's unit: counts +20% or 5, bytes +20% or
// 4 MiB, percent +20% or 10 points, milliseconds +20% or 20 ms, ratios
// +20% or 0.01. `--tolerance METRIC=+20%` (relative) or `METRIC=7` (absolute,
// in the metric's unit, "4MiB" and "250ms" too) replaces both parts for
// METRIC: a series name (each of its figures), "series.figure" (one), or
// "p99_ms" / "error_ratio"; the most specific one wins.
#pragma once

#include <cmath>
#include <string>
#include <string_view>
#include <vector>

#include "harness/common/status.h"
#include "harness/result/result.h"

namespace faultline {

/// How far a figure may grow before it is a regression.
struct Tolerance {
  double relative = 0;  // a fraction of |baseline|: 0.2 is +20%
  double absolute = 0;  // in the figure's unit
};

/// `--tolerance KEY=VALUE`, parsed.
struct ToleranceOverride {
  std::string key;      // "threads", "threads.peak", "p99_ms", "error_ratio"
  bool relative = false;
  double value = 0;     // a fraction when relative; else in the metric's unit
  std::string text;     // as given, for messages
  /// The unit the value was written in: a size ("4MiB") fits only a figure
  /// in bytes, a duration ("250ms") only one in milliseconds; kNone for a
  /// plain number or a percentage, which fit any figure.
  Unit written_in = Unit::kNone;
};

/// Parses "KEY=+20%", "KEY=20%", "KEY=5", "KEY=+4MiB", "KEY=250ms". Invalid:
/// `--tolerance "threads": expected METRIC=+20% or METRIC=VALUE` and
/// `--tolerance "threads=lots": "lots" is no percentage or value`.
StatusOr<ToleranceOverride> ParseToleranceOverride(std::string_view text);

/// One figure of one variant in both runs.
struct FigureComparison {
  std::string variant;
  std::string metric;      // "threads.peak", "p99_ms", "error_ratio"
  Unit unit = Unit::kNone;
  double baseline = NAN;
  double current = NAN;
  double allowed = 0;      // the increase allowed
  std::string tolerance;   // "+20% or 5", "+50%", "10"
  bool regression = false;
};

struct Comparison {
  std::string scenario;
  std::vector<FigureComparison> figures;  // per shared variant, in the baseline's order
  std::vector<std::string> notes;         // "variant \"x\" is only in the baseline"

  size_t regressions() const;
};

/// Compares `current` with `baseline`. Invalid when they are runs of
/// different scenarios ("the runs are of different scenarios: baseline
/// \"a\", current \"b\""), share no variant, an override names a metric
/// neither run has ("--tolerance \"thraeds=+5%\": no metric \"thraeds\"
/// (did you mean \"threads\"?)"), or gives a size or a duration for a
/// metric in another unit. Unavailable when either run could not be judged:
/// it was interrupted, or a variant both have ended in an error (a crash, a
/// target never ready, a check with nothing to compute); such a run is no
/// measurement to gate on. A series only one run has is a note, and so is
/// an override for it (it has nothing to judge).
StatusOr<Comparison> CompareRuns(const RunResult& baseline, const RunResult& current,
                                 const std::vector<ToleranceOverride>& overrides);

/// A fixed-width table for the terminal, then "no regression" or a line per
/// regression: "REGRESSION naive threads.peak: 205 -> 260 (+26.8%, allowed +41)".
std::string RenderComparisonText(const Comparison& c);

/// The same for a pull-request comment: a verdict line, the regressions,
/// then the full table in a <details> block. Every name is escaped.
std::string RenderComparisonMarkdown(const Comparison& c);

}  // namespace faultline
