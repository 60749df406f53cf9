// Default names of checks: readable, and unique among all checks of a
// scenario. Each check kind's pattern is its label in the schema (schema.h).
#pragma once

#include <vector>

#include "harness/scenario/scenario.h"

namespace faultline {

/// The name a check gets when the file gives none: its kind's label with
/// the check's values filled in ("growth threads over hang",
/// "p99 latency over the whole run").
std::string DefaultCheckName(const CheckSpec& check);

/// Names every check whose `named[i]` is false after DefaultCheckName, with
/// " (2)", " (3)", ... appended where the name is already taken.
void NameChecks(std::vector<CheckSpec>* checks, const std::vector<bool>& named);

}  // namespace faultline
