// Clock: where every part of a run takes its time from and sets its timers
// (load schedule, proxy delays, sampling, scrape deadlines, phase timeline).
//
// Production code uses AsioClock: std::chrono::steady_clock and Asio timers
// on the run's io_context. Tests use ManualClock: time stands still until the
// test calls Advance(), which fires every timer that falls due, in time
// order, on the test's thread. So schedules, timelines and windows are tested
// without sleeping and without depending on the machine's speed.
//
// Single-threaded, like the rest of a run: create, arm, cancel and destroy
// timers on the thread that runs the io_context (or that calls Advance()).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <utility>

#include "harness/common/asio.h"

namespace faultline {

using SteadyClock = std::chrono::steady_clock;
using TimePoint = SteadyClock::time_point;

/// A one-shot timer. At most one wait is pending: arming it again replaces
/// the pending wait. A cancelled or replaced wait's callback is destroyed
/// without running; so is a pending one when the Timer is destroyed. The
/// callback never runs inside At() or Cancel().
class Timer {
 public:
  virtual ~Timer() = default;
  /// Runs `fire` once at `when` (at once, but not inside this call, if
  /// `when` has passed).
  virtual void At(TimePoint when, std::function<void()> fire) = 0;
  /// Drops the pending wait, if any.
  virtual void Cancel() = 0;
  /// A wait is armed and has not fired or been cancelled.
  virtual bool pending() const = 0;
};

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint Now() const = 0;
  /// A new, unarmed timer. It must not outlive the clock.
  virtual std::unique_ptr<Timer> NewTimer() = 0;

  /// Convenience: arms `timer` to fire `after` from Now().
  void After(Timer& timer, std::chrono::nanoseconds after, std::function<void()> fire) {
    timer.At(Now() + after, std::move(fire));
  }
};

/// The real clock: steady_clock, timers on `io`. Callbacks run on the thread
/// running `io`.
class AsioClock final : public Clock {
 public:
  explicit AsioClock(asio::io_context& io) : io_(io) {}
  TimePoint Now() const override { return SteadyClock::now(); }
  std::unique_ptr<Timer> NewTimer() override;

 private:
  asio::io_context& io_;
};

/// A clock for tests: Now() moves only when Advance()/AdvanceTo() is called.
/// Timers fire inside Advance, in order of their due time (ties in arming
/// order), each with Now() equal to its due time; a callback may arm timers,
/// and those fire in the same Advance if they fall due within it.
class ManualClock final : public Clock {
 public:
  /// Starts at an arbitrary but fixed point (not the epoch of steady_clock,
  /// so code that subtracts time points sees realistic values).
  ManualClock() : now_(TimePoint(std::chrono::hours(1000))) {}
  TimePoint Now() const override { return now_; }
  std::unique_ptr<Timer> NewTimer() override;

  /// Moves time forward by `d`, firing due timers on the way.
  void Advance(std::chrono::nanoseconds d) { AdvanceTo(now_ + d); }
  void AdvanceTo(TimePoint t);
  /// Timers armed and not yet fired.
  size_t pending_timers() const { return queue_.size(); }
  /// The due time of the earliest pending timer; Now() when none is pending.
  TimePoint next_due() const { return queue_.empty() ? now_ : queue_.begin()->first.first; }

 private:
  class ManualTimer;
  friend class ManualTimer;
  using Key = std::pair<TimePoint, uint64_t>;  // due time, arming sequence
  struct Entry {
    ManualTimer* timer;
    std::function<void()> fire;
  };
  TimePoint now_;
  uint64_t sequence_ = 0;
  std::map<Key, Entry> queue_;
};

}  // namespace faultline
