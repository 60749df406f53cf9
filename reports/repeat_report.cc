#include "reports/repeat_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "reports/report_figures.h"
#include "reports/text_format.h"

namespace faultline {
namespace {

std::string Ratio(double v) {
  if (!std::isfinite(v)) return "n/a";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", v);
  return buf;
}

std::string RunVerdictLine(const RunResult& r) {
  std::string s = RunVerdict(r) + " (";
  for (size_t i = 0; i < r.variants.size(); ++i)
    s += (i ? ", " : "") + r.variants[i].name + " " + ToString(r.variants[i].outcome);
  return s + ")";
}

std::string Stability(const RepeatSummary& s) {
  if (s.verdicts.empty()) return "no verdict: no run ended";
  std::string line = "verdict " + std::string(s.stable ? "stable" : "UNSTABLE") + " over " +
                     std::to_string(s.verdicts.size()) + " run" +
                     (s.verdicts.size() == 1 ? "" : "s");
  if (s.stable) return line + ": " + s.verdicts[0];
  return line;
}

// Why `r` is no verdict; empty when it is one.
std::string Uncounted(const RunResult& r) {
  if (r.interrupted) return "interrupted, not counted";
  if (r.variants.empty()) return "no result, not counted" + (r.error.empty() ? "" : ": " + r.error);
  return "";
}

// The lines under the stability line, in run order: every run when the
// verdict changed, and the runs that were not counted.
std::vector<std::string> RunLines(const RepeatSummary& s) {
  std::vector<std::pair<size_t, std::string>> runs = s.uncounted;
  if (!s.stable)
    for (size_t i = 0; i < s.verdicts.size(); ++i) runs.emplace_back(s.counted[i], s.verdicts[i]);
  std::sort(runs.begin(), runs.end());
  std::vector<std::string> lines;
  for (const auto& [n, text] : runs) lines.push_back("run " + std::to_string(n) + ": " + text);
  const size_t summarised = s.verdicts.size() + s.uncounted.size();
  if (s.planned > summarised) {
    const std::string first = std::to_string(summarised + 1), last = std::to_string(s.planned);
    lines.push_back((first == last ? "run " + first : "runs " + first + " to " + last) +
                    ": not run, the loop was interrupted before");
  }
  return lines;
}

}  // namespace

RepeatSummary SummarizeRepeats(const std::vector<RunResult>& runs) {
  RepeatSummary out;
  std::vector<std::vector<double>> values;  // parallel to out.margins
  for (size_t k = 0; k < runs.size(); ++k) {
    const RunResult& r = runs[k];
    if (std::string why = Uncounted(r); !why.empty()) {
      out.uncounted.emplace_back(k + 1, std::move(why));
      continue;
    }
    out.counted.push_back(k + 1);
    out.verdicts.push_back(RunVerdictLine(r));
    out.stable = out.stable && out.verdicts.back() == out.verdicts.front();
    for (const auto& v : r.variants)
      for (const auto& c : v.checks) {
        size_t i = 0;
        while (i < out.margins.size() &&
               !(out.margins[i].variant == v.name && out.margins[i].check == c.name))
          ++i;
        if (i == out.margins.size()) {
          out.margins.push_back({v.name, c.name});
          values.emplace_back();
        }
        CheckMargin& m = out.margins[i];
        ++m.runs;
        m.passed += c.passed ? 1 : 0;
        if (c.computed && std::isfinite(c.observed) && c.limit != 0)
          values[i].push_back(c.observed / c.limit);
      }
  }
  for (size_t i = 0; i < out.margins.size(); ++i) {
    std::vector<double>& x = values[i];
    std::sort(x.begin(), x.end());
    CheckMargin& m = out.margins[i];
    m.measured = x.size();
    if (x.empty()) continue;
    m.min = x.front();
    m.max = x.back();
    const size_t n = x.size();
    m.median = n % 2 ? x[n / 2] : (x[n / 2 - 1] + x[n / 2]) / 2;
  }
  return out;
}

std::string RenderRepeatSummary(const RepeatSummary& s) {
  std::string out = Stability(s) + "\n";
  for (const auto& line : RunLines(s)) out += "  " + CleanText(line) + "\n";
  int variant_w = 7, check_w = 5;  // "variant", "check"
  for (const auto& m : s.margins) {
    variant_w = std::max(variant_w, static_cast<int>(CleanText(m.variant).size()));
    check_w = std::max(check_w, static_cast<int>(CleanText(m.check).size()));
  }
  std::vector<char> line(static_cast<size_t>(variant_w + check_w) + 128);
  auto row = [&](const std::string& v, const std::string& c, const std::string& passed,
                 const std::string& lo, const std::string& mid, const std::string& hi) {
    std::snprintf(line.data(), line.size(), "  %-*s  %-*s  %6s  %7s  %7s  %7s\n", variant_w,
                  v.c_str(), check_w, c.c_str(), passed.c_str(), lo.c_str(), mid.c_str(),
                  hi.c_str());
    out += line.data();
  };
  row("variant", "check", "passed", "min", "median", "max");
  for (const auto& m : s.margins)
    row(CleanText(m.variant), CleanText(m.check),
        std::to_string(m.passed) + "/" + std::to_string(m.runs), Ratio(m.min), Ratio(m.median),
        Ratio(m.max));
  return out + "  margin = observed / limit in each run\n";
}

std::string RenderRepeatMarkdown(const RepeatSummary& s) {
  auto M = [](const std::string& x) { return EscapeMarkdown(x); };
  std::string out = "## faultline --repeat: " + M(Stability(s)) + "\n\n";
  const std::vector<std::string> lines = RunLines(s);
  for (const auto& line : lines) out += "- " + M(line) + "\n";
  if (!lines.empty()) out += "\n";
  out += "Margin = observed / limit in each run.\n\n"
         "| variant | check | passed | min | median | max |\n|---|---|---:|---:|---:|---:|\n";
  for (const auto& m : s.margins)
    out += "| " + M(m.variant) + " | " + M(m.check) + " | " + std::to_string(m.passed) + "/" +
           std::to_string(m.runs) + " | " + Ratio(m.min) + " | " + Ratio(m.median) + " | " +
           Ratio(m.max) + " |\n";
  return out;
}

}  // namespace faultline
