#include "reports/report_figures.h"

#include <set>

namespace faultline {

std::string RunVerdict(const RunResult& r) {
  if (!r.complete) return "INCOMPLETE";
  if (r.passed()) return "PASSED";
  if (r.interrupted) return "INTERRUPTED";
  if (!r.error.empty()) return "ERROR";
  // A variant that could not be judged makes the run exit 3, as an error.
  for (const auto& v : r.variants)
    if (v.outcome == VariantOutcome::kError) return "ERROR";
  return "FAILED";
}

std::string NotRunNotice(const std::vector<std::string>& names) {
  std::string out = "not run: ";
  for (size_t i = 0; i < names.size(); ++i) out += (i ? ", " : "") + names[i];
  return out + " (the run stopped before " + (names.size() == 1 ? "it" : "them") + ")";
}

std::string AbandonedNote(uint64_t abandoned) {
  return "and " + std::to_string(abandoned) + (abandoned == 1 ? " request" : " requests") +
         " still in flight when the run was interrupted: no outcome, not in these counts";
}

std::string RetriedNote(uint64_t retried) {
  return std::to_string(retried) + (retried == 1 ? " request was" : " requests were") +
         " sent a second time, on a new connection: the reused connection was closed before "
         "any response byte (each counted once, by the second attempt's outcome)";
}

std::string IncompleteNotice() {
  return "incomplete: this copy of results.json was written while the run went on, and the run "
         "never wrote its final one (it was killed, or is still running); the variants shown "
         "are those that had finished";
}

uint64_t OutcomeClass::CountIn(const OutcomeCounts& c) const {
  switch (kind) {
    case Kind::kOk:
      return c.ok;
    case Kind::kStatus: {
      auto it = c.status.find(status);
      return it == c.status.end() ? 0 : it->second;
    }
    case Kind::kTimeout:
      return c.timeout;
    case Kind::kReset:
      return c.reset;
    case Kind::kConnectError:
      return c.connect_error;
    case Kind::kDropped:
      return c.dropped;
  }
  return 0;
}

std::vector<OutcomeClass> OutcomeClasses(const std::vector<OutcomeCounts>& totals) {
  using Kind = OutcomeClass::Kind;
  std::set<int> codes;
  for (const auto& c : totals)
    for (const auto& [code, n] : c.status) codes.insert(code);
  std::vector<OutcomeClass> out = {{Kind::kOk, 0, "ok"}};
  for (int code : codes) out.push_back({Kind::kStatus, code, "HTTP " + std::to_string(code)});
  const OutcomeClass tail[] = {{Kind::kTimeout, 0, "timeout"},
                               {Kind::kReset, 0, "reset"},
                               {Kind::kConnectError, 0, "connect error"},
                               {Kind::kDropped, 0, "dropped"}};
  for (const auto& cls : tail) {
    bool seen = false;
    for (const auto& c : totals) seen = seen || cls.CountIn(c) > 0;
    if (seen) out.push_back(cls);
  }
  return out;
}

SeriesExtent Extent(const VariantResult& v, const std::string& name) {
  SeriesExtent x;
  auto base = v.baseline.find(name);
  if (base != v.baseline.end()) x.baseline = base->second;
  const std::vector<double>* values = v.samples.Find(name);
  if (!values) return x;
  for (double value : *values) {
    if (!std::isfinite(value)) continue;
    if (std::isnan(x.peak) || value > x.peak) x.peak = value;
    x.end = value;
  }
  return x;
}

}  // namespace faultline
