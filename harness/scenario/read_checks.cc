// The reader of [[checks]] entries.
#include <cmath>
#include <string>

#include "harness/common/text.h"
#include "harness/scenario/limit_expression.h"
#include "harness/scenario/metrics.h"
#include "harness/scenario/scenario_reader.h"

namespace faultline {
namespace {

// "20MiB" -> bytes; error text in *why.
std::optional<double> SizeValue(const std::string& text, std::string* why) {
  std::optional<uint64_t> v = ParseSize(text, why);
  if (!v) return std::nullopt;
  return static_cast<double>(*v);
}

// A TOML number as a double: nullopt (with *why set) when it is not finite.
std::optional<double> FiniteNumber(const toml::node& n, std::string* why) {
  if (const auto* i = n.as_integer()) return static_cast<double>(i->get());
  const double v = n.as_floating_point()->get();
  if (std::isfinite(v)) return v;
  *why = "expected a finite number, got " + Describe(n);
  return std::nullopt;
}

// Which units the factors of a limit expression may carry for `kind`.
LimitUnits LimitUnitsOf(std::optional<CheckSpec::Kind> kind) {
  if (kind == CheckSpec::Kind::kLatency || kind == CheckSpec::Kind::kOutlived)
    return LimitUnits::kDurations;
  if (kind == CheckSpec::Kind::kOrphans || kind == CheckSpec::Kind::kHeld) return LimitUnits::kNone;
  return LimitUnits::kAll;
}

}  // namespace

void ScenarioReader::ReadCheck(const toml::table& table, const std::string& key,
                               CheckSpec* check) {
  using namespace keys;
  TableView t(r_, table, key, schema::kCheckSchema);
  const std::optional<CheckSpec::Kind> kind = t.Read(kCheckKind);
  if (kind) {
    check->kind = *kind;
    t.SetKind(static_cast<int>(*kind));
  }

  if (auto v = t.Read(kCheckName)) {  // reports and --repeat tell checks apart by name
    if (HasControlCharacter(*v))  // a newline in it forged lines of the terminal summary
      r_.Error(t.At(kCheckName), t.Path(kCheckName),
               "a check's name is one line of text, without control characters: " + Quote(*v));
    check->name = *v;
    refs_.Unique(CrossReferences::Names::kCheck, *v, key, t.At(kCheckName), t.Path(kCheckName));
  }
  check_has_name_.push_back(!check->name.empty());

  if (auto v = t.Read(kCheckMetric)) {
    check->metric = *v;
    refs_.Metric(*v, t.At(kCheckMetric), t.Path(kCheckMetric));
  }

  std::vector<Element> phases;
  if (auto v = t.Read(kCheckPhases, &phases)) {
    for (const Element& p : phases) refs_.Phase(p.text, p.where, p.key);
    check->phases = std::move(*v);
  }

  // A limit on a metric in milliseconds ("loop_lag_ms") counts time in ms.
  const Unit metric_unit = check->metric.empty() ? Unit::kNone : SeriesUnit(check->metric);
  const double time_unit_s = metric_unit == Unit::kMilliseconds ? 1e-3 : 1;
  if (const toml::node* n = t.Present(kCheckLimit); n && t.Applies(kCheckLimit)) {
    if (n->is_string() && IsLimitExpression(n->as_string()->get())) {
      // Load, sampling and phases are read by now, with --set applied.
      const std::string& text = n->as_string()->get();
      StatusOr<double> v = EvaluateLimitExpression(text, LimitVariables(s_, time_unit_s),
                                                   LimitUnitsOf(kind), time_unit_s);
      if (v.ok()) {
        check->limit = *v;
        check->limit_expression = text;
      } else {
        r_.Error(Pos(n->source()), t.Path(kCheckLimit),
                 "limit " + Quote(text) +
                     (check->name.empty() ? "" : " of check " + Quote(check->name)) + ": " +
                     v.status().message());
      }
    } else if (kind == CheckSpec::Kind::kOrphans && !n->is_number()) {
      r_.Error(Pos(n->source()), t.Path(kCheckLimit),
               "expected a number of requests, got " + Describe(*n));
    } else {
      const bool duration = kind == CheckSpec::Kind::kLatency || kind == CheckSpec::Kind::kOutlived;
      ReadLimit(*n, t.Path(kCheckLimit), "limit", duration, check->metric, &check->limit);
    }
    if (kind == CheckSpec::Kind::kErrorRatio && check->limit > 1) {
      r_.Error(Pos(n->source()), t.Path(kCheckLimit),
               "an error ratio is at most 1 (every request), got " +
                   FormatNumber(check->limit) + ": the check could never fail");
    }
  }

  if (auto v = t.Read(kCheckAtLeast)) check->at_least = *v;
  if (auto v = t.Read(kCheckPercentile)) {
    if (*v <= 0 || *v > 100) {
      r_.Error(t.At(kCheckPercentile), t.Path(kCheckPercentile),
               "must be > 0 and <= 100, got " + FormatNumber(*v));
    } else {
      check->percentile = *v;
    }
  }

  if (auto v = t.Read(kCheckAfter)) {
    check->after = *v;
    refs_.Phase(*v, t.At(kCheckAfter), t.Path(kCheckAfter));
  }
  if (auto v = t.Read(kCheckWithin)) check->within = *v;
  if (const toml::node* n = t.Get(kCheckTolerance)) {
    // In the metric's unit, read as a limit is: a size only on a metric in bytes.
    ReadLimit(*n, t.Path(kCheckTolerance), "tolerance", false, check->metric, &check->tolerance);
  }

  if (auto v = t.Read(kCheckFrames)) check->frames = *v;
  if (auto v = t.Read(kCheckAt)) check->at = *v;
  held_at_sites_.push_back({t.Get(kCheckAt) ? t.At(kCheckAt) : t.Where(), t.Path(kCheckAt)});

  std::vector<Element> variants;
  if (auto v = t.Read(kCheckVariants, &variants)) {
    for (const Element& e : variants) refs_.Variant(e.text, e.where, e.key);
    check->variants = std::move(*v);
  }

  CheckSites& at = check_sites_.emplace_back();
  at.limit = {t.At(kCheckLimit), t.Path(kCheckLimit)};
  at.phases = {t.At(kCheckPhases), t.Path(kCheckPhases)};
  at.after = {t.At(kCheckAfter), t.Path(kCheckAfter)};
  at.within = {t.At(kCheckWithin), t.Path(kCheckWithin)};
  at.variants = {t.At(kCheckVariants), t.Path(kCheckVariants)};
  const toml::node* limit = t.Get(kCheckLimit);
  at.limit_is_number = limit && limit->is_number();
  at.variants_written = t.Get(kCheckVariants) != nullptr;
  if (auto v = t.Read(kCheckDependency)) {
    check->dependency = *v;
    refs_.AuditedDependency(*v, *check, t.At(kCheckDependency), t.Path(kCheckDependency));
  }
  if (auto v = t.Read(kCheckOpenFor)) check->open_for = *v;
}

// A limit or a tolerance (`what`): a number, a duration (in seconds; in ms
// on a metric in ms) or a size (in bytes); for a latency or outlived check
// (`is_latency`) only a duration or a number of seconds. A duration on a
// metric in bytes or percent, a size on one in ms or percent, and either on
// a built-in count (threads, fds, upstream.D ...) is an error.
void ScenarioReader::ReadLimit(const toml::node& n, const std::string& key, const char* what,
                               bool is_latency, const std::string& metric, double* limit) {
  const Unit metric_unit = metric.empty() ? Unit::kNone : SeriesUnit(metric);
  const bool count = !is_latency && metric_unit == Unit::kNone && IsReservedMetricName(metric);
  const std::string expected =
      is_latency ? "expected a duration string like \"250ms\" or a number of seconds"
                 : "expected a number, a duration like \"2s\" or a size like \"20MiB\"";
  auto unfit = [&](const char* unit_text) {
    const std::string in = count                            ? std::string(" is a count")
                           : metric_unit == Unit::kPercent ? std::string(" is a percentage")
                                                           : std::string(" is in ") +
                                                                 ToString(metric_unit);
    r_.Error(Pos(n.source()), key,
             Quote(metric) + in + ": a " + what + " on it is a number" +
                 (metric_unit == Unit::kBytes ? " or a size like \"20MiB\"" : "") +
                 (metric_unit == Unit::kMilliseconds ? " or a duration like \"20ms\"" : "") +
                 ", not " + unit_text + " like " + Quote(n.as_string()->get()));
  };
  if (const auto* s = n.as_string()) {
    std::string why;
    if (auto d = ParseDurationValue(s->get(), &why)) {
      if (metric_unit == Unit::kBytes || metric_unit == Unit::kPercent || count)
        return unfit("a duration");
      *limit = ToSeconds(*d) * (metric_unit == Unit::kMilliseconds ? 1000 : 1);
    } else if (is_latency) {
      r_.Error(Pos(n.source()), key, expected + ", got " + Describe(n));
    } else if (auto b = SizeValue(s->get(), &why)) {
      if (metric_unit == Unit::kMilliseconds || metric_unit == Unit::kPercent || count)
        return unfit("a size");
      *limit = *b;
    } else {
      r_.Error(Pos(n.source()), key, expected + ", got " + Describe(n));
    }
  } else if (n.is_number()) {
    std::string why;
    if (auto v = FiniteNumber(n, &why); !v) {
      r_.Error(Pos(n.source()), key, why);
    } else if (*v < 0) {  // as for an expression: no check kind measures below 0
      r_.Error(Pos(n.source()), key,
               std::string("a ") + what + " must be >= 0, got " + FormatNumber(*v));
    } else {
      *limit = *v;
    }
  } else {
    r_.Error(Pos(n.source()), key, expected + ", got " + Describe(n));
  }
}

}  // namespace faultline
