#include "reports/suite_report.h"

#include <map>

#include "reports/report_figures.h"
#include "reports/text_format.h"

namespace faultline {
namespace {

// Exit statuses, as docs/exit-codes.md numbers them (reports do not
// depend on the CLI).
std::string EntryVerdict(const SuiteEntry& e) {
  if (e.not_run) return "NOT RUN";
  switch (e.exit_status) {
    case 0: return "PASSED";
    case 1: return "FAILED";
    case 2: return "INVALID";
    case 130: return "INTERRUPTED";
    default: return "ERROR";
  }
}

std::string Met(const RunResult& r) {
  size_t met = 0;
  for (const auto& v : r.variants) met += v.met_expectation() ? 1 : 0;
  return std::to_string(met) + " of " + std::to_string(r.variants.size()) +
         " variants met their expectation";
}

// "1 of 2 variants met their expectation", and why the run could not
// complete when it could not, on one line: the error's first, which names
// the log its tail comes from ("variant naive: \"target\" exited with code
// 3 before it was ready; last lines of its log (out/x/target.log)").
std::string EntryOutcome(const RunResult& r) {
  std::string why = r.error.substr(0, r.error.find('\n'));
  if (why.size() < r.error.size() && why.ends_with(':')) why.pop_back();
  if (r.variants.empty() && !why.empty()) return why;
  return Met(r) + (why.empty() ? "" : "; " + why);
}

std::string Counts(const std::vector<SuiteEntry>& entries) {
  std::map<std::string, size_t> by;
  for (const auto& e : entries) ++by[EntryVerdict(e)];
  std::string s = std::to_string(entries.size()) + " scenario" +
                  (entries.size() == 1 ? "" : "s");
  for (const char* v : {"PASSED", "FAILED", "ERROR", "INVALID", "INTERRUPTED", "NOT RUN"}) {
    auto it = by.find(v);
    if (it == by.end()) continue;
    std::string word = v;
    for (auto& c : word) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    s += ", " + std::to_string(it->second) + " " + word;
  }
  return s;
}

}  // namespace

std::string SuiteVerdict(const std::vector<SuiteEntry>& entries) {
  std::string verdict = "PASSED";
  for (const auto& e : entries) {
    const std::string v = EntryVerdict(e);
    if (v == "INTERRUPTED" || v == "NOT RUN") return "INTERRUPTED";
    if (v == "ERROR" || v == "INVALID") verdict = "ERROR";
    else if (v == "FAILED" && verdict == "PASSED") verdict = "FAILED";
  }
  return verdict;
}

std::string RenderSuiteSummary(const std::vector<SuiteEntry>& entries) {
  std::string out = "suite " + SuiteVerdict(entries) + ": " + Counts(entries) + "\n";
  for (const auto& e : entries) {
    std::string verdict = EntryVerdict(e);
    verdict.resize(11, ' ');
    out += "  " + verdict + " " + CleanText(e.result.scenario_name) + " (" + CleanText(e.file) +
           "): ";
    out += CleanText(EntryOutcome(e.result));
    if (!e.out_dir.empty()) out += " -> " + CleanText(e.out_dir);
    out += "\n";
  }
  return out;
}

std::string RenderSuiteMarkdown(const std::vector<SuiteEntry>& entries,
                                const std::string& title) {
  auto M = [](const std::string& s) { return EscapeMarkdown(s); };
  const std::string verdict = SuiteVerdict(entries);
  std::string out = "## " + M(title) + " — " + std::string(verdict == "PASSED" ? "✅ " : "❌ ") +
                    verdict + "\n\n" + M(Counts(entries)) + "\n\n";
  out += "| scenario | file | verdict | variants | folder |\n|---|---|---|---|---|\n";
  for (const auto& e : entries) {
    const std::string v = EntryVerdict(e);
    out += "| " + M(e.result.scenario_name) + " | " + M(e.file) + " | " +
           (v == "PASSED" ? "✅ " : "❌ ") + v + " | ";
    out += M(EntryOutcome(e.result));
    out += " | " + M(e.out_dir) + " |\n";
  }
  out += "\n";
  for (const auto& e : entries) {
    for (const auto& v : e.result.variants) {
      if (v.met_expectation()) continue;
      out += "- " + M(e.result.scenario_name + " / " + v.name) + ": expected " +
             ToString(v.expect) + ", outcome " + ToString(v.outcome);
      for (const auto& c : v.checks) {
        if (c.passed || v.expect != Expectation::kPass) continue;
        const auto [observed, limit] = FormatObservedAndLimit(c.observed, c.limit, c.unit);
        out += "; " + M(c.name) + ": observed " + M(observed) + ", limit " + M(limit);
      }
      out += "\n";
    }
  }
  return out;
}

}  // namespace faultline
