// Loading and validating scenario files. The loader is split by job, all
// internal to harness/scenario: the schema (schema.h), diagnostics
// (diagnostics.h), TOML reading (toml_values.h, scenario_reader.h: with
// set_overrides.h the only headers that include toml++), --set overrides
// (set_overrides.h) and cross-references (crossrefs.h).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/common/status.h"
#include "harness/scenario/diagnostics.h"
#include "harness/scenario/scenario.h"

namespace faultline {

struct LoadOutcome {
  std::optional<Scenario> scenario;  // set only when `errors` is empty
  std::vector<Diagnostic> errors;    // every error found, in file order
  /// Checks and phases that cannot discriminate (warnings.h), in file order;
  /// only looked for when there are no errors. `--strict` makes them errors.
  std::vector<Diagnostic> warnings;
};

/// The largest scenario (or proxy config) file read: real ones are a few KB;
/// a bigger file is a mistake (a log, a binary) and is refused, not parsed.
inline constexpr size_t kMaxScenarioBytes = size_t{1} << 20;

/// Parses and validates. `overrides` are "key.path=value" strings from
/// --set, applied before validation; a value is read as a TOML value when it
/// parses as one (500, 2.5, true, "x", [1,2]) and as a string otherwise.
/// Arrays of tables are addressed by index ("phases[1].duration") or by the
/// element's name ("phases.hang.duration"). A bad override path is reported
/// with file "--set"; a bad value set that way is reported by the normal
/// validation, with line and column 0.
///
/// Never throws. A TOML syntax error is the only error reported alone;
/// otherwise every error in the file is reported, sorted by position.
LoadOutcome LoadScenarioFile(const std::string& path,
                             const std::vector<std::string>& overrides = {});
LoadOutcome LoadScenarioText(std::string_view text, const std::string& path,
                             const std::vector<std::string>& overrides = {});

/// Every key the loader accepts, as a path: "seed", "target.ready.timeout",
/// "phases[]" (an array of tables), "phases[].faults[].jitter", "load.headers"
/// (a table of free-form keys). Generated from the schema the loader
/// validates with (schema.h), as is docs/scenarios.md.
std::vector<std::string> AcceptedKeyPaths();

/// The TOML syntax error of `text` ("path:line:column: message"), or nullopt
/// when it parses: for checking fragments, such as the docs' examples, that
/// are not whole scenarios.
std::optional<std::string> TomlSyntaxError(std::string_view text, const std::string& path);

}  // namespace faultline
