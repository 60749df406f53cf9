#include "reports/markdown_report.h"

#include <cctype>

#include "reports/report_json.h"
#include "reports/text_format.h"

namespace faultline {

using nlohmann::json;

std::string RenderMarkdown(const json& results) {
  const json& scenario = Member(results, "scenario");
  const std::string verdict = RunVerdict(results);
  const json& variants = ArrayMember(results, "variants");
  auto M = [](const std::string& s) { return EscapeMarkdown(s); };

  std::string out = "## faultline: " + M(JsonString(scenario, "name")) + " — " +
                    (verdict == "PASSED" ? "✅ " : "❌ ") + verdict + "\n\n";
  const std::string description = JsonString(scenario, "description");
  if (!description.empty()) {
    // First paragraph only: a summary, not the whole scenario comment.
    std::string first = description.substr(0, description.find("\n\n"));
    out += "> " + M(first) + "\n\n";
  }
  if (Member(results, "error").is_string())
    out += "**The run could not complete:** " + M(JsonString(results, "error")) + "\n\n";
  if (Member(results, "interrupted") == true)
    out += "**Interrupted:** the run did not finish.\n\n";

  out += "| variant | expected | outcome | verdict |\n|---|---|---|---|\n";
  for (const auto& v : variants) {
    const bool met = Member(v, "met_expectation") == true;
    out += "| " + M(JsonString(v, "name")) + " | " + M(JsonString(v, "expect")) + " | " +
           M(JsonString(v, "outcome")) + " | " + (met ? "✅ as expected" : "❌ not as expected") +
           " |\n";
  }
  out += "\n";

  for (const auto& v : variants) {
    const bool expect_fail = JsonString(v, "expect") == "fail";
    out += "### " + M(JsonString(v, "name")) + " (expected to " + (expect_fail ? "fail" : "pass") +
           ")\n\n";
    if (Member(v, "error").is_string()) out += "Error: " + M(JsonString(v, "error")) + "\n\n";
    const json& checks = ArrayMember(v, "checks");
    if (!checks.empty()) {
      out += "| check | observed | limit | result |\n|---|---:|---:|---|\n";
      for (const auto& c : checks) {
        const bool passed = Member(c, "passed") == true;
        const std::string unit = JsonString(c, "unit");
        const char* result = passed ? "✅ pass" : expect_fail ? "☑️ fail (expected)" : "❌ FAIL";
        out += "| " + M(JsonString(c, "name")) + " | " +
               M(FormatMeasure(Member(c, "observed"), unit)) + " | " +
               M(FormatMeasure(Member(c, "limit"), unit)) + " | " + result + " |\n";
      }
      out += "\n";
    }
    const json& r = Member(v, "requests");
    if (r.is_object()) {
      std::string line = "Requests: " + FormatMeasure(Member(r, "total"), "") + " total";
      for (const auto& cls : OutcomeClasses(json::array({v})))
        line += ", " + cls.label + " " + FormatMeasure(OutcomeCount(r, cls), "");
      const json& lat = Member(r, "latency_ms");
      line += "; latency p50 " + FormatMeasure(Member(lat, "p50"), "ms") + ", p99 " +
              FormatMeasure(Member(lat, "p99"), "ms") + ", max " +
              FormatMeasure(Member(lat, "max"), "ms");
      out += M(line) + "\n\n";
    }
  }
  return out;
}

}  // namespace faultline
