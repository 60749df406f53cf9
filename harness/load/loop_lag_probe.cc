#include "harness/load/loop_lag_probe.h"

#include <algorithm>

namespace faultline {

LoopLagProbe::LoopLagProbe(Clock& clock, Duration period)
    : clock_(clock), period_(period), timer_(clock.NewTimer()), due_(clock.Now()) {
  Arm();
}

void LoopLagProbe::Arm() {
  due_ += period_;
  timer_->At(due_, [this] {
    const TimePoint now = clock_.Now();
    worst_ = std::max(worst_, Duration(now - due_));
    // After a stall longer than a period, the next probe is a period from
    // now: the stall counted once, not as a burst of late probes.
    if (now - due_ >= period_) due_ = now;
    Arm();
  });
}

Duration LoopLagProbe::TakeWorst() {
  const TimePoint now = clock_.Now();
  Duration worst = std::max(worst_, Duration(now > due_ ? now - due_ : Duration{0}));
  worst_ = Duration{0};
  // A pending wait already past due counted up to now; only what comes after counts next time.
  if (now > due_) due_ = now;
  return worst;
}

}  // namespace faultline
