// Before/after (`faultline report --compare A.json B.json --html PATH`): two
// runs made into one result whose variants are both runs' variants,
// labelled by run ("before: naive", "after: naive"), so that the HTML report
// draws them on the same axes with the first run's phases (fault windows)
// shaded, their events marked, and every table side by side.
#pragma once

#include <string>

#include "harness/result/result.h"

namespace faultline {

/// The label of a run in a before/after report: the name of the folder its
/// results file is in ("out/before/results.json" -> "before"), or, when
/// both runs' folders have that name, of the nearest folder above it where
/// their paths differ (baseline/x/results.json against out/x/results.json:
/// "baseline"); `fallback` when they never differ (the same folder).
std::string RunLabel(const std::string& results_path, const std::string& other_path,
                     const std::string& fallback);

/// `a` and `b` as one result: scenario "NAME: LABEL_A vs LABEL_B" (with both
/// names when they differ), a description naming each run and when it
/// started, every variant of `a` then of `b` renamed "LABEL: variant" (their
/// events and checks with them), `a`'s scenario source and environment;
/// interrupted or in error when either is, with the run's label.
RunResult BeforeAfter(const RunResult& a, const std::string& label_a, const RunResult& b,
                      const std::string& label_b);

}  // namespace faultline
