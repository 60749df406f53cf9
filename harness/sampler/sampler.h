// Sampler: takes a row of the built-in metrics of the target's process tree
// at a fixed interval and hands it to the run.
//
// Schedule: the first row at Start(), then one per slot epoch + k*interval.
// When the loop was busy and slots were missed, they are skipped, not
// bunched: the next row is taken at once and the following one at the next
// slot still ahead. Each row holds what /proc gave for the tree (threads,
// processes, rss_bytes, fds, established, close_wait; nothing when the root
// is gone), cpu_percent from the CPU time used since the previous row (not
// in the first), and whatever the run's `gauges` add (its own counters:
// in_flight, connections, upstream.D).
//
// Time and timers come from `clock`; /proc from `procfs`. Single-threaded:
// use it on the thread that runs the clock's timers. The sink and gauges are
// called on that thread, never inside Start(); none after Stop() or
// destruction.
#pragma once

#include <sys/types.h>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "harness/common/clock.h"
#include "harness/common/units.h"
#include "harness/sampler/procfs.h"

namespace faultline {

/// One sample: metric name -> value. A metric that could not be read is absent.
using SampleRow = std::map<std::string, double>;

struct SamplerOptions {
  pid_t pid = 0;                  // root of the process tree
  Duration interval = std::chrono::milliseconds(100);
  TimePoint epoch;                // slot k is due at epoch + k * interval; t_s is from here
  long ticks_per_second = 100;    // sysconf(_SC_CLK_TCK) in production
};

class Sampler {
 public:
  using Gauges = std::function<void(SampleRow* row)>;
  using Sink = std::function<void(double t_s, const SampleRow& row)>;

  Sampler(Clock& clock, ProcFs& procfs, SamplerOptions options, Gauges gauges, Sink sink);
  ~Sampler();
  Sampler(const Sampler&) = delete;
  Sampler& operator=(const Sampler&) = delete;

  /// Takes the first row now (handed to the sink before returning) and
  /// schedules the rest. Call once.
  void Start();
  /// No more rows.
  void Stop();

 private:
  void Schedule();
  void Take();

  Clock& clock_;
  ProcFs& procfs_;
  SamplerOptions options_;
  Gauges gauges_;
  Sink sink_;
  std::unique_ptr<Timer> timer_;
  uint64_t slot_ = 0;
  std::optional<std::pair<TimePoint, double>> last_cpu_;  // when, cumulative CPU seconds
  bool running_ = false;
};

}  // namespace faultline
