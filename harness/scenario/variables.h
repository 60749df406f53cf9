// ${...} variables in scenario strings.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "harness/common/status.h"

namespace faultline {

/// Replaces each "${name}" in `text` with vars.at(name). "$$" is a literal
/// "$"; a "$" not followed by "{" or "$" is itself. An unknown name, an
/// unclosed "${" or an empty "${}" is an Invalid status naming it (an unknown
/// name is reported in preference to a malformed reference).
StatusOr<std::string> ExpandVariables(std::string_view text,
                                      const std::map<std::string, std::string>& vars);

/// The names referenced by `text`, every occurrence in order, without
/// expanding (for validation before ports exist). Malformed references
/// ("${}", an unclosed "${" and everything after it) are skipped.
std::vector<std::string> ReferencedVariables(std::string_view text);

}  // namespace faultline
