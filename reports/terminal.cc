#include "reports/terminal.h"

#include <cmath>
#include <cstdio>
#include <sstream>

#include "harness/common/units.h"
#include "reports/text_format.h"
#include "harness/result/result.h"

namespace faultline {
namespace {

using nlohmann::json;

std::string Pad(std::string s, size_t width) {
  if (s.size() < width) s.append(width - s.size(), ' ');
  return s;
}
std::string PadLeft(std::string s, size_t width) {
  if (s.size() < width) s.insert(0, width - s.size(), ' ');
  return s;
}

void RenderVariant(const json& v, std::ostringstream& out) {
  const std::string outcome = v.value("outcome", "");
  const std::string expect = v.value("expect", "");
  const bool met = v.value("met_expectation", false);
  out << "variant " << v.value("name", "") << " (expected " << expect << "): ";
  std::string verdict = outcome;
  for (auto& c : verdict) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  out << verdict << (met ? ", as expected" : ", NOT as expected") << "\n";
  if (v["error"].is_string()) out << "  error: " << v["error"].get<std::string>() << "\n";

  // Metrics: baseline, peak, end.
  const json& samples = v["samples"];
  if (!samples.empty()) {
    out << "  " << Pad("metric", 16) << PadLeft("baseline", 12) << PadLeft("peak", 12)
        << PadLeft("end", 12) << "\n";
    for (const auto& name_j : v["series"]) {
      const std::string name = name_j.get<std::string>();
      double peak = NAN, end = NAN;
      for (const auto& row : samples) {
        if (!row.contains(name) || !row[name].is_number()) continue;
        double x = row[name].get<double>();
        if (std::isnan(peak) || x > peak) peak = x;
        end = x;
      }
      const std::string unit = ToString(SeriesUnit(name));
      json base = v["baseline"].contains(name) ? v["baseline"][name] : json(nullptr);
      out << "  " << Pad(name, 16) << PadLeft(FormatMeasure(base, unit), 12)
          << PadLeft(FormatMeasure(std::isnan(peak) ? json(nullptr) : json(peak), unit), 12)
          << PadLeft(FormatMeasure(std::isnan(end) ? json(nullptr) : json(end), unit), 12) << "\n";
    }
  }

  const json& r = v["requests"];
  if (r.is_object()) {
    out << "  requests " << r.value("total", 0) << ": ok " << r.value("ok", 0);
    for (const auto& [code, n] : r["status"].items()) out << ", " << code << " " << n.get<uint64_t>();
    out << ", timeout " << r.value("timeout", 0) << ", reset " << r.value("reset", 0)
        << ", connect error " << r.value("connect_error", 0) << ", dropped "
        << r.value("dropped", 0) << "\n";
    const json& lat = r["latency_ms"];
    out << "  latency  p50 " << FormatMeasure(lat["p50"], "ms") << "  p99 "
        << FormatMeasure(lat["p99"], "ms") << "  max " << FormatMeasure(lat["max"], "ms") << "\n";
  }

  if (!v["checks"].empty()) out << "  checks\n";
  for (const auto& c : v["checks"]) {
    const std::string unit = c.value("unit", "");
    out << "    " << (c.value("passed", false) ? "pass " : "FAIL ") << Pad(c.value("name", ""), 40)
        << " observed " << PadLeft(FormatMeasure(c["observed"], unit), 10) << "  limit "
        << PadLeft(FormatMeasure(c["limit"], unit), 10);
    if (!c.value("detail", "").empty()) out << "  (" << c.value("detail", "") << ")";
    out << "\n";
  }
  for (const auto& e : v["events"]) {
    char t[32];
    std::snprintf(t, sizeof t, "%.1fs", e.value("t_s", 0.0));
    out << "  event at " << t << ": " << e.value("message", "") << "\n";
  }
}

}  // namespace

std::string RenderSummary(const json& results) {
  std::ostringstream out;
  const json& scenario = results["scenario"];
  out << "\nscenario " << scenario.value("name", "") << "\n\n";
  for (const auto& v : results["variants"]) {
    RenderVariant(v, out);
    out << "\n";
  }
  if (results["error"].is_string()) out << "error: " << results["error"].get<std::string>() << "\n";
  if (results.value("interrupted", false)) out << "interrupted: the run did not finish\n";
  int met = 0, total = 0;
  for (const auto& v : results["variants"]) {
    ++total;
    met += v.value("met_expectation", false) ? 1 : 0;
  }
  out << (results.value("passed", false) ? "PASSED" : "FAILED") << ": " << met << " of " << total
      << " variants met their expectation\n";
  return out.str();
}

std::string RenderProgress(const Progress& p) {
  char buf[256];
  std::snprintf(buf, sizeof buf, "[%s] %-10s %5.1f/%.1fs  rate %.0f/s  in-flight %llu  done %llu",
                p.variant.c_str(), p.phase.c_str(), p.elapsed_s, p.total_s, p.rate,
                static_cast<unsigned long long>(p.in_flight),
                static_cast<unsigned long long>(p.completed));
  std::string line = buf;
  if (!std::isnan(p.threads)) {
    std::snprintf(buf, sizeof buf, "  threads %.0f", p.threads);
    line += buf;
    if (p.has_baseline) {
      std::snprintf(buf, sizeof buf, " (%+lld)",
                    static_cast<long long>(std::llround(p.threads - p.threads_baseline)));
      line += buf;
    }
  }
  if (!std::isnan(p.rss_bytes)) {
    line += "  rss " + FormatBytes(p.rss_bytes);
    if (p.has_baseline) {
      double d = p.rss_bytes - p.rss_baseline;
      line += std::string(" (") + (d >= 0 ? "+" : "-") + FormatBytes(std::fabs(d)) + ")";
    }
  }
  return line;
}

}  // namespace faultline
