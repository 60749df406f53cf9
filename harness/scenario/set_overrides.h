// --set overrides: "key.path=value" strings applied to the parsed table
// before it is read, so a value set this way is validated like one in the
// file. Paths are resolved through the schema (schema.h). Internal to the
// loader.
#pragma once

#include <toml++/toml.h>

#include <string>

#include "harness/scenario/diagnostics.h"

namespace faultline {

/// Applies one override to `root`. A malformed override or a path the
/// schema or the file does not have is reported with Reporter::SetError and
/// changes nothing. See LoadScenarioText for the syntax.
void ApplyOverride(toml::table* root, const std::string& override, Reporter* r);

}  // namespace faultline
