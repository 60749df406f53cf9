// The `held` check (issue 14): how many threads (or goroutines) of a census
// have a stack matching a pattern, against a limit.
#pragma once

#include "harness/result/result.h"
#include "harness/scenario/scenario.h"

namespace faultline {

/// Fills `r` (name, kind and limit already set) for a held check of `v`:
/// observed is CountMatching(census, check.frames) of the last census named
/// check.at. Not computed when there is no such census, or when it holds no
/// stack at all (a census that could not unwind anything judges nothing); a
/// partial census with stacks is judged, and its detail says it was partial.
CheckResult EvaluateHeld(const CheckSpec& check, const VariantResult& v, CheckResult r);

}  // namespace faultline
