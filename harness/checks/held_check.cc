#include "harness/checks/held_check.h"

#include "harness/common/text.h"

namespace faultline {

std::optional<std::string> EvaluateHeld(const CheckSpec& check, const VariantResult& v,
                                        CheckResult* r) {
  r->unit = Unit::kNone;
  const Census* census = nullptr;
  for (const Census& c : v.census) {
    if (c.at == check.at) census = &c;
  }
  if (census == nullptr) return "no census " + Quote(check.at) + " was taken";
  r->window_start_s = r->window_end_s = census->t_s;  // a census judges one moment
  bool any_stack = false;
  for (const CensusGroup& g : census->groups) any_stack = any_stack || !g.frames.empty();
  if (!any_stack) {
    return "census " + Quote(check.at) + " holds no stack" +
           (census->reason.empty() ? std::string() : ": " + census->reason);
  }
  const uint64_t n = CountMatching(*census, check.frames);
  // Threads with no stack, or frames that could not be named, may match:
  // what the seen ones alone cannot decide is not judged (a stripped
  // service's 200 held threads once passed "at most 0").
  const uint64_t unjudged = CountUnjudged(*census, check.frames);
  const double seen = static_cast<double>(n), all = static_cast<double>(n + unjudged);
  const bool undecided = check.at_least ? seen < check.limit && all >= check.limit
                                        : seen <= check.limit && all > check.limit;
  const char* what = census->source == "go" ? " goroutines" : " threads";
  if (unjudged > 0 && undecided) {
    return std::to_string(unjudged) + " of the " + std::to_string(census->total) + what +
           " at census " + Quote(check.at) + " have no stack or frames that could not be named" +
           (census->reason.empty() ? "" : " (" + census->reason + ")") + "; they may match " +
           Quote(check.frames) + ", so it cannot tell";
  }
  r->observed = static_cast<double>(n);
  r->passed = check.at_least ? r->observed >= check.limit : r->observed <= check.limit;
  if (!r->passed) r->at_s = census->t_s;
  r->detail = std::to_string(n) + " of " + std::to_string(census->total) + what + " at census " +
              Quote(check.at) + " match " + Quote(check.frames);
  if (check.at_least) r->detail += " (passes at or above the limit)";
  if (census->partial) r->detail += " (partial census: " + census->reason + ")";
  return std::nullopt;
}

}  // namespace faultline
