// results.json: the serialised RunResult, and the source of truth for every
// other report (they all render from this JSON, so `faultline report` can
// redo them from a saved file). Schema: docs/results-schema.md.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "harness/common/file.h"
#include "harness/common/status.h"
#include "harness/result/result.h"

namespace faultline {

constexpr int kResultsSchemaVersion = 1;

nlohmann::json ResultsToJson(const RunResult& result);

/// Reads and parses a results.json; Invalid naming the file on bad JSON or a
/// schema_version this build does not know.
StatusOr<nlohmann::json> ReadResultsJson(const std::string& path);

}  // namespace faultline
