#include "harness/compare/compare.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <tuple>

#include "harness/common/text.h"
#include "harness/common/units.h"
#include "reports/harness_cost.h"
#include "reports/report_figures.h"
#include "reports/sweep_report.h"

namespace faultline {
namespace {

Tolerance DefaultTolerance(Unit unit) {
  switch (unit) {
    case Unit::kBytes: return {0.2, 4.0 * 1024 * 1024};
    case Unit::kPercent: return {0.2, 10};
    case Unit::kMilliseconds: return {0.2, 20};
    case Unit::kRatio: return {0.2, 0.01};
    default: return {0.2, 5};
  }
}

std::string Number(double v) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

std::string Absolute(double v, Unit unit) {
  return unit == Unit::kBytes ? FormatBytes(v) : Number(v);
}

// "+20% or 5" (a default), "+50%" or "7" (an override, as it was given:
// "+0%" stays relative).
std::string Describe(const Tolerance& t, Unit unit, const ToleranceOverride* o) {
  if (o) return o->relative ? "+" + Number(100 * o->value) + "%" : Absolute(o->value, unit);
  std::string s;
  if (t.relative > 0) s = "+" + Number(100 * t.relative) + "%";
  if (t.absolute > 0 || s.empty()) {
    s += (s.empty() ? "" : " or ") + Absolute(t.absolute, unit) +
         (unit == Unit::kPercent ? " pp" : "");
  }
  return s;
}

// Parses the whole of `text` as a decimal number (no hexadecimal: "0x10"
// is no way to write 16 here).
bool ParseNumber(const std::string& text, double* out) {
  if (text.empty() || text.find_first_of("xX") != std::string::npos) return false;
  char* end = nullptr;
  *out = std::strtod(text.c_str(), &end);
  return end == text.c_str() + text.size() && std::isfinite(*out);
}

struct Figure {
  std::string metric;
  std::string series;  // the override key one level up; empty for request figures
  Unit unit;
  double baseline, current;
};

// The series of `v` that `other` lacks (faultline's own cost series aside).
std::vector<std::string> OnlyIn(const VariantResult& v, const VariantResult& other) {
  std::vector<std::string> out;
  for (const auto& name : v.samples.names)
    if (!IsHarnessSeries(name) && v.samples.Find(name) && !other.samples.Find(name))
      out.push_back(name);
  return out;
}

std::vector<Figure> Figures(const VariantResult& a, const VariantResult& b) {
  std::vector<Figure> out;
  for (const auto& name : a.samples.names) {
    if (IsHarnessSeries(name) || !b.samples.Find(name) || !a.samples.Find(name)) continue;
    const SeriesExtent x = Extent(a, name), y = Extent(b, name);
    const Unit unit = SeriesUnit(name);
    out.push_back({name + ".peak", name, unit, x.peak, y.peak});
    if (std::isfinite(x.baseline) && std::isfinite(y.baseline))
      out.push_back({name + ".growth", name, unit, x.peak - x.baseline, y.peak - y.baseline});
    out.push_back({name + ".end", name, unit, x.end, y.end});
  }
  const RequestSummary ra = a.SummarizedRequests(), rb = b.SummarizedRequests();
  out.push_back({"p99_ms", "", Unit::kMilliseconds, ra.latency.p99_ms, rb.latency.p99_ms});
  out.push_back({"error_ratio", "", Unit::kRatio, ErrorRatio(ra), ErrorRatio(rb)});
  return out;
}

const VariantResult* FindVariant(const RunResult& r, const std::string& name) {
  for (const auto& v : r.variants)
    if (v.name == name) return &v;
  return nullptr;
}

}  // namespace

size_t Comparison::regressions() const {
  size_t n = 0;
  for (const auto& f : figures) n += f.regression ? 1 : 0;
  return n;
}

StatusOr<ToleranceOverride> ParseToleranceOverride(std::string_view text) {
  const std::string quoted = "--tolerance \"" + std::string(text) + "\"";
  const auto eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0 || eq + 1 == text.size())
    return Status::Invalid(quoted + ": expected METRIC=+20% or METRIC=VALUE");
  ToleranceOverride o;
  o.key = std::string(text.substr(0, eq));
  o.text = std::string(text);
  std::string value(text.substr(eq + 1));
  const std::string given = value;
  if (!value.empty() && value[0] == '+') value.erase(0, 1);
  bool ok = false;
  if (!value.empty() && value.back() == '%') {
    o.relative = true;
    ok = ParseNumber(value.substr(0, value.size() - 1), &o.value);
    o.value /= 100;
  } else if (ParseNumber(value, &o.value)) {
    ok = true;
  } else if (auto bytes = ParseSize(value)) {
    o.value = static_cast<double>(*bytes);
    o.written_in = Unit::kBytes;
    ok = true;
  } else if (auto d = ParseDuration(value)) {
    o.value = ToSeconds(*d) * 1000;  // latency figures are in milliseconds
    o.written_in = Unit::kMilliseconds;
    ok = true;
  }
  if (!ok || o.value < 0)
    return Status::Invalid(quoted + ": \"" + given + "\" is no percentage or value");
  return o;
}

// Why `run` holds no measurement to gate on; empty when it does. Only the
// variants both runs have count (`shared` names them), and those `other`
// has that `run` never started.
std::string Unjudged(const RunResult& run, const RunResult& other,
                     const std::set<std::string>& shared) {
  if (!run.complete) return "it is incomplete (written while it ran: it was killed, or runs still)";
  if (run.interrupted) return "it was interrupted";
  bool variant_error = false;
  for (const auto& v : run.variants) {
    variant_error = variant_error || v.outcome == VariantOutcome::kError;
    if (!shared.count(v.name)) continue;
    if (v.outcome == VariantOutcome::kError || v.outcome == VariantOutcome::kInterrupted)
      return "variant " + Quote(v.name) + " ended in an error" +
             (v.error.empty() ? std::string() : ": " + Elide(EscapeControl(v.error), 300));
  }
  for (const auto& name : run.not_run) {
    if (FindVariant(other, name))
      return "variant " + Quote(name) + " did not run (the run stopped before it)";
  }
  if (!run.error.empty() && !variant_error)  // an error of the run's own, no variant's
    return "it ended in an error: " + Elide(EscapeControl(run.error), 300);
  return "";
}

StatusOr<Comparison> CompareRuns(const RunResult& baseline, const RunResult& current,
                                 const std::vector<ToleranceOverride>& overrides) {
  if (baseline.scenario_name != current.scenario_name)
    return Status::Invalid("the runs are of different scenarios: baseline " +
                           Quote(baseline.scenario_name) + ", current " +
                           Quote(current.scenario_name));
  std::set<std::string> shared;
  for (const auto& v : baseline.variants)
    if (FindVariant(current, v.name)) shared.insert(v.name);
  for (const auto& [run, which] : {std::pair{&baseline, "baseline"}, {&current, "current"}}) {
    const RunResult& other = run == &baseline ? current : baseline;
    const std::string why = Unjudged(*run, other, shared);
    if (!why.empty())
      return Status::Unavailable(std::string("the ") + which + " run cannot be compared: " + why);
  }
  Comparison c;
  c.scenario = baseline.scenario_name;
  // Runs of the same scenario under other --set values (another load.rate)
  // are compared as asked, but the reader is told: a lower load can hide a
  // regression.
  if (baseline.overrides != current.overrides) {
    auto settings = [](const std::vector<std::string>& set) {
      std::string s;
      for (const auto& o : set) s += (s.empty() ? "" : " ") + Quote(o);
      return s.empty() ? std::string("none") : s;
    };
    c.notes.push_back("the runs have different --set settings: baseline " +
                      settings(baseline.overrides) + ", current " + settings(current.overrides) +
                      "; their figures differ by those too");
  }
  std::set<std::string> keys = {"p99_ms", "error_ratio"};
  std::vector<std::pair<const VariantResult*, const VariantResult*>> pairs;
  for (const auto& v : baseline.variants) {
    const VariantResult* w = FindVariant(current, v.name);
    if (!w) c.notes.push_back("variant " + Quote(v.name) + " is only in the baseline");
    else pairs.emplace_back(&v, w);
  }
  for (const auto& w : current.variants)
    if (!FindVariant(baseline, w.name))
      c.notes.push_back("variant " + Quote(w.name) + " is only in the current run");
  if (pairs.empty())
    return Status::Invalid("the runs share no variant (" + std::to_string(baseline.variants.size()) +
                           " in the baseline, " + std::to_string(current.variants.size()) +
                           " in the current run)");
  std::vector<std::vector<Figure>> figures;
  std::set<std::string> one_sided;  // the keys of series only one run has
  for (const auto& [a, b] : pairs) {
    for (const auto& [v, other, where] :
         {std::tuple{a, b, "baseline"}, std::tuple{b, a, "current run"}})
      for (const auto& name : OnlyIn(*v, *other)) {
        c.notes.push_back("variant " + Quote(a->name) + ": series " + Quote(name) +
                          " is only in the " + where + ", not compared");
        for (const char* figure : {"", ".peak", ".growth", ".end"})
          one_sided.insert(name + figure);
      }
    figures.push_back(Figures(*a, *b));
    for (const auto& f : figures.back()) {
      keys.insert(f.metric);
      if (!f.series.empty()) keys.insert(f.series);
    }
  }
  std::map<std::string, const ToleranceOverride*> by_key;
  std::vector<std::string> known(keys.begin(), keys.end());
  known.insert(known.end(), one_sided.begin(), one_sided.end());
  for (const auto& o : overrides) {
    if (!keys.count(o.key) && one_sided.count(o.key)) {
      c.notes.push_back("--tolerance " + Quote(o.text) + ": " + Quote(o.key) +
                        " is in only one of the runs, so it judges nothing");
      continue;
    }
    if (!keys.count(o.key))
      return Status::Invalid("--tolerance " + Quote(o.text) + ": no metric " + Quote(o.key) +
                             DidYouMean(o.key, known));
    for (const auto& per_variant : figures)
      for (const auto& f : per_variant) {
        if (f.metric != o.key && f.series != o.key) continue;
        if (o.written_in == Unit::kNone || o.written_in == f.unit) continue;
        const std::string is = f.unit == Unit::kNone  ? "a count"
                               : f.unit == Unit::kRatio ? "a ratio"
                                                        : std::string("in ") + ToString(f.unit);
        return Status::Invalid("--tolerance " + Quote(o.text) + ": " + Quote(o.key) + " is " +
                               is + ", not " +
                               (o.written_in == Unit::kBytes ? "a size" : "a duration") +
                               "; give a number in its unit or a percentage");
      }
    by_key[o.key] = &o;
  }
  size_t measured_baseline = 0, measured_current = 0;
  for (size_t i = 0; i < pairs.size(); ++i) {
    for (const auto& f : figures[i]) {
      measured_baseline += std::isfinite(f.baseline) ? 1 : 0;
      measured_current += std::isfinite(f.current) ? 1 : 0;
      // Measured, then not: never a regression by the numbers, so said.
      if (std::isfinite(f.baseline) && !std::isfinite(f.current))
        c.notes.push_back("variant " + Quote(pairs[i].first->name) + ": " + f.metric +
                          " was measured in the baseline but not in the current run, not judged");
      Tolerance t = DefaultTolerance(f.unit);
      auto it = by_key.find(f.metric);
      if (it == by_key.end() && !f.series.empty()) it = by_key.find(f.series);
      const ToleranceOverride* o = it == by_key.end() ? nullptr : it->second;
      if (o) t = o->relative ? Tolerance{o->value, 0} : Tolerance{0, o->value};
      FigureComparison fc;
      fc.variant = pairs[i].first->name;
      fc.metric = f.metric;
      fc.unit = f.unit;
      fc.baseline = f.baseline;
      fc.current = f.current;
      // No baseline figure: nothing to be relative to (and std::max would
      // pass the NaN on); such a figure is never a regression.
      const double relative =
          std::isfinite(f.baseline) ? t.relative * std::fabs(f.baseline) : 0;
      fc.allowed = std::max(relative, t.absolute);
      fc.tolerance = Describe(t, f.unit, o);
      fc.regression = std::isfinite(f.baseline) && std::isfinite(f.current) &&
                      f.current - f.baseline > fc.allowed * (1 + 1e-9) + 1e-12;
      c.figures.push_back(std::move(fc));
    }
  }
  for (const auto& [count, which] : {std::pair{measured_baseline, "baseline"},
                                     std::pair{measured_current, "current"}}) {
    if (count == 0)
      return Status::Unavailable(std::string("the ") + which +
                                 " run cannot be compared: it measured nothing (no figure of the "
                                 "variants both runs have holds a value)");
  }
  return c;
}

}  // namespace faultline
