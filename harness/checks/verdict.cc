#include "harness/checks/verdict.h"

#include <algorithm>

#include "harness/checks/checks.h"

namespace faultline {

CheckResult ProcessesStayedUp(const std::string& why) {
  CheckResult c;
  c.name = "processes stayed up";
  c.kind = CheckKind::kProcess;
  c.passed = false;
  c.detail = why;
  return c;
}

void Judge(const std::vector<CheckSpec>& checks, const std::string& baseline_phase,
           const std::optional<std::string>& process_died, VariantResult* v) {
  if (!v->phases.empty()) {
    const PhaseSpan* base = &v->phases.front();
    for (const auto& p : v->phases)
      if (p.name == baseline_phase) base = &p;
    v->baseline = ComputeBaseline(v->samples, *base);
  }
  v->checks.clear();
  for (const auto& check : checks) v->checks.push_back(EvaluateCheck(check, *v));
  if (process_died) v->checks.push_back(ProcessesStayedUp(*process_died));

  const bool all = std::all_of(v->checks.begin(), v->checks.end(),
                               [](const CheckResult& c) { return c.passed; });
  v->outcome = all ? VariantOutcome::kPass : VariantOutcome::kFail;
  // A check with nothing to judge (a mistyped selector, a dead metrics
  // endpoint, a phase with no requests) must not pass for an expected failure.
  for (const auto& c : v->checks) {
    if (c.computed) continue;
    v->outcome = VariantOutcome::kError;
    v->error = "check \"" + c.name + "\" could not be computed: " + c.detail;
    return;
  }
  // A crash is not the pathology an expected failure is about: meeting that
  // expectation takes a check that failed on what was measured.
  if (process_died && v->expect == Expectation::kFail) {
    v->outcome = VariantOutcome::kError;
    v->error = *process_died + "; a variant expected to fail must fail its checks, not crash";
  }
}

}  // namespace faultline
