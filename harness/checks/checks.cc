#include "harness/checks/checks.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <optional>
#include <tuple>

#include "harness/audit/cancellation.h"
#include "harness/checks/held_check.h"
#include "harness/common/units.h"
#include "harness/scenario/metrics.h"

namespace faultline {
namespace {

struct Window {
  std::vector<std::pair<double, double>> spans;  // [start, end) in seconds
  std::string label;                              // "hang", "hang+recovery", "whole run"
  std::vector<std::string> missing;               // its phases that did not run

  bool Contains(double t) const {
    for (const auto& [a, b] : spans)
      if (t >= a && t < b) return true;
    return false;
  }
};

Window WindowOf(const CheckSpec& check, const VariantResult& v) {
  Window w;
  if (check.phases.empty()) {
    w.spans.push_back({-std::numeric_limits<double>::infinity(),
                       std::numeric_limits<double>::infinity()});
    w.label = "whole run";
    return w;
  }
  for (const auto& name : check.phases) {
    const size_t before = w.spans.size();
    for (const auto& p : v.phases)
      if (p.name == name) w.spans.push_back({p.start_s, p.end_s});
    if (w.spans.size() == before) w.missing.push_back(name);
    w.label += (w.label.empty() ? "" : "+") + name;
  }
  return w;
}

// The first and last moments of `w` in `v`: its phases' extent, or for the
// whole run from the first phase's start to the end of the run.
std::pair<double, double> Extent(const Window& w, const VariantResult& v) {
  if (!w.missing.empty()) return {NAN, NAN};  // a phase of the window did not run
  double start = INFINITY, end = -INFINITY;
  for (const auto& [a, b] : w.spans) {
    start = std::min(start, a);
    end = std::max(end, b);
  }
  if (std::isinf(start)) start = v.phases.empty() ? 0 : v.phases.front().start_s;
  if (std::isinf(end)) {
    end = v.duration_s;
    for (const auto& p : v.phases) end = std::max(end, p.end_s);
  }
  return {start, end};
}

std::string Fmt(double v, Unit unit) {
  if (std::isnan(v)) return "n/a";
  char buf[64];
  if (unit == Unit::kBytes) return FormatBytes(v);
  if (unit == Unit::kSeconds) {
    std::snprintf(buf, sizeof buf, "%.3gs", v);
    return buf;
  }
  std::snprintf(buf, sizeof buf, "%.4g%s", v, ToString(unit));
  return buf;
}

// Values of `metric` at samples inside `w`, with their times.
void Collect(const VariantResult& v, const std::string& metric, const Window& w,
             std::vector<double>* ts, std::vector<double>* ys) {
  const auto* column = v.samples.Find(metric);
  if (!column) return;
  for (size_t i = 0; i < v.samples.t_s.size(); ++i) {
    double y = (*column)[i];
    if (std::isnan(y) || !w.Contains(v.samples.t_s[i])) continue;
    ts->push_back(v.samples.t_s[i]);
    ys->push_back(y);
  }
}

// Least-squares slope of y over t, per second.
double Slope(const std::vector<double>& t, const std::vector<double>& y) {
  const double n = static_cast<double>(t.size());
  double st = 0, sy = 0, stt = 0, sty = 0;
  for (size_t i = 0; i < t.size(); ++i) {
    st += t[i];
    sy += y[i];
    stt += t[i] * t[i];
    sty += t[i] * y[i];
  }
  double den = n * stt - st * st;
  return den == 0 ? 0 : (n * sty - st * sy) / den;
}

}  // namespace

std::map<std::string, double> ComputeBaseline(const Series& samples, const PhaseSpan& span) {
  std::map<std::string, double> out;
  for (const auto& name : samples.names) {
    const auto& column = samples.values.at(name);
    double sum = 0;
    int n = 0;
    for (size_t i = 0; i < samples.t_s.size(); ++i) {
      double t = samples.t_s[i];
      if (t < span.start_s || t >= span.end_s || std::isnan(column[i])) continue;
      sum += column[i];
      ++n;
    }
    if (n > 0) out[name] = sum / n;
  }
  return out;
}

namespace {

// "no samples of g in hang", and, for a scraped series whose scrapes
// missed, why: the cause is otherwise only in results.json.
std::string NoSamples(const VariantResult& v, const std::string& metric,
                      const std::string& where) {
  std::string out = "no samples of " + metric + where;
  if (v.scrape && v.scrape->misses > 0 && !IsReservedMetricName(metric)) {
    out += " (scraping " + v.scrape->url + " missed " + std::to_string(v.scrape->misses) +
           " of " + std::to_string(v.scrape->attempts) + " times";
    if (!v.scrape->last_error.empty()) out += "; the last: " + v.scrape->last_error;
    out += ")";
  }
  return out;
}

}  // namespace

CheckResult EvaluateCheck(const CheckSpec& check, const VariantResult& v) {
  CheckResult r;
  r.name = check.name;
  r.kind = check.kind;
  r.metric = check.metric;
  r.limit = check.limit;
  r.limit_expression = check.limit_expression;
  const Window w = WindowOf(check, v);
  std::tie(r.window_start_s, r.window_end_s) = Extent(w, v);

  // The check has no data to judge: it fails, and the variant is an error.
  auto fail = [&](std::string why) {
    r.passed = false;
    r.computed = false;
    r.observed = NAN;
    r.detail = std::move(why);
    return r;
  };
  // A crash or an interrupt ended the variant before the window did: half
  // a window is not the window the scenario asked about.
  if (!w.missing.empty()) {
    std::string names;
    for (const auto& name : w.missing) names += (names.empty() ? "" : ", ") + name;
    return fail("phase" + std::string(w.missing.size() > 1 ? "s " : " ") + names + " of " +
                w.label + " did not run");
  }

  switch (check.kind) {
    case CheckSpec::Kind::kMax:
    case CheckSpec::Kind::kGrowth:
    case CheckSpec::Kind::kRate: {
      r.unit = SeriesUnit(check.metric);
      std::vector<double> ts, ys;
      Collect(v, check.metric, w, &ts, &ys);
      if (ys.empty()) return fail(NoSamples(v, check.metric, " in " + w.label));
      const double peak = *std::max_element(ys.begin(), ys.end());
      double base = 0;  // what a sample is measured from: the baseline for growth
      if (check.kind == CheckSpec::Kind::kMax) {
        r.observed = peak;
        r.detail = "peak " + Fmt(peak, r.unit) + " over " + w.label;
      } else if (check.kind == CheckSpec::Kind::kGrowth) {
        auto b = v.baseline.find(check.metric);
        if (b == v.baseline.end()) return fail("no baseline for " + check.metric);
        base = b->second;
        r.observed = peak - base;
        r.detail = "peak " + Fmt(peak, r.unit) + " over " + w.label + " - baseline " +
                   Fmt(b->second, r.unit);
      } else {
        if (ys.size() < 2) return fail("fewer than 2 samples of " + check.metric + " in " + w.label);
        r.observed = Slope(ts, ys);
        r.unit = PerSecond(r.unit);
        r.detail = "least-squares slope over " + w.label + " (" + std::to_string(ys.size()) +
                   " samples)";
      }
      r.passed = check.at_least ? r.observed >= check.limit : r.observed <= check.limit;
      if (check.at_least) r.detail += " (passes at or above the limit)";
      if (!r.passed && !check.at_least && check.kind != CheckSpec::Kind::kRate) {
        // The first sample past the limit: when the check failed.
        for (size_t i = 0; i < ys.size() && std::isnan(r.at_s); ++i)
          if (ys[i] - base > check.limit) r.at_s = ts[i];
      }
      return r;
    }
    case CheckSpec::Kind::kRecovers: {
      r.unit = Unit::kSeconds;
      r.limit = ToSeconds(check.within);
      const PhaseSpan* after = nullptr;
      for (const auto& p : v.phases)
        if (p.name == check.after) after = &p;
      if (!after) return fail("phase " + check.after + " did not run");
      r.window_start_s = after->end_s;
      r.window_end_s = after->end_s + r.limit;  // the recovery deadline
      auto b = v.baseline.find(check.metric);
      if (b == v.baseline.end()) return fail("no baseline for " + check.metric);
      const double target = b->second + check.tolerance;
      const auto* column = v.samples.Find(check.metric);
      if (!column) return fail(NoSamples(v, check.metric, ""));
      const Unit unit = SeriesUnit(check.metric);
      // Recovered at the first sample from which the metric stays at or
      // below the target through the deadline: a single dip in a series that
      // climbs again is not a recovery. Past the deadline (a late recovery,
      // already failed) the first sample back is the one reported.
      double last = NAN;
      bool dipped = false;
      std::optional<size_t> back;  // first sample of the current run at or below
      for (size_t i = 0; i < v.samples.t_s.size(); ++i) {
        double t = v.samples.t_s[i], y = (*column)[i];
        if (t < after->end_s || std::isnan(y)) continue;
        if (back && t > r.window_end_s) break;  // stayed back to the deadline, or came back late
        last = y;
        if (y > target) {
          back.reset();
        } else if (!back) {
          back = i;
          dipped = true;
        }
      }
      if (back) {
        double y = (*column)[*back];
        r.observed = v.samples.t_s[*back] - after->end_s;
        r.passed = r.observed <= r.limit;
        if (!r.passed) r.at_s = r.window_end_s;
        r.detail = check.metric + " back to " + Fmt(y, unit) + ", at or below baseline " +
                   Fmt(b->second, unit) + " + tolerance " + Fmt(check.tolerance, unit) + ", " +
                   Fmt(r.observed, Unit::kSeconds) + " after " + check.after + " ended";
        if (r.passed) r.detail += ", and stayed there";
        return r;
      }
      // No sample after the phase: nothing says whether it recovered.
      if (std::isnan(last))
        return fail(NoSamples(v, check.metric, " after " + check.after + " ended"));
      // Not back when the run ended, but the deadline lies past that end:
      // it may yet have come back in time (the scenario warns of a `within`
      // longer than the phases after `after`).
      double run_end = -INFINITY;
      for (const auto& p : v.phases) run_end = std::max(run_end, p.end_s);
      if (run_end < r.window_end_s - 1e-9)
        return fail(check.metric + " was not back to baseline " + Fmt(b->second, unit) +
                    " + tolerance " + Fmt(check.tolerance, unit) + " when the run ended, at " +
                    Fmt(run_end, Unit::kSeconds) + ", before the deadline at " +
                    Fmt(r.window_end_s, Unit::kSeconds) + " (last " + Fmt(last, unit) + ")");
      r.passed = false;
      r.observed = NAN;
      r.at_s = r.window_end_s;
      r.detail = check.metric + (dipped ? " came back to" : " never returned to") + " baseline " +
                 Fmt(b->second, unit) + " + tolerance " + Fmt(check.tolerance, unit) +
                 " after " + check.after + " ended" + (dipped ? " but did not stay there" : "") +
                 " (last " + Fmt(last, unit) + ")";
      return r;
    }
    case CheckSpec::Kind::kProcess:
      return fail("a process check is added by the run, not evaluated");
    case CheckSpec::Kind::kOutlived:
    case CheckSpec::Kind::kOrphans: {
      auto audit = v.cancellation.find(check.dependency);
      if (audit == v.cancellation.end())
        return fail("no cancellation audit of " + check.dependency +
                    " (its proxy must speak protocol \"http\")");
      const CancellationSummary& c = audit->second;
      if (check.kind == CheckSpec::Kind::kOutlived) {
        r.unit = Unit::kSeconds;
        if (!c.forwarded)
          return fail("the target does not forward traceparent: no upstream request to " +
                      check.dependency + " can be tied to its caller");
        char p[32];
        std::snprintf(p, sizeof p, "p%g", check.percentile);
        // Nothing outlived anyone when no caller's upstream work ended after it left.
        r.observed = c.outlived_s.empty() ? 0 : NearestRank(c.outlived_s, check.percentile);
        r.detail = std::string(p) + " over " + std::to_string(c.outlived_s.size()) +
                   " upstream requests of the " + std::to_string(c.gave_up) +
                   " client requests that gave up (" + std::to_string(c.ended_before) +
                   " ended before the caller left, " + std::to_string(c.ended_after) + " after, " +
                   std::to_string(c.never_ended) + " never)";
      } else {
        r.unit = Unit::kNone;
        uint64_t n = 0;
        for (double age : c.orphan_ages_s) n += age >= ToSeconds(check.open_for) ? 1 : 0;
        r.observed = static_cast<double>(n);
        r.detail = std::to_string(n) + " of " + std::to_string(c.open_at_end) + " upstream requests to " +
                   check.dependency + " open at the end, " + FormatDuration(check.open_for) +
                   " or more after their caller left";
        if (!c.forwarded)
          r.detail += " (the target does not forward traceparent: counted those that started more "
                      "than the client timeout before the end)";
      }
      r.passed = check.at_least ? r.observed >= check.limit : r.observed <= check.limit;
      if (check.at_least) r.detail += " (passes at or above the limit)";
      return r;
    }
    case CheckSpec::Kind::kHeld:
      if (std::optional<std::string> why = EvaluateHeld(check, v, &r)) return fail(*why);
      return r;
    case CheckSpec::Kind::kLatency:
    case CheckSpec::Kind::kErrorRatio: {
      // Requests are kept per phase, so a window of phases is exact.
      RequestBucket merged;
      if (check.phases.empty()) merged = v.requests.Total();
      for (const auto& name : check.phases) {
        for (size_t i = 0; i < v.phases.size(); ++i) {
          if (v.phases[i].name != name) continue;
          RequestBucket part = v.requests.Phase(i);
          merged.counts.Merge(part.counts);
          merged.latency.Merge(part.latency);
        }
      }
      if (check.kind == CheckSpec::Kind::kLatency) {
        r.unit = Unit::kSeconds;
        if (merged.latency.count() == 0) return fail("no requests were sent in " + w.label);
        r.observed = merged.latency.Percentile(check.percentile);
        char p[32];
        std::snprintf(p, sizeof p, "p%g", check.percentile);
        r.detail = std::string(p) + " of " + std::to_string(merged.latency.count()) +
                   " requests started in " + w.label;
      } else {
        r.unit = Unit::kRatio;
        const uint64_t total = merged.counts.total();
        if (total == 0) return fail("no requests were scheduled in " + w.label);
        r.observed = static_cast<double>(merged.counts.errors()) / total;
        r.detail = std::to_string(merged.counts.errors()) + " of " + std::to_string(total) +
                   " requests started in " + w.label + " did not succeed";
      }
      r.passed = check.at_least ? r.observed >= check.limit : r.observed <= check.limit;
      if (check.at_least) r.detail += " (passes at or above the limit)";
      return r;
    }
  }
  return fail("unknown check kind");
}

std::vector<CheckResult> EvaluateChecks(const Scenario& scenario, const VariantResult& variant) {
  std::vector<CheckResult> out;
  for (const auto& check : scenario.checks) {
    if (!check.variants.empty() &&
        std::find(check.variants.begin(), check.variants.end(), variant.name) ==
            check.variants.end())
      continue;
    out.push_back(EvaluateCheck(check, variant));
  }
  return out;
}

}  // namespace faultline
