#include "reports/cancellation_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>

#include "reports/svg_chart.h"
#include "reports/text_format.h"

namespace faultline {
namespace {

std::string Ms(double ms) { return FormatMeasure(ms / 1000, Unit::kSeconds); }

std::string Num(uint64_t n) { return std::to_string(n); }

// "<= 250ms", "0 (ended first)", "> 60s".
std::string BucketLabel(const std::vector<std::pair<double, uint64_t>>& h, size_t i) {
  if (h[i].first == 0) return "0";
  if (std::isinf(h[i].first)) return "> " + Ms(i > 0 ? h[i - 1].first : 0);
  return "<= " + Ms(h[i].first);
}

// Grouped bars: one group per bucket, one bar per variant.
std::string Histogram(const std::vector<CancellationRow>& rows, const std::string& dependency) {
  const std::vector<std::pair<double, uint64_t>>* shape = nullptr;
  uint64_t top = 0;
  for (const auto& row : rows) {
    auto it = row.result->cancellation.find(dependency);
    if (it == row.result->cancellation.end() || it->second.outlived_histogram.empty()) continue;
    shape = &it->second.outlived_histogram;
    for (const auto& [bound, n] : it->second.outlived_histogram) top = std::max(top, n);
  }
  if (!shape || top == 0) return "";
  const double width = 720, height = 200, left = 40, bottom = 36, plot_h = height - bottom - 10;
  const double group = (width - left) / static_cast<double>(shape->size());
  const double bar = std::max(2.0, (group - 8) / static_cast<double>(rows.size()));
  char buf[256];
  std::string svg = "<svg class=\"chart\" viewBox=\"0 0 720 200\" role=\"img\" aria-label=\"" +
                    EscapeXml("outlived the caller by, " + dependency) + "\">\n";
  std::snprintf(buf, sizeof buf,
                "<text x=\"2\" y=\"14\" font-size=\"11\">%llu</text>"
                "<line x1=\"%g\" y1=\"%g\" x2=\"%g\" y2=\"%g\" stroke=\"#888\"/>\n",
                static_cast<unsigned long long>(top), left, height - bottom, width,
                height - bottom);
  svg += buf;
  for (size_t i = 0; i < shape->size(); ++i) {
    const double x0 = left + group * static_cast<double>(i);
    std::snprintf(buf, sizeof buf,
                  "<text x=\"%g\" y=\"%g\" font-size=\"10\" text-anchor=\"middle\">", x0 + group / 2,
                  height - bottom + 14);
    svg += buf + EscapeXml(BucketLabel(*shape, i)) + "</text>\n";
    for (size_t r = 0; r < rows.size(); ++r) {
      auto it = rows[r].result->cancellation.find(dependency);
      if (it == rows[r].result->cancellation.end()) continue;
      const auto& h = it->second.outlived_histogram;
      if (h.size() != shape->size()) continue;  // not forwarded: no distribution
      const uint64_t n = h[i].second;
      const double bh = plot_h * static_cast<double>(n) / static_cast<double>(top);
      std::snprintf(buf, sizeof buf, "<rect x=\"%g\" y=\"%g\" width=\"%g\" height=\"%g\" ",
                    x0 + 4 + bar * static_cast<double>(r), height - bottom - bh, bar - 1, bh);
      svg += buf + std::string("fill=\"") + rows[r].colour + "\"><title>" +
             EscapeXml(rows[r].variant + ": " + Num(n) + " " + BucketLabel(*shape, i)) +
             "</title></rect>\n";
    }
  }
  svg += "<text x=\"" + std::to_string(static_cast<int>(left)) +
         "\" y=\"196\" font-size=\"11\">upstream end - caller gave up</text>\n</svg>\n";
  return svg;
}

// Orphans over time per variant (upstream.D.orphans), or, for a target that
// does not forward traceparent, the upstream requests in flight.
std::string OrphansChart(const std::vector<CancellationRow>& rows, const std::string& dependency) {
  Chart chart;
  chart.title = "orphans on " + dependency + " over time";
  for (const auto& row : rows) {
    const VariantResult& v = *row.result;
    auto audit = v.cancellation.find(dependency);
    if (audit == v.cancellation.end()) continue;
    const std::string series =
        "upstream." + dependency + (audit->second.forwarded ? ".orphans" : ".in_flight");
    const std::vector<double>* values = v.samples.Find(series);
    if (!values) continue;
    chart.t_end = std::max(chart.t_end, v.samples.t_s.empty() ? 0 : v.samples.t_s.back());
    chart.lines.push_back({row.variant + (audit->second.forwarded ? "" : " (upstream in flight)"),
                           row.colour, v.samples.t_s, *values});
  }
  if (chart.lines.empty()) return "";
  return RenderSvgChart(chart);
}

// A target that forwards traceparent on some calls only: the rest are not
// tied to a caller, and the counts above say nothing of them.
std::string UntracedNote(const CancellationSummary& c) {
  if (c.untraced == 0) return "";
  return " (" + Num(c.untraced) + " upstream requests carried no client's trace id: the target "
         "did not forward it on those calls; they are orphans by age alone)";
}

}  // namespace

std::string HtmlCancellation(const std::vector<CancellationRow>& rows) {
  std::set<std::string> dependencies;
  for (const auto& row : rows)
    for (const auto& [dependency, audit] : row.result->cancellation) dependencies.insert(dependency);
  if (dependencies.empty()) return "";
  std::string out = "<h2 id=\"cancellation\">Cancellation</h2>\n";
  out += "<p class=\"meta\">When a caller gave up (client timeout or reset), did the work it "
         "started stop? Each request carried its own <code>traceparent</code>; the proxy tied "
         "the target's upstream requests to it. An orphan is an upstream request still open at "
         "the end whose caller had left.</p>\n";
  auto td = [](const std::string& s) { return "<td class=\"num\">" + EscapeXml(s) + "</td>"; };
  for (const std::string& dependency : dependencies) {
    out += "<h3>" + EscapeXml(dependency) + "</h3>\n";
    out += "<table><thead><tr><th>variant</th><th>traceparent</th>"
           "<th class=\"num\">gave up</th><th class=\"num\">ended before</th>"
           "<th class=\"num\">after</th><th class=\"num\">never</th>"
           "<th class=\"num\">outlived p50</th><th class=\"num\">p99</th>"
           "<th class=\"num\">max</th><th class=\"num\">orphans</th></tr></thead><tbody>\n";
    for (const auto& row : rows) {
      auto it = row.result->cancellation.find(dependency);
      if (it == row.result->cancellation.end()) continue;
      const CancellationSummary& c = it->second;
      out += "<tr><td><span class=\"swatch\" style=\"--c:" + row.colour + "\"></span>" +
             EscapeXml(row.variant) + "</td><td>" +
             (!c.forwarded   ? "not forwarded: counts compared"
              : c.untraced   ? "forwarded on some calls: " + Num(c.untraced) +
                                 " upstream requests untraced, orphans among them by age"
                             : std::string("forwarded")) +
             "</td>" +
             td(Num(c.gave_up));
      if (c.forwarded) {
        out += td(Num(c.ended_before)) + td(Num(c.ended_after)) + td(Num(c.never_ended)) +
               td(Ms(c.outlived.p50_ms)) + td(Ms(c.outlived.p99_ms)) + td(Ms(c.outlived.max_ms));
      } else {
        out += "<td colspan=\"6\">target does not forward traceparent: " + Num(c.open_at_end) +
               " upstream requests open at the end, " + Num(c.client_in_flight_at_end) +
               " client requests in flight</td>";
      }
      out += td(Num(c.orphans)) + "</tr>\n";
    }
    out += "</tbody></table>\n";
    out += Histogram(rows, dependency);
    out += OrphansChart(rows, dependency);
  }
  return out;
}

std::string CancellationLines(const VariantResult& v) {
  std::string out;
  for (const auto& [dependency, c] : v.cancellation) {
    out += "  " + dependency + ": ";
    if (c.forwarded) {
      out += Num(c.gave_up) + " gave up; their upstream requests ended " + Num(c.ended_before) +
             " before, " + Num(c.ended_after) + " after, " + Num(c.never_ended) +
             " never; outlived p99 " + Ms(c.outlived.p99_ms) + "; " + Num(c.orphans) +
             " orphans at the end" + UntracedNote(c) + "\n";
    } else {
      out += "target does not forward traceparent; " + Num(c.open_at_end) +
             " upstream requests open at the end (" + Num(c.client_in_flight_at_end) +
             " client requests in flight); " + Num(c.orphans) + " orphans\n";
    }
  }
  return out;
}

}  // namespace faultline
