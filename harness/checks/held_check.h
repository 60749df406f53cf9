// The `held` check (issue 14): how many threads (or goroutines) of a census
// have a stack matching a pattern, against a limit.
#pragma once

#include <optional>
#include <string>

#include "harness/result/result.h"
#include "harness/scenario/scenario.h"

namespace faultline {

/// Fills `r` (name, kind and limit already set) for a held check of `v`:
/// observed is CountMatching(census, check.frames) of the last census named
/// check.at. Returns why it cannot be computed, leaving `r` to the caller:
/// there is no such census, or it holds no stack at all (a census that
/// could not unwind anything judges nothing). A partial census with stacks
/// is judged, and the detail says it was partial.
std::optional<std::string> EvaluateHeld(const CheckSpec& check, const VariantResult& v,
                                        CheckResult* r);

}  // namespace faultline
