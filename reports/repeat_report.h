// Flake control (`faultline run SCENARIO --repeat N`): whether N runs of one
// scenario reached the same verdict, and how close each check came to its
// limit in each run. The margin of a check in one run is observed / limit
// (1.0 is at the limit; for a check that must stay under its limit, below
// 1 passes); a limit of 0 or an observation that could not be computed
// gives no margin for that run.
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "harness/result/result.h"

namespace faultline {

struct CheckMargin {
  std::string variant;
  std::string check;
  size_t runs = 0;          // runs in which the check was evaluated
  size_t passed = 0;        // of those, how many passed
  size_t measured = 0;      // of those, how many have a margin
  double min = NAN, median = NAN, max = NAN;  // of the margins; NaN when none
};

struct RepeatSummary {
  std::vector<std::string> verdicts;  // per counted run: "PASSED (propagating pass, naive fail)"
  std::vector<size_t> counted;        // the number (from 1) of the run of each verdict
  /// The runs that are no verdict, in run order: number and why
  /// ("interrupted, not counted").
  std::vector<std::pair<size_t, std::string>> uncounted;
  bool stable = true;                 // every counted run has the same verdict
  std::vector<CheckMargin> margins;   // per variant and check, in first-seen order
  /// The runs asked for (--repeat N), set by the caller: those past the
  /// runs summarised were not run, an interrupt stopped the loop before them.
  size_t planned = 0;
};

/// The summary of `runs`, in run order. A run that was interrupted, or that
/// left no result (pass a RunResult with no variant and `error` saying why,
/// or `interrupted` set), is no verdict: it is listed in `uncounted` and
/// adds nothing to the stability or the margins. Median of an even count:
/// the mean of the two middle margins.
RepeatSummary SummarizeRepeats(const std::vector<RunResult>& runs);

/// For the terminal: the stability line, then a margin table.
std::string RenderRepeatSummary(const RepeatSummary& summary);

/// The same in Markdown (repeat.md), every name escaped.
std::string RenderRepeatMarkdown(const RepeatSummary& summary);

}  // namespace faultline
