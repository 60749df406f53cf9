#include "reports/terminal.h"

#include <cmath>
#include <cstdio>
#include <sstream>

#include "harness/common/units.h"
#include "reports/cancellation_report.h"
#include "reports/census_report.h"
#include "reports/harness_cost.h"
#include "reports/report_figures.h"
#include "reports/text_format.h"

namespace faultline {
namespace {

std::string Pad(std::string s, size_t width) {
  if (s.size() < width) s.append(width - s.size(), ' ');
  return s;
}
std::string PadLeft(std::string s, size_t width) {
  if (s.size() < width) s.insert(0, width - s.size(), ' ');
  return s;
}

void RenderVariant(const VariantResult& v, std::ostringstream& out) {
  out << "variant " << v.name << " (expected " << ToString(v.expect) << "): ";
  std::string verdict = ToString(v.outcome);
  for (auto& c : verdict) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  out << verdict << (v.met_expectation() ? ", as expected" : ", NOT as expected") << "\n";
  if (!v.error.empty()) out << "  error: " << v.error << "\n";

  // Metrics: baseline, peak, end.
  if (!v.samples.t_s.empty()) {
    out << "  " << Pad("metric", 16) << PadLeft("baseline", 12) << PadLeft("peak", 12)
        << PadLeft("end", 12) << "\n";
    for (const auto& name : v.samples.names) {
      if (IsHarnessSeries(name)) continue;  // faultline's own cost, not the target's
      const SeriesExtent x = Extent(v, name);
      const Unit unit = SeriesUnit(name);
      out << "  " << Pad(name, 16) << PadLeft(FormatMeasure(x.baseline, unit), 12)
          << PadLeft(FormatMeasure(x.peak, unit), 12) << PadLeft(FormatMeasure(x.end, unit), 12)
          << "\n";
    }
  }

  const RequestSummary r = v.SummarizedRequests();
  const OutcomeCounts& c = r.counts;
  out << "  requests " << c.total() << ": ok " << c.ok;
  for (const auto& [code, n] : c.status) out << ", " << code << " " << n;
  out << ", timeout " << c.timeout << ", reset " << c.reset << ", connect error "
      << c.connect_error << ", dropped " << c.dropped << "\n";
  if (r.retried > 0) out << "  " << RetriedNote(r.retried) << "\n";
  if (v.abandoned_requests > 0) out << "  " << AbandonedNote(v.abandoned_requests) << "\n";
  out << "  latency  p50 " << FormatMeasure(r.latency.p50_ms, Unit::kMilliseconds) << "  p99 "
      << FormatMeasure(r.latency.p99_ms, Unit::kMilliseconds) << "  max "
      << FormatMeasure(r.latency.max_ms, Unit::kMilliseconds) << "\n";
  if (!v.cancellation.empty()) out << "  cancellation\n" << CancellationLines(v);

  if (!v.checks.empty()) out << "  checks\n";
  for (const auto& check : v.checks) {
    const auto [observed, limit] = FormatObservedAndLimit(check.observed, check.limit, check.unit);
    out << "    " << (check.passed ? "pass " : "FAIL ") << Pad(check.name, 40) << " observed "
        << PadLeft(observed, 10) << "  limit " << PadLeft(limit, 10);
    if (!check.detail.empty()) out << "  (" << check.detail << ")";
    out << "\n";
  }
  if (const Census* census = LeadCensus(v)) {
    const std::string line = CensusTopLine(*census);
    if (!line.empty()) out << "  census   " << line << "\n";
  }
  constexpr size_t kShownEvents = 20;  // a fault flapping every 10 ms records thousands
  for (size_t i = 0; i < v.events.size() && i < kShownEvents; ++i) {
    char t[32];
    std::snprintf(t, sizeof t, "%.1fs", v.events[i].t_s);
    out << "  event at " << t << ": " << v.events[i].message << "\n";
  }
  if (v.events.size() > kShownEvents)
    out << "  ... and " << v.events.size() - kShownEvents
        << " more events (all in results.json and report.html)\n";
}

}  // namespace

std::string RenderSummary(const RunResult& results) {
  std::ostringstream out;
  out << "\nscenario " << results.scenario_name << "\n\n";
  for (const auto& v : results.variants) {
    RenderVariant(v, out);
    out << "\n";
  }
  // The run's error, unless it is a variant's, already shown in its block.
  bool shown = false;
  for (const auto& v : results.variants)
    shown = shown || (!v.error.empty() && results.error == "variant " + v.name + ": " + v.error);
  if (!results.error.empty() && !shown) out << "error: " << results.error << "\n";
  if (results.interrupted) out << "interrupted: the run did not finish\n";
  if (!results.not_run.empty()) out << NotRunNotice(results.not_run) << "\n";
  if (!results.complete) out << IncompleteNotice() << "\n";
  int met = 0;
  for (const auto& v : results.variants) met += v.met_expectation() ? 1 : 0;
  out << RunVerdict(results) << ": " << met << " of "
      << results.variants.size() + results.not_run.size()
      << " variants met their expectation\n";
  // Names, errors and log tails come from the scenario, the processes and
  // results.json: none may reach the terminal as a control sequence.
  return CleanText(out.str());
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
