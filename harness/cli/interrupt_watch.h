// SIGINT, SIGTERM and SIGHUP for a command that runs several scenarios (a suite,
// `--repeat`, a sweep): caught from the first run to the last report, so a
// signal that arrives between two runs (while one's reports are written or
// the next scenario loads) stops the loop instead of killing faultline with
// its summaries unwritten.
//
// Each run's Runner (harness/run/runner.h) watches the same signals with an
// asio::signal_set on its own loop. Boost.Asio counts the signal_sets of a
// signal across the process and resets the signal to its default action
// only when the last one is gone; an InterruptWatch holds one for the whole
// command, so that never happens between runs. Asio hands every signal to
// every signal_set: a signal during a run interrupts that run (the Runner)
// and is seen here too; one between runs waits in Asio's pipe, is seen here
// at the next Interrupted(), and interrupts the next Runner at its start if
// the loop starts one anyway.
//
// One thread: construct, call and destroy it on the thread that runs the
// scenarios, after StartRunEnvironment (no thread may exist at its fork).
#pragma once

#include <memory>

namespace faultline {

class InterruptWatch {
 public:
  /// Catches SIGINT, SIGTERM and SIGHUP until destroyed (then their default
  /// action is back, unless another signal_set still watches them).
  InterruptWatch();
  ~InterruptWatch();
  InterruptWatch(const InterruptWatch&) = delete;
  InterruptWatch& operator=(const InterruptWatch&) = delete;

  /// Whether SIGINT, SIGTERM or SIGHUP arrived since construction; does not block.
  bool Interrupted();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace faultline
