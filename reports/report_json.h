// Tolerant reading of a results document for the renderers: a report of a
// partial or older file shows what is there instead of failing.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace faultline {

/// object[key], or a null value when `object` is not an object or lacks it.
const nlohmann::json& Member(const nlohmann::json& object, const char* key);

/// Member as an array; an empty array when absent or of another type.
const nlohmann::json& ArrayMember(const nlohmann::json& object, const char* key);

/// Member as a number, or `fallback`.
double NumberMember(const nlohmann::json& object, const char* key, double fallback);

/// "PASSED", "FAILED", "INTERRUPTED" or "ERROR" for the whole run.
std::string RunVerdict(const nlohmann::json& results);

/// The request outcome classes of one per-second or total object, in a fixed
/// order: {"ok", "ok"}, {"status.504", "HTTP 504"}, {"timeout", "timeout"}, ...
struct OutcomeClass {
  std::string key;    // "ok", "timeout", or "status.<code>"
  std::string label;  // "ok", "timeout", "HTTP 504", "connect error"
};
/// Every class present in any variant's totals, ok first, then HTTP codes
/// ascending, then timeout, reset, connect error, dropped.
std::vector<OutcomeClass> OutcomeClasses(const nlohmann::json& variants);

/// The count of `cls` in a requests or per-second object (0 when absent).
double OutcomeCount(const nlohmann::json& counts, const OutcomeClass& cls);

}  // namespace faultline
