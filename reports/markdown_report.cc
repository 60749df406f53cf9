#include "reports/markdown_report.h"

#include "reports/census_report.h"
#include "reports/report_figures.h"
#include "reports/text_format.h"

namespace faultline {

std::string RenderMarkdown(const RunResult& results) {
  const std::string verdict = RunVerdict(results);
  auto M = [](const std::string& s) { return EscapeMarkdown(s); };

  std::string out = "## faultline: " + M(results.scenario_name) + " — " +
                    (verdict == "PASSED" ? "✅ " : "❌ ") + verdict + "\n\n";
  const std::string& description = results.scenario_description;
  if (!description.empty()) {
    // First paragraph only: a summary, not the whole scenario comment.
    std::string first = description.substr(0, description.find("\n\n"));
    out += "> " + M(first) + "\n\n";
  }
  if (!results.error.empty())
    out += "**The run could not complete:** " + M(results.error) + "\n\n";
  if (results.interrupted) out += "**Interrupted:** the run did not finish.\n\n";
  if (!results.not_run.empty()) out += "**" + M(NotRunNotice(results.not_run)) + "**\n\n";
  if (!results.complete) out += "**" + M(IncompleteNotice()) + "**\n\n";

  out += "| variant | expected | outcome | verdict |\n|---|---|---|---|\n";
  for (const auto& v : results.variants) {
    out += "| " + M(v.name) + " | " + M(ToString(v.expect)) + " | " + M(ToString(v.outcome)) +
           " | " + (v.met_expectation() ? "✅ as expected" : "❌ not as expected") + " |\n";
  }
  for (const auto& name : results.not_run) out += "| " + M(name) + " | | not run | ❌ not run |\n";
  out += "\n";

  for (const auto& v : results.variants) {
    const bool expect_fail = v.expect == Expectation::kFail;
    out += "### " + M(v.name) + " (expected to " + (expect_fail ? "fail" : "pass") + ")\n\n";
    if (!v.error.empty()) out += "Error: " + M(v.error) + "\n\n";
    if (!v.checks.empty()) {
      out += "| check | observed | limit | result |\n|---|---:|---:|---|\n";
      for (const auto& c : v.checks) {
        const char* result = c.passed                   ? "✅ pass"
                             : v.failed_as_expected(c) ? "☑️ fail (expected)"
                                                       : "❌ FAIL";
        const auto [observed, limit] = FormatObservedAndLimit(c.observed, c.limit, c.unit);
        out += "| " + M(c.name) + " | " + M(observed) + " | " + M(limit) + " | " + result + " |\n";
      }
      out += "\n";
    }
    const RequestSummary r = v.SummarizedRequests();
    auto count = [](uint64_t n) { return FormatMeasure(static_cast<double>(n), Unit::kNone); };
    std::string line = "Requests: " + count(r.counts.total()) + " total";
    for (const auto& cls : OutcomeClasses({r.counts}))
      line += ", " + cls.label + " " + count(cls.CountIn(r.counts));
    line += "; latency p50 " + FormatMeasure(r.latency.p50_ms, Unit::kMilliseconds) + ", p99 " +
            FormatMeasure(r.latency.p99_ms, Unit::kMilliseconds) + ", max " +
            FormatMeasure(r.latency.max_ms, Unit::kMilliseconds);
    out += M(line) + "\n\n";
    if (r.retried > 0) out += M(RetriedNote(r.retried)) + "\n\n";
    if (v.abandoned_requests > 0) out += M(AbandonedNote(v.abandoned_requests)) + "\n\n";
    if (const Census* census = LeadCensus(v)) {
      const std::string top = CensusTopLine(*census);
      if (!top.empty()) out += "Census: " + M(top) + "\n\n";
    }
  }
  return out;
}

}  // namespace faultline
