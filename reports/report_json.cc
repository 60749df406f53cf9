#include "reports/report_json.h"

#include <cstdlib>
#include <set>

namespace faultline {

using nlohmann::json;

const json& Member(const json& object, const char* key) {
  static const json kNull;
  if (!object.is_object()) return kNull;
  auto it = object.find(key);
  return it == object.end() ? kNull : *it;
}

const json& ArrayMember(const json& object, const char* key) {
  static const json kEmpty = json::array();
  const json& m = Member(object, key);
  return m.is_array() ? m : kEmpty;
}

double NumberMember(const json& object, const char* key, double fallback) {
  const json& m = Member(object, key);
  return m.is_number() ? m.get<double>() : fallback;
}

std::string RunVerdict(const json& results) {
  const json& passed = Member(results, "passed");
  if (passed.is_boolean() && passed.get<bool>()) return "PASSED";
  const json& interrupted = Member(results, "interrupted");
  if (interrupted.is_boolean() && interrupted.get<bool>()) return "INTERRUPTED";
  if (Member(results, "error").is_string()) return "ERROR";
  return "FAILED";
}

std::vector<OutcomeClass> OutcomeClasses(const json& variants) {
  std::set<int> codes;
  bool seen[4] = {false, false, false, false};
  static const char* kTail[] = {"timeout", "reset", "connect_error", "dropped"};
  for (const auto& v : variants) {
    const json& r = Member(v, "requests");
    for (const auto& [code, n] : Member(r, "status").items()) {
      (void)n;
      codes.insert(std::atoi(code.c_str()));
    }
    for (int i = 0; i < 4; ++i) seen[i] = seen[i] || NumberMember(r, kTail[i], 0) > 0;
  }
  std::vector<OutcomeClass> out = {{"ok", "ok"}};
  for (int code : codes)
    out.push_back({"status." + std::to_string(code), "HTTP " + std::to_string(code)});
  static const char* kLabels[] = {"timeout", "reset", "connect error", "dropped"};
  for (int i = 0; i < 4; ++i)
    if (seen[i]) out.push_back({kTail[i], kLabels[i]});
  return out;
}

double OutcomeCount(const json& counts, const OutcomeClass& cls) {
  if (cls.key.rfind("status.", 0) == 0)
    return NumberMember(Member(counts, "status"), cls.key.substr(7).c_str(), 0);
  return NumberMember(counts, cls.key.c_str(), 0);
}

}  // namespace faultline
