// Deadline: the moment after which a request's work is worth nothing.
//
// The rule this example teaches: create ONE deadline where the request
// enters the service, pass it by value as the first parameter down through
// every function, and turn it into a timeout at every outbound call. Never
// store it in a global or a member, and never create a fresh one midway
// (that silently grants the rest of the call tree a new budget).
#pragma once

#include <algorithm>
#include <chrono>

#include "harness/common/units.h"

namespace faultline::orders {

class Deadline {
 public:
  using Clock = std::chrono::steady_clock;

  /// A deadline `budget` from now.
  static Deadline After(Duration budget) { return Deadline(Clock::now() + budget, budget); }

  /// Time left, never negative: zero once expired.
  Duration remaining() const { return std::max<Duration>(at_ - Clock::now(), Duration::zero()); }
  bool expired() const { return Clock::now() >= at_; }

  /// The budget this deadline was created with, for error messages.
  Duration budget() const { return budget_; }

 private:
  Deadline(Clock::time_point at, Duration budget) : at_(at), budget_(budget) {}
  Clock::time_point at_;
  Duration budget_;
};

}  // namespace faultline::orders
