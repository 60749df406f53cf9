#include "reports/sweep_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

#include "reports/harness_cost.h"
#include "reports/report_figures.h"
#include "reports/svg_chart.h"
#include "reports/text_format.h"

namespace faultline {
namespace {

std::string E(const std::string& s) { return EscapeXml(s); }

std::string Fmt(const char* format, double a) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, a);
  return buf;
}

std::string LineName(const std::string& variant, const std::string& rest) {
  return rest.empty() ? variant : variant + " (" + rest + ")";
}

// A figure plotted against the swept value.
struct Metric {
  std::string name;
  Unit unit;
};

std::vector<Metric> Metrics(const SweepData& d) {
  std::vector<Metric> out;
  for (const auto& run : d.runs)
    for (const auto& v : run.result.variants)
      for (const auto& s : v.samples.names) {
        if (IsHarnessSeries(s)) continue;
        bool seen = false;
        for (const auto& m : out) seen = seen || m.name == s;
        if (!seen) out.push_back({s, SeriesUnit(s)});
      }
  out.push_back({"p99_ms", Unit::kMilliseconds});
  out.push_back({"error_ratio", Unit::kRatio});
  return out;
}

double Peak(const VariantResult& v, const Metric& m) {
  if (m.name == "p99_ms") return v.SummarizedRequests().latency.p99_ms;
  if (m.name == "error_ratio") return ErrorRatio(v.SummarizedRequests());
  return Extent(v, m.name).peak;
}

struct Line {
  std::string name;
  std::map<size_t, const VariantResult*> at;  // x index -> the variant's result there
};

std::vector<Line> Lines(const SweepData& d) {
  std::vector<Line> lines;
  for (const auto& run : d.runs) {
    const auto x = std::find(d.x_values.begin(), d.x_values.end(), run.x) - d.x_values.begin();
    for (const auto& v : run.result.variants) {
      const std::string name = LineName(v.name, run.rest);
      auto it = std::find_if(lines.begin(), lines.end(), [&](const Line& l) { return l.name == name; });
      if (it == lines.end()) it = lines.insert(lines.end(), Line{name, {}});
      it->at[static_cast<size_t>(x)] = &v;
    }
  }
  return lines;
}

const CheckResult* FirstFailed(const VariantResult& v) {
  for (const auto& c : v.checks)
    if (!c.passed) return &c;
  return nullptr;
}

std::string Value(double v, Unit unit) {
  if (unit == Unit::kRatio && std::isfinite(v)) return Fmt("%.4f", v);
  return FormatMeasure(v, unit);
}

// Peak against the swept value: categorical x, evenly spaced.
std::string SweepChart(const SweepData& d, const std::vector<Line>& lines, const Metric& m) {
  constexpr double kW = 720, kH = 240, kL = 72, kR = 16, kT = 16, kB = 40;
  const double pw = kW - kL - kR, ph = kH - kT - kB;
  double hi = 0;
  for (const auto& line : lines)
    for (const auto& [x, v] : line.at) {
      const double y = Peak(*v, m);
      if (std::isfinite(y)) hi = std::max(hi, y);
    }
  const double step = ChartAxisStep(hi > 0 ? hi / 4 : 0.25, m.unit);
  const double top = std::max(std::ceil(hi / step) * step, step);
  const size_t n = std::max<size_t>(d.x_values.size(), 1);
  auto X = [&](size_t i) { return kL + (static_cast<double>(i) + 0.5) * pw / static_cast<double>(n); };
  auto Y = [&](double v) { return kT + (1 - v / top) * ph; };
  std::string s = "<svg class=\"chart\" viewBox=\"0 0 " + Fmt("%g", kW) + " " + Fmt("%g", kH) +
                  "\" role=\"img\" aria-label=\"" + E("peak " + m.name) + "\">\n";
  for (int k = 0; k <= 50 && k * step <= top + step / 2; ++k) {
    const double y = Y(k * step);
    s += "<line x1=\"" + Fmt("%g", kL) + "\" x2=\"" + Fmt("%g", kL + pw) + "\" y1=\"" +
         Fmt("%.1f", y) + "\" y2=\"" + Fmt("%.1f", y) + "\" class=\"grid\"/><text x=\"" +
         Fmt("%g", kL - 6) + "\" y=\"" + Fmt("%.1f", y + 4) + "\" text-anchor=\"end\">" +
         E(ChartAxisLabel(k * step, m.unit)) + "</text>";
  }
  for (size_t i = 0; i < d.x_values.size(); ++i)
    s += "<text x=\"" + Fmt("%.1f", X(i)) + "\" y=\"" + Fmt("%g", kH - 22) +
         "\" text-anchor=\"middle\">" + E(d.x_values[i]) + "</text>";
  s += "<text x=\"" + Fmt("%g", kL + pw / 2) + "\" y=\"" + Fmt("%g", kH - 4) +
       "\" text-anchor=\"middle\">" + E(d.key) + "</text>\n";
  for (size_t li = 0; li < lines.size(); ++li) {
    const std::string colour = ChartColour(li);
    s += "<g class=\"line\" stroke=\"" + colour + "\" fill=\"" + colour + "\" data-label=\"" +
         E(lines[li].name) + "\">";
    std::string points;
    for (const auto& [x, v] : lines[li].at) {
      const double y = Peak(*v, m);
      if (!std::isfinite(y)) continue;
      points += (points.empty() ? "" : " ") + Fmt("%.1f", X(x)) + "," + Fmt("%.1f", Y(y));
      const bool broke = FirstFailed(*v) != nullptr;
      s += "<circle cx=\"" + Fmt("%.1f", X(x)) + "\" cy=\"" + Fmt("%.1f", Y(y)) + "\" r=\"" +
           (broke ? "5\" fill=\"#fff\" stroke-width=\"2" : "3") + "\"><title>" +
           E(lines[li].name + " at " + d.key + "=" + d.x_values[x] + ": " + Value(y, m.unit) +
             (broke ? " (a check failed)" : "")) +
           "</title></circle>";
    }
    if (!points.empty())
      s += "<polyline fill=\"none\" stroke-width=\"1.8\" points=\"" + points + "\"/>";
    s += "</g>\n";
  }
  return s + "</svg>\n";
}

}  // namespace

double ErrorRatio(const RequestSummary& r) {
  const double total = static_cast<double>(r.counts.total());
  return total > 0 ? static_cast<double>(r.counts.errors()) / total : NAN;
}

std::vector<SweepLimit> SweepLimits(const SweepData& d) {
  std::vector<SweepLimit> out;
  for (const auto& run : d.runs) {
    const size_t x = static_cast<size_t>(
        std::find(d.x_values.begin(), d.x_values.end(), run.x) - d.x_values.begin());
    if (x >= d.x_values.size()) continue;
    for (const auto& v : run.result.variants)
      for (const auto& c : v.checks) {
        if (c.limit_expression.empty()) continue;
        auto it = std::find_if(out.begin(), out.end(), [&](const SweepLimit& l) {
          return l.check == c.name && l.expression == c.limit_expression;
        });
        if (it == out.end())
          it = out.insert(out.end(), SweepLimit{c.name, c.limit_expression, c.unit,
                                                std::vector<double>(d.x_values.size(), NAN)});
        if (std::isnan(it->per_x[x])) it->per_x[x] = c.limit;
      }
  }
  return out;
}

std::vector<std::string> SweepNotices(const SweepData& d) {
  std::vector<std::string> out;
  for (const auto& run : d.runs) {
    if (!run.result.variants.empty()) continue;
    const std::string rest = run.rest.empty() ? "" : ", " + run.rest;
    out.push_back("no result at " + d.key + "=" + run.x + rest + ": " +
                  (run.result.error.empty() ? "exit " + std::to_string(run.exit_status)
                                            : run.result.error));
  }
  if (d.interrupted)
    out.push_back("interrupted: " + std::to_string(d.runs.size()) + " of " +
                  std::to_string(std::max(d.planned, d.runs.size())) +
                  " points ran; the others did not");
  return out;
}

std::vector<BreakingPoint> BreakingPoints(const SweepData& d) {
  std::vector<BreakingPoint> out;
  for (const auto& line : Lines(d)) {
    BreakingPoint b;
    b.line = line.name;
    for (size_t x = 0; x < d.x_values.size(); ++x) {
      const auto at = line.at.find(x);
      if (at == line.at.end()) {  // that point left no result, or never ran
        b.unjudged.push_back(d.x_values[x]);
        continue;
      }
      const VariantResult* v = at->second;
      const CheckResult* c = FirstFailed(*v);
      if (v->outcome == VariantOutcome::kError || v->outcome == VariantOutcome::kInterrupted) {
        // A crash is the clearest break; anything else there is unjudged.
        auto died = std::find_if(v->checks.begin(), v->checks.end(), [](const CheckResult& k) {
          return !k.passed && k.kind == CheckKind::kProcess;
        });
        if (died == v->checks.end()) {
          b.unjudged.push_back(d.x_values[x]);
          continue;
        }
        c = &*died;
      }
      b.measured = true;
      if (c) {
        b.value = d.x_values[x];
        b.check = c->name;
        b.observed = c->observed;
        b.limit = c->limit;
        b.unit = c->unit;
        break;
      }
    }
    out.push_back(b);
  }
  return out;
}

namespace {

std::string BreakingText(const BreakingPoint& b, const std::string& key) {
  if (!b.measured) return "not measured (no run could be judged)";
  std::string unjudged;
  for (const std::string& x : b.unjudged) unjudged += (unjudged.empty() ? "" : ", ") + x;
  if (!unjudged.empty()) unjudged = "; not judged at " + key + "=" + unjudged;
  if (b.value.empty())
    return (b.unjudged.empty() ? "holds at every value" : "holds at every value judged") +
           unjudged;
  const auto [observed, limit] = FormatObservedAndLimit(b.observed, b.limit, b.unit);
  return "breaks at " + key + "=" + b.value + " (" + b.check + ": observed " + observed +
         ", limit " + limit + ")" + unjudged;
}

std::string LimitLabel(const SweepLimit& l) { return l.check + " = " + l.expression; }

// The head of a Markdown table with a column per swept value: "| first | 25 | 50 |" and its rule.
std::string MarkdownHead(const std::string& first, const std::vector<std::string>& x_values) {
  std::string head = "| " + first + " |", rule = "|---|";
  for (const auto& x : x_values) {
    head += " " + EscapeMarkdown(x) + " |";
    rule += "---:|";
  }
  return head + "\n" + rule + "\n";
}

}  // namespace

std::string RenderSweepText(const SweepData& d) {
  std::string out = "sweep " + CleanText(d.scenario) + " over " + CleanText(d.key) + ":\n";
  for (const auto& notice : SweepNotices(d)) out += "  " + CleanText(notice) + "\n";
  for (const auto& b : BreakingPoints(d))
    out += "  " + CleanText(b.line) + ": " + CleanText(BreakingText(b, d.key)) + "\n";
  for (const auto& l : SweepLimits(d)) {
    std::string values;
    for (double v : l.per_x) values += (values.empty() ? "" : " ") + Value(v, l.unit);
    out += "  limit " + CleanText(LimitLabel(l)) + ": [" + values + "]\n";
  }
  const auto lines = Lines(d);
  for (const auto& m : Metrics(d)) {
    out += "  peak " + CleanText(m.name) + ":";
    for (const auto& line : lines) {
      out += "  " + CleanText(line.name) + " ";
      std::string values;
      for (size_t x = 0; x < d.x_values.size(); ++x) {
        const auto at = line.at.find(x);
        values += (x ? " " : "") + (at == line.at.end() ? std::string("—")
                                                         : Value(Peak(*at->second, m), m.unit));
      }
      out += "[" + values + "]";
    }
    out += "\n";
  }
  return out;
}

std::string RenderSweepMarkdown(const SweepData& d) {
  auto M = [](const std::string& s) { return EscapeMarkdown(s); };
  std::string out = "## faultline sweep: " + M(d.scenario) + " over " + M(d.key) + "\n\n";
  for (const auto& notice : SweepNotices(d)) out += "**" + M(notice) + "**\n\n";
  out += "| variant | breaking point |\n|---|---|\n";
  for (const auto& b : BreakingPoints(d))
    out += "| " + M(b.line) + " | " + M(BreakingText(b, d.key)) + " |\n";
  out += "\n";
  const auto limits = SweepLimits(d);
  if (!limits.empty()) {
    out += "**limits that follow " + M(d.key) + "**\n\n" + MarkdownHead("check", d.x_values);
    for (const auto& l : limits) {
      out += "| " + M(LimitLabel(l)) + " |";
      for (double v : l.per_x) out += " " + M(Value(v, l.unit)) + " |";
      out += "\n";
    }
    out += "\n";
  }
  const auto lines = Lines(d);
  for (const auto& m : Metrics(d)) {
    out += "**peak " + M(m.name) + "**\n\n" + MarkdownHead("variant", d.x_values);
    for (const auto& line : lines) {
      out += "| " + M(line.name) + " |";
      for (size_t i = 0; i < d.x_values.size(); ++i) {
        auto it = line.at.find(i);
        out += " " +
               (it == line.at.end() ? std::string("—")
                                    : M(Value(Peak(*it->second, m), m.unit))) +
               " |";
      }
      out += "\n";
    }
    out += "\n";
  }
  return out;
}

std::string RenderSweepHtml(const SweepData& d) {
  const auto lines = Lines(d);
  std::string out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                    "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
                    "style-src 'unsafe-inline'; img-src data:; script-src 'none'\">\n";
  out += "<title>" + E(d.scenario) + " · sweep over " + E(d.key) + " · faultline</title>\n";
  out += "<style>body{font:15px/1.5 system-ui,sans-serif;color:#1f2328;margin:0}"
         "main{max-width:980px;margin:0 auto;padding:24px}"
         "table{border-collapse:collapse}th,td{padding:4px 10px;border-bottom:1px solid #d1d9e0;"
         "text-align:left}svg.chart{width:100%;height:auto;font-size:11px}"
         "svg.chart text{fill:#59636e}svg.chart .grid{stroke:#e3e7eb}"
         ".swatch{display:inline-block;width:12px;height:12px;border-radius:3px;margin:0 6px 0 12px}"
         "</style>\n</head>\n<body>\n<main>\n";
  out += "<h1>" + E(d.scenario) + ": sweep over <code>" + E(d.key) + "</code></h1>\n";
  for (const auto& notice : SweepNotices(d))
    out += "<p style=\"color:#d1242f\"><strong>" + E(notice) + "</strong></p>\n";
  out += "<h2>Breaking points</h2>\n<p>The first value, in the order swept, at which a check "
         "of the variant failed. Hollow points on the charts are runs where a check failed.</p>\n"
         "<table><thead><tr><th>variant</th><th>breaking point</th></tr></thead><tbody>\n";
  for (const auto& b : BreakingPoints(d))
    out += "<tr><td>" + E(b.line) + "</td><td>" + E(BreakingText(b, d.key)) + "</td></tr>\n";
  out += "</tbody></table>\n";
  if (const auto limits = SweepLimits(d); !limits.empty()) {
    out += "<h2>Limits that follow " + E(d.key) + "</h2>\n<p>Checks whose limit is an "
           "expression of the scenario's settings, resolved at each value.</p>\n"
           "<table><thead><tr><th>check</th>";
    for (const auto& x : d.x_values) out += "<th>" + E(x) + "</th>";
    out += "</tr></thead><tbody>\n";
    for (const auto& l : limits) {
      out += "<tr><td>" + E(l.check) + " = <code>" + E(l.expression) + "</code></td>";
      for (double v : l.per_x) out += "<td>" + E(Value(v, l.unit)) + "</td>";
      out += "</tr>\n";
    }
    out += "</tbody></table>\n";
  }
  out += "<h2>Peaks against " + E(d.key) + "</h2>\n<p>";
  for (size_t i = 0; i < lines.size(); ++i)
    out += "<span class=\"swatch\" style=\"background:" + ChartColour(i) + "\"></span>" +
           E(lines[i].name);
  out += "</p>\n";
  for (const auto& m : Metrics(d))
    out += "<figure><figcaption>peak <code>" + E(m.name) + "</code></figcaption>\n" +
           SweepChart(d, lines, m) + "</figure>\n";
  out += "<h2>Runs</h2>\n<table><thead><tr><th>" + E(d.key) +
         "</th><th>other keys</th><th>verdict</th><th>results</th></tr></thead><tbody>\n";
  for (const auto& run : d.runs)
    out += "<tr><td>" + E(run.x) + "</td><td>" + E(run.rest) + "</td><td>" +
           E(run.result.variants.empty() ? "did not run" : RunVerdict(run.result)) +
           "</td><td><code>" + E(run.out_dir) + "/results.json</code></td></tr>\n";
  return out + "</tbody></table>\n</main>\n</body>\n</html>\n";
}

}  // namespace faultline
