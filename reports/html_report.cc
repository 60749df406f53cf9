#include "reports/html_report.h"

#include <cmath>
#include <cstdio>
#include <functional>
#include <limits>
#include <map>
#include <vector>

#include "harness/result/result.h"
#include "reports/cancellation_report.h"
#include "reports/chart_markers.h"
#include "reports/census_report.h"
#include "reports/harness_cost.h"
#include "reports/report_figures.h"
#include "reports/svg_chart.h"
#include "reports/text_format.h"

namespace faultline {
namespace {

std::string Colour(size_t i) { return ChartColour(i); }

std::string E(const std::string& s) { return EscapeXml(s); }

std::string Fmt(const char* format, double a) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, a);
  return buf;
}

constexpr const char* kStyle = R"css(
:root{--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--bg:#fff;--soft:#f6f8fa;
--ok:#1a7f37;--okbg:#dafbe1;--bad:#b3261e;--badbg:#ffebe9;--warn:#7d4e00;--warnbg:#fff8c5}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);
font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,"Noto Sans",sans-serif}
main{max-width:1120px;margin:0 auto;padding:24px 24px 48px}
h1{font-size:26px;margin:0 0 4px;word-break:break-word}
h2{font-size:19px;margin:32px 0 12px;padding-bottom:6px;border-bottom:1px solid var(--line)}
h3{font-size:16px;margin:0 0 6px;word-break:break-word}
code,pre,.mono{font-family:ui-monospace,SFMono-Regular,"SF Mono",Menlo,Consolas,"Liberation Mono",monospace;font-size:13px}
pre{background:var(--soft);border:1px solid var(--line);border-radius:6px;padding:10px 12px;
overflow:auto;max-height:480px;white-space:pre-wrap;word-break:break-all}
.top{display:flex;gap:16px;align-items:flex-start}
.verdict{font-weight:700;font-size:18px;letter-spacing:.04em;padding:6px 14px;border-radius:8px;white-space:nowrap}
.verdict.PASSED{background:var(--ok);color:#fff}.verdict.FAILED,.verdict.ERROR{background:var(--bad);color:#fff}
.verdict.INTERRUPTED,.verdict.INCOMPLETE{background:#9a6700;color:#fff}
.desc{white-space:pre-wrap;margin:8px 0 0;max-width:80ch}
.meta{color:var(--muted);font-size:13px;margin:6px 0 0}
.notice{border-radius:6px;padding:8px 12px;margin:12px 0;background:var(--badbg);color:var(--bad)}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(300px,1fr));gap:14px;margin-top:20px}
.card{border:1px solid var(--line);border-top:5px solid var(--c);border-radius:8px;padding:12px 14px}
.card p{margin:4px 0;font-size:14px}
.swatch{display:inline-block;width:12px;height:12px;border-radius:3px;background:var(--c);margin-right:6px;vertical-align:-1px}
.badge{display:inline-block;font-size:12px;font-weight:600;padding:1px 8px;border-radius:10px;white-space:nowrap}
.badge.ok{background:var(--okbg);color:var(--ok)}.badge.bad{background:var(--badbg);color:var(--bad)}
.badge.exp{background:var(--warnbg);color:var(--warn)}
.legend{display:flex;flex-wrap:wrap;gap:4px 16px;font-size:13px;color:var(--muted)}
.legend .fault{display:inline-block;width:18px;height:12px;background:#f9d6d2;border:1px dashed #b2182b;margin-right:6px;vertical-align:-1px}
figure{margin:0 0 22px}
figcaption{display:flex;flex-wrap:wrap;justify-content:space-between;gap:4px 16px;font-weight:600;margin-bottom:2px}
figcaption code{font-weight:400;color:var(--muted)}
svg.chart{width:100%;height:auto;display:block;font-size:11px}
svg.chart text{fill:#59636e}
svg.chart .bandlabel{font-size:11px;fill:#3d444d}svg.chart .faultlabel{fill:#b2182b;font-weight:600}
svg.chart .grid{stroke:#e3e7eb;stroke-width:1}svg.chart .baseline{stroke:#8c959f;stroke-width:1}
svg.chart .nodata{font-size:14px}
svg.chart .hover rect:hover{fill:rgba(31,35,40,.07)}
table{border-collapse:collapse;width:100%;font-size:14px;margin:6px 0 14px}
th,td{text-align:left;padding:5px 10px;border-bottom:1px solid var(--line);vertical-align:top}
th{background:var(--soft);font-weight:600}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.detail{color:var(--muted);font-size:13px}
tr.fail td:first-child{box-shadow:inset 3px 0 var(--bad)}
details{margin:6px 0}summary{cursor:pointer;font-weight:600}
dl{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;font-size:14px}dt{color:var(--muted)}dd{margin:0;word-break:break-word}
footer{color:var(--muted);font-size:12px;margin-top:36px}
@media print{pre{max-height:none}svg.chart .hover{display:none}}
)css";

// Friendly titles for the series faultline records itself.
std::string SeriesTitle(const std::string& name) {
  static const std::map<std::string, std::string> kTitles = {
      {"threads", "Threads"},
      {"processes", "Processes"},
      {"rss_bytes", "Resident memory (RSS)"},
      {"fds", "Open file descriptors"},
      {"cpu_percent", "CPU (100% = one core)"},
      {"established", "TCP sockets ESTABLISHED"},
      {"close_wait", "TCP sockets in CLOSE_WAIT"},
      {"in_flight", "Requests in flight"},
      {"connections", "Load generator connections"},
  };
  auto it = kTitles.find(name);
  if (it != kTitles.end()) return it->second;
  if (name.rfind("upstream.", 0) == 0) {  // upstream.D, or the audit's upstream.D.SERIES
    const std::string rest = name.substr(9);
    static const std::pair<std::string_view, const char*> kAudit[] = {
        {".in_flight", " in flight"},
        {".abandoned", " whose caller left (abandoned)"},
        {".orphans", " still open after their caller left (orphans)"}};
    for (const auto& [suffix, what] : kAudit) {
      if (rest.size() > suffix.size() && rest.ends_with(suffix))
        return "Requests to " + rest.substr(0, rest.size() - suffix.size()) + what;
    }
    return "Proxy connections to " + rest;
  }
  return name;
}

// A variant as the report draws it: its colour and its requests.
struct VariantView {
  const VariantResult& v;
  std::string colour;
  RequestSummary requests;
};

std::vector<OutcomeCounts> Totals(const std::vector<VariantView>& views) {
  std::vector<OutcomeCounts> totals;
  for (const auto& view : views) totals.push_back(view.requests.counts);
  return totals;
}

double TimelineEnd(const std::vector<VariantView>& views) {
  double end = 0;
  for (const auto& view : views) {
    end = std::max(end, view.v.duration_s);
    for (const auto& p : view.v.phases) end = std::max(end, p.end_s);
    if (!view.v.samples.t_s.empty()) end = std::max(end, view.v.samples.t_s.back());
    const auto& per_second = view.requests.per_second;
    if (!per_second.empty()) end = std::max(end, per_second.back().t_s + 1);
  }
  return end;
}

// Every target series name across variants, in first-seen order.
std::vector<std::string> SeriesNames(const std::vector<VariantView>& views) {
  std::vector<std::string> names;
  for (const auto& view : views)
    for (const auto& s : view.v.samples.names) {
      if (IsHarnessSeries(s)) continue;  // faultline's own cost: its own section
      bool seen = false;
      for (const auto& x : names) seen = seen || x == s;
      if (!seen) names.push_back(s);
    }
  return names;
}

std::string Legend(const std::vector<VariantView>& views, bool with_fault) {
  std::string s = "<span class=\"legend\">";
  for (const auto& view : views)
    s += "<span><span class=\"swatch\" style=\"--c:" + view.colour + "\"></span>" + E(view.v.name) +
         "</span>";
  if (with_fault) s += "<span><span class=\"fault\"></span>fault active</span>";
  return s + "</span>";
}

std::string Figure(const Chart& chart, const std::string& code, const std::string& legend) {
  std::string s = "<figure><figcaption><span>" + E(chart.title);
  if (!code.empty()) s += " <code>" + E(code) + "</code>";
  s += "</span>" + legend + "</figcaption>\n";
  s += RenderSvgChart(chart);
  return s + "</figure>\n";
}

void Charts(const std::vector<VariantView>& views, size_t band_variants, std::string& out) {
  std::vector<const VariantResult*> variants;  // whose phases are shaded
  for (const auto& view : views) {
    if (band_variants == 0 || variants.size() < band_variants) variants.push_back(&view.v);
  }
  const std::vector<ChartBand> bands = PhaseBands(variants);
  const double t_end = TimelineEnd(views);
  bool any_fault = false;
  for (const auto& b : bands) any_fault = any_fault || b.fault;
  const std::string legend = Legend(views, any_fault);
  std::vector<ChartMarker> markers;  // every variant's events and failed checks
  for (const auto& view : views) {
    auto mine = EventMarkers(view.v, view.colour);
    markers.insert(markers.end(), mine.begin(), mine.end());
  }

  out += "<h2 id=\"metrics\">Metrics over time</h2>\n";
  out += "<p class=\"meta\">Phases are shaded; phases with a fault are red, labelled with "
         "the fault. Hover a chart for exact values. Flags mark events (solid) and failed "
         "checks (dashed) in the variant's colour; hover one for what happened.</p>\n";
  for (const auto& name : SeriesNames(views)) {
    Chart chart;
    chart.title = SeriesTitle(name);
    chart.unit = SeriesUnit(name);
    chart.t_end = t_end;
    chart.bands = bands;
    chart.markers = markers;
    for (const auto& view : views) {
      ChartLine line{view.v.name, view.colour, view.v.samples.t_s, {}};
      const std::vector<double>* values = view.v.samples.Find(name);
      if (values) line.v = *values;
      else line.v.assign(line.t.size(), std::numeric_limits<double>::quiet_NaN());
      chart.lines.push_back(std::move(line));
    }
    out += Figure(chart, chart.title == name ? "" : name, legend);
  }

  // Requests per second by outcome, and latency per second.
  struct PerSecond {
    std::string title, code;
    Unit unit;
    std::function<double(const RequestSecond&)> value;
  };
  std::vector<PerSecond> per_second_charts;
  for (const auto& cls : OutcomeClasses(Totals(views)))
    per_second_charts.push_back(
        {"Requests per second: " + cls.label, "", Unit::kNone,
         [cls](const RequestSecond& row) { return static_cast<double>(cls.CountIn(row.counts)); }});
  per_second_charts.push_back({"Latency p50 per second", "p50_ms", Unit::kMilliseconds,
                               [](const RequestSecond& row) { return row.p50_ms; }});
  per_second_charts.push_back({"Latency p99 per second", "p99_ms", Unit::kMilliseconds,
                               [](const RequestSecond& row) { return row.p99_ms; }});
  bool any_requests = false;
  for (const auto& view : views) any_requests = any_requests || !view.requests.per_second.empty();
  if (!any_requests) return;
  for (const auto& spec : per_second_charts) {
    Chart chart;
    chart.title = spec.title;
    chart.unit = spec.unit;
    chart.t_end = t_end;
    chart.bands = bands;
    chart.markers = markers;
    for (const auto& view : views) {
      ChartLine line{view.v.name, view.colour, {}, {}};
      for (const auto& row : view.requests.per_second) {
        // A second's requests are drawn at the middle of that second.
        line.t.push_back(row.t_s + 0.5);
        line.v.push_back(spec.value(row));
      }
      chart.lines.push_back(std::move(line));
    }
    out += Figure(chart, spec.code, legend);
  }
}

std::string Percent(double part, double whole) {
  if (!(whole > 0)) return "";
  return " <span class=\"meta\">(" + Fmt("%.1f", 100 * part / whole) + "%)</span>";
}

void Cards(const std::vector<VariantView>& views, std::string& out) {
  out += "<section class=\"cards\">\n";
  for (const auto& view : views) {
    const VariantResult& v = view.v;
    const bool met = v.met_expectation();
    std::string upper = ToString(v.outcome);
    for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    out += "<div class=\"card\" style=\"--c:" + view.colour + "\">";
    out += "<h3><span class=\"swatch\"></span>" + E(v.name) + "</h3>";
    out += "<p><span class=\"badge " + std::string(met ? "ok" : "bad") + "\">" + E(upper) +
           (met ? ", as expected" : ", NOT as expected") + "</span> <span class=\"meta\">expected " +
           E(ToString(v.expect)) + "</span></p>";
    if (!v.error.empty()) out += "<p class=\"notice\">" + E(v.error) + "</p>";
    size_t passed = 0;
    for (const auto& c : v.checks) passed += c.passed ? 1 : 0;
    if (!v.checks.empty())
      out += "<p>checks: " + std::to_string(passed) + " of " + std::to_string(v.checks.size()) +
             " passed</p>";
    const RequestSummary& r = view.requests;
    const double total = static_cast<double>(r.counts.total());
    const double ok = static_cast<double>(r.counts.ok);
    out += "<p>requests: " + Fmt("%.0f", total) + ", ok " + Fmt("%.0f", ok) + Percent(ok, total) +
           ", errors " + Fmt("%.0f", total - ok) + Percent(total - ok, total) + "</p>";
    if (r.retried > 0) out += "<p class=\"meta\">" + RetriedNote(r.retried) + "</p>";
    if (v.abandoned_requests > 0)
      out += "<p class=\"meta\">" + AbandonedNote(v.abandoned_requests) + "</p>";
    out += "<p>latency p50 " + FormatMeasure(r.latency.p50_ms, Unit::kMilliseconds) + " · p99 " +
           FormatMeasure(r.latency.p99_ms, Unit::kMilliseconds) + " · max " +
           FormatMeasure(r.latency.max_ms, Unit::kMilliseconds) + "</p>";
    out += "</div>\n";
  }
  out += "</section>\n";
}

// Baseline, peak and end of every series, side by side per variant.
void PeakTable(const std::vector<VariantView>& views, std::string& out) {
  const auto names = SeriesNames(views);
  if (names.empty()) return;
  out += "<table class=\"peaks\"><thead><tr><th>metric</th>";
  for (const auto& view : views)
    out += "<th class=\"num\" colspan=\"3\"><span class=\"swatch\" style=\"--c:" + view.colour +
           "\"></span>" + E(view.v.name) + "</th>";
  out += "</tr><tr><th></th>";
  for (size_t i = 0; i < views.size(); ++i)
    out += "<th class=\"num\">baseline</th><th class=\"num\">peak</th><th class=\"num\">end</th>";
  out += "</tr></thead><tbody>\n";
  for (const auto& name : names) {
    const Unit unit = SeriesUnit(name);
    out += "<tr><td><code>" + E(name) + "</code></td>";
    for (const auto& view : views) {
      const SeriesExtent x = Extent(view.v, name);
      out += "<td class=\"num\">" + E(FormatMeasure(x.baseline, unit)) +
             "</td><td class=\"num\">" + E(FormatMeasure(x.peak, unit)) +
             "</td><td class=\"num\">" + E(FormatMeasure(x.end, unit)) + "</td>";
    }
    out += "</tr>\n";
  }
  out += "</tbody></table>\n";
}

void Checks(const std::vector<VariantView>& views, std::string& out) {
  out += "<h2 id=\"checks\">Checks</h2>\n";
  for (const auto& view : views) {
    const VariantResult& v = view.v;
    const bool expect_fail = v.expect == Expectation::kFail;
    out += "<h3><span class=\"swatch\" style=\"--c:" + view.colour + "\"></span>" + E(v.name) +
           " <span class=\"meta\">expected to " + (expect_fail ? "fail" : "pass") + "</span></h3>\n";
    if (v.checks.empty()) {
      out += "<p class=\"meta\">no checks were evaluated</p>\n";
      continue;
    }
    out += "<table><thead><tr><th>check</th><th>kind</th><th class=\"num\">observed</th>"
           "<th class=\"num\">limit</th><th>result</th><th>detail</th></tr></thead><tbody>\n";
    for (const auto& c : v.checks) {
      std::string kind = ToString(c.kind);
      if (!c.metric.empty()) kind += " of " + c.metric;
      std::string result;
      if (c.passed) result = "<span class=\"badge ok\">pass</span>";
      else if (v.failed_as_expected(c))
        result = "<span class=\"badge exp\">fail, as expected</span>";
      else result = "<span class=\"badge bad\">FAIL</span>";
      const auto [observed, limit] = FormatObservedAndLimit(c.observed, c.limit, c.unit);
      out += std::string("<tr") + (c.passed ? "" : " class=\"fail\"") + "><td>" + E(c.name) +
             "</td><td>" + E(kind) + "</td><td class=\"num\">" + E(observed) +
             "</td><td class=\"num\">" + E(limit) + "</td><td>" + result +
             "</td><td class=\"detail\">" + E(c.detail) + "</td></tr>\n";
    }
    out += "</tbody></table>\n";
  }
}

void Requests(const std::vector<VariantView>& views, std::string& out) {
  if (views.empty()) return;
  out += "<h2 id=\"requests\">Requests by outcome</h2>\n<table><thead><tr><th>outcome</th>";
  for (const auto& view : views)
    out += "<th class=\"num\"><span class=\"swatch\" style=\"--c:" + view.colour + "\"></span>" +
           E(view.v.name) + "</th>";
  out += "</tr></thead><tbody>\n";
  auto row = [&](const std::string& label,
                 const std::function<std::string(const RequestSummary&)>& cell) {
    out += "<tr><td>" + E(label) + "</td>";
    for (const auto& view : views) out += "<td class=\"num\">" + cell(view.requests) + "</td>";
    out += "</tr>\n";
  };
  row("total", [](const RequestSummary& r) {
    return Fmt("%.0f", static_cast<double>(r.counts.total()));
  });
  for (const auto& cls : OutcomeClasses(Totals(views)))
    row(cls.label, [&cls](const RequestSummary& r) {
      const double n = static_cast<double>(cls.CountIn(r.counts));
      return Fmt("%.0f", n) + Percent(n, static_cast<double>(r.counts.total()));
    });
  const std::pair<const char*, double LatencySummary::*> latencies[] = {
      {"p50", &LatencySummary::p50_ms},
      {"p99", &LatencySummary::p99_ms},
      {"max", &LatencySummary::max_ms}};
  for (const auto& [name, field] : latencies)
    row(std::string("latency ") + name, [field = field](const RequestSummary& r) {
      return E(FormatMeasure(r.latency.*field, Unit::kMilliseconds));
    });
  out += "</tbody></table>\n";
}

void Events(const std::vector<VariantView>& views, std::string& out) {
  bool any = false;
  for (const auto& view : views) any = any || !view.v.events.empty();
  if (!any) return;
  out += "<h2 id=\"events\">Events</h2>\n<table><thead><tr><th>variant</th><th class=\"num\">t</th>"
         "<th>event</th></tr></thead><tbody>\n";
  for (const auto& view : views)
    for (const auto& e : view.v.events)
      out += "<tr><td>" + E(view.v.name) + "</td><td class=\"num\">" + Fmt("%.1fs", e.t_s) +
             "</td><td>" + E(e.message) + "</td></tr>\n";
  out += "</tbody></table>\n";
}

void Logs(const std::vector<VariantView>& views, std::string& out) {
  bool any = false;
  for (const auto& view : views) any = any || !view.v.logs.empty();
  if (!any) return;
  out += "<h2 id=\"logs\">Process logs (tail)</h2>\n";
  for (const auto& view : views)
    for (const auto& l : view.v.logs)
      out += "<details><summary>" + E(view.v.name) + " / " + E(l.name) +
             " <span class=\"meta mono\">" + E(l.path) + "</span></summary><pre>" +
             (l.tail.empty() ? "(empty)" : E(l.tail)) + "</pre></details>\n";
}

void ScenarioAndEnvironment(const RunResult& results, std::string& out) {
  out += "<h2 id=\"scenario\">Scenario</h2>\n";
  out += "<details><summary>" +
         E(results.scenario_path.empty() ? "source" : results.scenario_path) + "</summary><pre>" +
         (results.scenario_source.empty() ? "(not recorded)" : E(results.scenario_source)) +
         "</pre></details>\n";

  out += "<h2 id=\"environment\">Environment</h2>\n<dl>\n";
  auto item = [&](const std::string& k, const std::string& v) {
    out += "<dt>" + E(k) + "</dt><dd>" + E(v) + "</dd>\n";
  };
  item("faultline", results.faultline_version);
  item("started at", results.started_at);
  for (const auto& [k, v] : results.environment) item(k, v);
  std::string overrides;
  for (const auto& o : results.overrides) overrides += (overrides.empty() ? "" : "  ") + o;
  if (!overrides.empty()) item("overrides (--set)", overrides);
  out += "</dl>\n";
}

}  // namespace

std::string RenderHtml(const RunResult& results) {
  const std::string& name = results.scenario_name;
  const std::string verdict = RunVerdict(results);

  std::vector<VariantView> views;
  for (const auto& v : results.variants)
    views.push_back({v, Colour(views.size()), v.SummarizedRequests()});

  std::string out;
  out.reserve(256 * 1024);
  out += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  // Nothing may be fetched: a copy attached to an incident must show the
  // same thing offline, and must not call home when opened.
  out += "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
         "style-src 'unsafe-inline'; img-src data:; script-src 'none'\">\n";
  out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  out += "<title>" + E(name) + " · " + verdict + " · faultline</title>\n";
  out += std::string("<style>") + kStyle + "</style>\n</head>\n<body>\n<main>\n";

  out += "<header class=\"top\"><div class=\"verdict " + verdict + "\">" + verdict +
         "</div><div><h1>" + E(name) + "</h1>";
  if (!results.scenario_description.empty())
    out += "<p class=\"desc\">" + E(results.scenario_description) + "</p>";
  int met = 0;
  for (const auto& v : results.variants) met += v.met_expectation() ? 1 : 0;
  out += "<p class=\"meta\">" + std::to_string(met) + " of " +
         std::to_string(views.size() + results.not_run.size()) +
         " variants met their expectation · started " + E(results.started_at) + " · faultline " +
         E(results.faultline_version) + "</p>";
  out += "</div></header>\n";
  if (!results.error.empty())
    out += "<p class=\"notice\">the run could not complete: " + E(results.error) + "</p>\n";
  if (results.interrupted)
    out += "<p class=\"notice\">interrupted: the run did not finish; what was measured up to "
           "then is shown</p>\n";
  if (!results.not_run.empty())
    out += "<p class=\"notice\">" + E(NotRunNotice(results.not_run)) + "</p>\n";
  if (!results.complete) out += "<p class=\"notice\">" + E(IncompleteNotice()) + "</p>\n";

  Cards(views, out);
  if (!views.empty()) {
    Charts(views, results.band_variants, out);
    out += "<h2 id=\"summary\">Baseline, peak and end</h2>\n";
    PeakTable(views, out);
    std::vector<HarnessCostRow> cost;
    for (const auto& view : views)
      cost.push_back({view.v.name, view.colour, HarnessCostOf(view.v, view.requests)});
    out += HtmlHarnessCost(cost);
  }
  Checks(views, out);
  std::vector<CancellationRow> cancellation;
  for (const auto& view : views) cancellation.push_back({view.v.name, view.colour, &view.v});
  out += HtmlCancellation(cancellation);
  Requests(views, out);
  out += RenderCensusHtml(results);
  Events(views, out);
  Logs(views, out);
  ScenarioAndEnvironment(results, out);
  out += "<footer>rendered by faultline from results.json (schema_version " +
         std::to_string(results.schema_version) +
         "); re-render with <code>faultline report</code></footer>\n";
  out += "</main>\n</body>\n</html>\n";
  return out;
}

}  // namespace faultline
