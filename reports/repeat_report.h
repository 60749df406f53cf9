// Flake control (`faultline run SCENARIO --repeat N`): whether N runs of one
// scenario reached the same verdict, and how close each check came to its
// limit in each run. The margin of a check in one run is observed / limit
// (1.0 is at the limit; for a check that must stay under its limit, below
// 1 passes); a limit of 0 or an observation that could not be computed
// gives no margin for that run.
#pragma once

#include <cstddef>
#include <string>
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
  std::vector<std::string> verdicts;  // per run: "PASSED (propagating pass, naive fail)"
  bool stable = true;                 // every run has the same verdict
  std::vector<CheckMargin> margins;   // per variant and check, in first-seen order
};

/// The summary of `runs`, in run order. Median of an even count: the mean
/// of the two middle margins.
RepeatSummary SummarizeRepeats(const std::vector<RunResult>& runs);

/// For the terminal: the stability line, then a margin table.
std::string RenderRepeatSummary(const RepeatSummary& summary);

/// The same in Markdown (repeat.md), every name escaped.
std::string RenderRepeatMarkdown(const RepeatSummary& summary);

}  // namespace faultline
