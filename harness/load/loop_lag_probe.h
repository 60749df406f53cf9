// LoopLagProbe: how late the event loop runs what is due on it. A timer due
// every `period` (10 ms in a run) notes how late it fired; TakeWorst()
// returns the worst lateness since the previous call, including that of a
// wait still pending past its due time (a loop stalled across the whole
// interval still shows), and starts over.
//
// It lives beside the load generator because the schedule is what a late
// loop hurts first: the generator's start lag is per request, the probe's
// figure is per sample (`loop_lag_ms` in each sample row). It measures; it
// never sleeps or spins.
//
// Time and the timer come from the Clock (tested on a ManualClock).
// Single-threaded; the timer dies with the probe.
#pragma once

#include <chrono>
#include <memory>

#include "harness/common/clock.h"
#include "harness/common/units.h"

namespace faultline {

class LoopLagProbe {
 public:
  /// Starts probing at once. `clock` must outlive the probe.
  LoopLagProbe(Clock& clock, Duration period);
  LoopLagProbe(const LoopLagProbe&) = delete;
  LoopLagProbe& operator=(const LoopLagProbe&) = delete;

  /// The worst lateness since the previous call (or since the start), zero
  /// or more; then starts over.
  Duration TakeWorst();

  /// TakeWorst() in milliseconds, for a sample row.
  double TakeWorstMs() { return ToSeconds(TakeWorst()) * 1e3; }

 private:
  void Arm();

  Clock& clock_;
  const Duration period_;
  std::unique_ptr<Timer> timer_;
  TimePoint due_;
  Duration worst_{0};
};

}  // namespace faultline
