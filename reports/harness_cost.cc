#include "reports/harness_cost.h"

#include <algorithm>
#include <cstdio>

#include "reports/text_format.h"

namespace faultline {

bool IsHarnessSeries(const std::string& name) {
  return name == "sample_ms" || name == "loop_lag_ms";
}

double SeriesPercentile(const std::vector<double>& values, double p) {
  std::vector<double> finite;
  for (double v : values)
    if (std::isfinite(v)) finite.push_back(v);
  if (finite.empty()) return NAN;
  std::sort(finite.begin(), finite.end());
  const double rank = std::ceil(p / 100 * static_cast<double>(finite.size()));
  const size_t index = rank < 1 ? 0 : static_cast<size_t>(rank) - 1;
  return finite[std::min(index, finite.size() - 1)];
}

bool HarnessCost::any() const {
  for (double x : {sample_p50_ms, sample_max_ms, loop_lag_p99_ms, loop_lag_max_ms,
                   start_lag.p50_ms, start_lag.p99_ms, start_lag.max_ms})
    if (!std::isnan(x)) return true;
  return false;
}

HarnessCost HarnessCostOf(const VariantResult& v, const RequestSummary& requests) {
  HarnessCost cost;
  if (const std::vector<double>* sample = v.samples.Find("sample_ms")) {
    cost.sample_p50_ms = SeriesPercentile(*sample, 50);
    cost.sample_max_ms = SeriesPercentile(*sample, 100);
  }
  if (const std::vector<double>* lag = v.samples.Find("loop_lag_ms")) {
    cost.loop_lag_p99_ms = SeriesPercentile(*lag, 99);
    cost.loop_lag_max_ms = SeriesPercentile(*lag, 100);
  }
  cost.start_lag = requests.start_lag;
  return cost;
}

std::string HtmlHarnessCost(const std::vector<HarnessCostRow>& rows) {
  bool any = false;
  for (const auto& row : rows) any = any || row.cost.any();
  if (!any) return "";
  // Hundredths of a millisecond below 10 ms: the goals are 1 and 2 ms.
  auto cell = [](double ms) {
    std::string text = FormatMeasure(ms, Unit::kMilliseconds);
    if (std::isfinite(ms) && ms < 10) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.2fms", ms);
      text = buf;
    }
    return "<td class=\"num\">" + EscapeXml(text) + "</td>";
  };
  std::string out = "<h2 id=\"harness\">Harness cost</h2>\n";
  out += "<p class=\"meta\">faultline's own cost, not the target's: how long a sample took, "
         "how late the event loop ran its timers, and how late requests were sent against "
         "their schedule.</p>\n";
  out += "<table><thead><tr><th>variant</th>"
         "<th class=\"num\">sample p50</th><th class=\"num\">sample max</th>"
         "<th class=\"num\">loop lag p99</th><th class=\"num\">loop lag max</th>"
         "<th class=\"num\">start lag p50</th><th class=\"num\">start lag p99</th>"
         "<th class=\"num\">start lag max</th></tr></thead><tbody>\n";
  for (const auto& row : rows) {
    const HarnessCost& c = row.cost;
    out += "<tr><td><span class=\"swatch\" style=\"--c:" + row.colour + "\"></span>" +
           EscapeXml(row.variant) + "</td>" + cell(c.sample_p50_ms) + cell(c.sample_max_ms) +
           cell(c.loop_lag_p99_ms) + cell(c.loop_lag_max_ms) + cell(c.start_lag.p50_ms) +
           cell(c.start_lag.p99_ms) + cell(c.start_lag.max_ms) + "</tr>\n";
  }
  return out + "</tbody></table>\n";
}

}  // namespace faultline
