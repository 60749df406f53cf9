#include "harness/scenario/warnings.h"

#include <algorithm>

#include "harness/common/text.h"
#include "harness/common/units.h"

namespace faultline {
namespace {

// Above this, a bare-number latency limit is probably meant as milliseconds.
constexpr double kLatencySecondsWorthAsking = 60;

bool Has(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

void WarnRecovers(const Scenario& s, const CheckSpec& c, const CheckSites& at, Reporter& r) {
  size_t i = 0;
  while (i < s.phases.size() && s.phases[i].name != c.after) ++i;
  if (i == s.phases.size()) return;
  Duration following{0};
  for (size_t j = i + 1; j < s.phases.size(); ++j) following += s.phases[j].duration;
  const std::string after = Quote(c.after);
  if (i + 1 == s.phases.size()) {
    r.Warning(at.after.where, at.after.key,
              "phase " + after +
                  " is the last phase: nothing follows it, so only the last sample is judged "
                  "and within " +
                  FormatDuration(c.within) +
                  " has no effect; add a phase after it (e.g. a drain with rate = 0) at least " +
                  FormatDuration(c.within) + " long");
  } else if (c.within > following) {
    r.Warning(at.within.where, at.within.key,
              "within " + FormatDuration(c.within) + " is longer than the " +
                  FormatDuration(following) + " of phases after " + after +
                  ": a recovery later than " + FormatDuration(following) +
                  " is never seen; lengthen the phases after " + after + " or shorten within");
  }
}

}  // namespace

void WarnCannotTell(const Scenario& s, const std::vector<CheckSites>& checks,
                    const std::vector<PhaseSites>& phases, Reporter& r) {
  if (s.checks.empty()) {
    r.Warning(SourcePos{1, 1}, "checks",
              "no [[checks]]: every variant passes whatever it measures (as long as its "
              "processes stay up), and one with expect = \"fail\" cannot be met; add checks, or "
              "run it as an experiment, not as a gate");
  }
  const Duration two_samples = 2 * s.sampling.interval;
  for (size_t i = 0; i < s.phases.size() && i < phases.size(); ++i) {
    const Phase& p = s.phases[i];
    if (p.duration >= two_samples) continue;
    r.Warning(phases[i].duration.where, phases[i].duration.key,
              "phase " + Quote(p.name) + " lasts " + FormatDuration(p.duration) +
                  ", less than two sampling intervals (2 x " + FormatDuration(s.sampling.interval) +
                  "): checks over it see one sample or none; make it longer or lower "
                  "sampling.interval");
  }

  for (size_t i = 0; i < s.checks.size() && i < checks.size(); ++i) {
    const CheckSpec& c = s.checks[i];
    const CheckSites& at = checks[i];
    switch (c.kind) {
      case CheckSpec::Kind::kRecovers:
        WarnRecovers(s, c, at, r);
        break;
      case CheckSpec::Kind::kLatency:
        if (at.limit_is_number && c.limit > kLatencySecondsWorthAsking) {
          r.Warning(at.limit.where, at.limit.key,
                    "a bare number is read as seconds: " + FormatNumber(c.limit) + " means " +
                        FormatNumber(c.limit) + " s, not ms; write \"" + FormatNumber(c.limit) +
                        "ms\" if you meant milliseconds");
        }
        break;
      case CheckSpec::Kind::kGrowth: {
        bool only_baseline = !c.phases.empty();
        for (const std::string& p : c.phases)
          only_baseline = only_baseline && p == s.baseline_phase;
        if (only_baseline) {
          r.Warning(at.phases.where, at.phases.key,
                    "the window is the baseline phase " + Quote(s.baseline_phase) +
                        " itself: growth over its own mean shows only noise; set phases to "
                        "the phases after the baseline");
        }
        break;
      }
      default:
        break;
    }
    // A latency or error ratio over phases that send nothing has no request
    // to judge: the run would end in "could not be computed" (exit 3).
    if ((c.kind == CheckSpec::Kind::kLatency || c.kind == CheckSpec::Kind::kErrorRatio) &&
        !c.phases.empty()) {
      bool silent = true;
      for (const std::string& name : c.phases) {
        for (const Phase& p : s.phases)
          if (p.name == name) silent = silent && p.rate.value_or(s.load.rate) == 0;
      }
      if (silent) {
        r.Warning(at.phases.where, at.phases.key,
                  std::string("no request is sent in ") + (c.phases.size() == 1 ? "it" : "them") +
                      " (rate 0): the check would have nothing to judge and the run would end "
                      "in an error (exit 3); set phases to phases with load");
      }
    }
    if (at.variants_written && c.variants.empty()) {
      r.Warning(at.variants.where, at.variants.key,
                "an empty list excludes every variant but is read as no restriction: the "
                "check applies to every variant; remove the key, or name the variants it is "
                "for");
    }
  }
}

std::vector<Diagnostic> SelectionWarnings(const Scenario& s,
                                          const std::vector<std::string>& selected) {
  std::vector<Diagnostic> out;
  if (selected.empty()) return out;
  for (size_t i = 0; i < s.checks.size(); ++i) {
    const CheckSpec& c = s.checks[i];
    if (c.variants.empty()) continue;
    bool applies = false;
    for (const std::string& v : c.variants) applies = applies || Has(selected, v);
    if (applies) continue;
    out.push_back(Diagnostic{s.path, 0, 0, Indexed("checks", i) + ".variants",
                             "check " + Quote(c.name) + " is for " + CommaList(c.variants) +
                                 ", none of which --variant runs: it judges nothing",
                             Diagnostic::Severity::kWarning});
  }
  return out;
}

}  // namespace faultline
