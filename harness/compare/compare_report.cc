// Rendering of a Comparison (harness/compare/compare.h): terminal and Markdown.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "harness/compare/compare.h"
#include "reports/text_format.h"

namespace faultline {
namespace {

std::string Value(double v, Unit unit) {
  if (unit == Unit::kRatio && std::isfinite(v)) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.4f", v);
    return buf;
  }
  return FormatMeasure(v, unit);
}

// "+26.8%", "-3.0%", "+12" (from a baseline of 0), "n/a".
std::string Change(const FigureComparison& f) {
  if (!std::isfinite(f.baseline) || !std::isfinite(f.current)) return "n/a";
  const double d = f.current - f.baseline;
  char buf[48];
  if (f.baseline != 0) {
    std::snprintf(buf, sizeof buf, "%+.1f%%", 100 * d / std::fabs(f.baseline));
    return buf;
  }
  return (d >= 0 ? "+" : "") + Value(d, f.unit);
}

// A percentage's allowance is in points of it (cpu_percent 6% -> 10%
// grew 71 % and 4.3 points): "+10 pp", never "+10%" beside a change of "+71.1%".
std::string Allowed(const FigureComparison& f) {
  std::string v = Value(f.allowed, f.unit);
  if (f.unit == Unit::kPercent && !v.empty() && v.back() == '%') v.back() = ' ', v += "pp";
  return "+" + v;
}

std::string RegressionLine(const FigureComparison& f) {
  return f.variant + " " + f.metric + ": " + Value(f.baseline, f.unit) + " -> " +
         Value(f.current, f.unit) + " (" + Change(f) + ", allowed " + Allowed(f) +
         ", tolerance " + f.tolerance + ")";
}

// One row of the terminal table; a long name widens its row, never cuts it.
std::string Row(const std::string& variant, const std::string& metric, const std::string& baseline,
                const std::string& current, const std::string& change, const std::string& allowed,
                const char* verdict) {
  auto pad = [](const std::string& s, size_t w) {
    return std::string(w - std::min(w, s.size()), ' ');
  };
  auto left = [&](const std::string& s, size_t w) { return s + pad(s, w); };
  auto right = [&](const std::string& s, size_t w) { return pad(s, w) + s; };
  return "  " + left(variant, 16) + " " + left(metric, 24) + " " + right(baseline, 12) + " " +
         right(current, 12) + " " + right(change, 9) + " " + right(allowed, 12) + "  " + verdict +
         "\n";
}

}  // namespace

std::string RenderComparisonText(const Comparison& c) {
  std::string out = "compare " + CleanText(c.scenario) + ": baseline -> current\n";
  out += Row("variant", "metric", "baseline", "current", "change", "allowed", "");
  for (const auto& f : c.figures)
    out += Row(CleanText(f.variant), CleanText(f.metric), Value(f.baseline, f.unit),
               Value(f.current, f.unit), Change(f), Allowed(f), f.regression ? "REGRESSION" : "ok");
  for (const auto& n : c.notes) out += "note: " + CleanText(n) + "\n";
  if (c.regressions() == 0) return out + "no regression\n";
  for (const auto& f : c.figures)
    if (f.regression) out += "REGRESSION " + CleanText(RegressionLine(f)) + "\n";
  return out + std::to_string(c.regressions()) + " regression" +
         (c.regressions() == 1 ? "" : "s") + "\n";
}

std::string RenderComparisonMarkdown(const Comparison& c) {
  auto M = [](const std::string& s) { return EscapeMarkdown(s); };
  const size_t n = c.regressions();
  std::string out = "## faultline compare: " + M(c.scenario) + " — " +
                    (n == 0 ? std::string("✅ no regression")
                            : "❌ " + std::to_string(n) + " regression" + (n == 1 ? "" : "s")) +
                    "\n\n";
  for (const auto& f : c.figures)
    if (f.regression) out += "- ❌ " + M(RegressionLine(f)) + "\n";
  for (const auto& note : c.notes) out += "- " + M(note) + "\n";
  if (n > 0 || !c.notes.empty()) out += "\n";
  out += "<details><summary>every figure</summary>\n\n"
         "| variant | metric | baseline | current | change | allowed | |\n"
         "|---|---|---:|---:|---:|---:|---|\n";
  // A pull-request comment holds 65,536 characters: the rows that fit, then
  // how many did not (the regressions are all listed above).
  constexpr size_t kBudget = 60000;
  size_t shown = 0;
  for (const auto& f : c.figures) {
    const std::string row = "| " + M(f.variant) + " | " + M(f.metric) + " | " +
                            M(Value(f.baseline, f.unit)) + " | " + M(Value(f.current, f.unit)) +
                            " | " + M(Change(f)) + " | " + M(Allowed(f)) + " | " +
                            (f.regression ? "❌" : "✅") + " |\n";
    if (out.size() + row.size() > kBudget) break;
    out += row;
    ++shown;
  }
  if (shown < c.figures.size())
    out += "\n" + std::to_string(c.figures.size() - shown) +
           " more figures are not shown, to keep this within a pull-request comment; "
           "`faultline compare` without `--markdown` prints them all.\n";
  return out + "\n</details>\n";
}

}  // namespace faultline
