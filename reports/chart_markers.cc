#include "reports/chart_markers.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "reports/text_format.h"

namespace faultline {
namespace {

std::string Seconds(double t) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1fs", t);
  return buf;
}

double RunEnd(const VariantResult& v) {
  double end = v.duration_s;
  for (const auto& p : v.phases) end = std::max(end, p.end_s);
  return end > 0 || !v.phases.empty() ? end : NAN;
}

// The phase names of the check's window, from its detail ("over a+b", "in a+b").
std::vector<std::string> WindowPhases(const std::string& detail) {
  std::vector<std::string> names;
  for (const char* lead : {" over ", " in "}) {
    const auto at = detail.rfind(lead);
    if (at == std::string::npos) continue;
    std::string window = detail.substr(at + std::string(lead).size());
    window = window.substr(0, window.find_first_of(" (;,"));
    for (size_t start = 0; start <= window.size();) {
      const auto plus = window.find('+', start);
      names.push_back(window.substr(start, plus - start));
      if (plus == std::string::npos) break;
      start = plus + 1;
    }
    break;
  }
  return names;
}

}  // namespace

double FailedCheckTime(const VariantResult& v, const CheckResult& check) {
  if (std::isfinite(check.at_s)) return check.at_s;
  if (std::isfinite(check.window_end_s)) return check.window_end_s;
  if (check.kind != CheckKind::kRecovers) {
    double at = NAN;
    for (const auto& name : WindowPhases(check.detail))
      for (const auto& p : v.phases)
        if (p.name == name) at = std::isfinite(at) ? std::max(at, p.end_s) : p.end_s;
    if (std::isfinite(at)) return at;
  }
  return RunEnd(v);
}

std::vector<ChartMarker> EventMarkers(const VariantResult& v, const std::string& colour) {
  std::vector<ChartMarker> out;
  if (v.events.size() <= kMaxEventMarkers) {
    for (const auto& e : v.events)
      out.push_back({e.t_s, v.name + " · " + Seconds(e.t_s) + " · " + e.message, colour, false});
  } else {
    // A fault flapping every 10 ms records thousands of events: one marker
    // per slice of their span, at its first event, saying how many it holds.
    double first = v.events.front().t_s, last = first;
    for (const auto& e : v.events) {
      first = std::min(first, e.t_s);
      last = std::max(last, e.t_s);
    }
    const double width = (last - first) / kMaxEventMarkers;
    std::vector<std::vector<const Event*>> slices(kMaxEventMarkers);
    for (const auto& e : v.events) {
      const auto i = width > 0 ? static_cast<size_t>((e.t_s - first) / width) : 0;
      slices[std::min(i, kMaxEventMarkers - 1)].push_back(&e);
    }
    for (const auto& slice : slices) {
      if (slice.empty()) continue;
      const Event* head = slice.front();
      for (const Event* e : slice) head = e->t_s < head->t_s ? e : head;
      std::string label = v.name + " · " + Seconds(head->t_s) + " · ";
      if (slice.size() > 1) {
        double end = head->t_s;
        for (const Event* e : slice) end = std::max(end, e->t_s);
        label += std::to_string(slice.size()) + " events to " + Seconds(end) + ", the first: ";
      }
      out.push_back({head->t_s, label + head->message, colour, false});
    }
  }
  for (const auto& c : v.checks) {
    if (c.passed) continue;
    const double t = FailedCheckTime(v, c);
    if (!std::isfinite(t)) continue;
    // The time only when the check says when it failed; an old file's is a guess.
    const bool timed = std::isfinite(c.at_s) || std::isfinite(c.window_end_s);
    const auto [observed, limit] = FormatObservedAndLimit(c.observed, c.limit, c.unit);
    std::string label = v.name + (timed ? " · " + Seconds(t) : "") + " · check failed" +
                        (v.failed_as_expected(c) ? " (as expected)" : "") + ": " + c.name +
                        ": observed " + observed + ", limit " + limit +
                        (c.limit_expression.empty() ? "" : " = " + c.limit_expression);
    out.push_back({t, label, colour, true});
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const ChartMarker& a, const ChartMarker& b) { return a.t < b.t; });
  return out;
}

std::vector<ChartBand> PhaseBands(const std::vector<const VariantResult*>& variants) {
  const VariantResult* most = nullptr;
  for (const VariantResult* v : variants) {
    const auto& phases = v->phases;
    if (phases.empty()) continue;
    if (!most || phases.size() > most->phases.size() ||
        (phases.size() == most->phases.size() && phases.back().end_s > most->phases.back().end_s))
      most = v;
  }
  std::vector<ChartBand> bands;
  if (!most) return bands;
  for (const auto& p : most->phases) {
    std::string label = p.name;
    std::string faults;
    for (const auto& f : p.faults) faults += (faults.empty() ? "" : ", ") + f;
    if (!faults.empty()) label += ": " + faults;
    bands.push_back({p.start_s, p.end_s, label, !p.faults.empty()});
  }
  return bands;
}

}  // namespace faultline
