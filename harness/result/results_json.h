// results.json: the serialised RunResult (docs/results-schema.md) and the
// source of truth for every report. One writer and one reader, so a report
// rendered right after a run and one rendered later by `faultline report`
// come from the same model and give the same bytes.
//
// The reader takes what faultline wrote and what a person may have edited:
// unknown fields are ignored; fields added after the first schema_version 1
// writer (`scrape`, `requests.abandoned`, `checks[].computed`) and every
// field that is not needed to identify a variant or a check may be absent
// and read as their defaults; a missing required field, a value of the wrong
// type or an unknown enum spelling is an Invalid status naming the field by
// its path ("variants[1].outcome: missing required field"). Fields the
// writer derives (`passed`, `met_expectation`, request `total`s) are not
// read: the model recomputes them.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "harness/common/status.h"
#include "harness/result/result.h"

namespace faultline {

/// The schema_version this build writes and the only one it reads.
constexpr int kResultsSchemaVersion = 1;

/// The results document of `result`. Requests are written from
/// VariantResult::SummarizedRequests(); NaN and infinities become null.
nlohmann::json ResultsToJson(const RunResult& result);

/// The text `faultline run` writes as results.json: ResultsToJson indented
/// by one space, with a final newline. Invalid UTF-8 in a string (a process
/// log tail can hold any bytes) is replaced by U+FFFD, so this never throws.
std::string ResultsJsonText(const RunResult& result);

/// The RunResult a results document holds (see the top of this file).
/// Every VariantResult has `request_summary` set and an empty `requests`.
/// Invalid when `doc` is not a faultline results document ("not a faultline
/// results file (no schema_version)"), has another schema_version
/// ("schema_version 2 is not supported (this faultline reads version 1)"),
/// or has a field it cannot read ("variants[0].duration_s: expected a
/// number, got string").
StatusOr<RunResult> ResultsFromJson(const nlohmann::json& doc);

/// Reads `path` and ResultsFromJson's it. Every Invalid message starts with
/// the path: "out/x/results.json: cannot read the file: No such file or directory",
/// "...: not valid JSON", "...: variants[1].outcome: missing required field".
StatusOr<RunResult> ReadResultsFile(const std::string& path);

}  // namespace faultline
