// ${...} variables in scenario strings.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace faultline {

/// Replaces each "${name}" in `text` with vars.at(name). "$$" is a literal
/// "$". An unknown name or an unclosed "${" is an Invalid status naming it.
StatusOr<std::string> ExpandVariables(std::string_view text,
                                      const std::map<std::string, std::string>& vars);

/// The names referenced by `text`, in order, without expanding (for
/// validation before ports exist). Malformed references are skipped.
std::vector<std::string> ReferencedVariables(std::string_view text);

}  // namespace faultline
