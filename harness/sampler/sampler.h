// Sampler: takes a row of the built-in metrics of the target's process tree
// at a fixed interval and hands it to the run.
//
// Schedule: the first row at Start(), then one per slot epoch + k*interval.
// When slots were missed (the loop was busy, or a read took longer than an
// interval), they are skipped, not bunched: the next row is taken at once
// and the following one at the next slot still ahead. Each row holds what
// the process tree gave (threads, processes, rss_bytes, fds, established,
// close_wait; nothing when the root is gone; see process_tree.h),
// cpu_percent from the CPU ns used since the previous row (not in the
// first; both counters timed by the end of their reads, when they were
// taken), sample_ms (how long the reads took; with the tree's metrics), and whatever the run's
// `gauges` add (its own counters: in_flight, connections, upstream.D).
// A row's t_s is when its reads started, from the epoch: the truth, not the
// slot.
//
// The reads run through `reads` (a dedicated thread in production, see
// sample_reads.h): never on the event loop. Everything else, the sink and
// the gauges included, runs on the thread that runs the clock's timers;
// never inside Start() unless `reads` is inline; none after Stop() returns,
// none from the destructor. The clock's Now() must be callable from the reads' thread.
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
#include "harness/sampler/process_tree.h"
#include "harness/sampler/sample_reads.h"

namespace faultline {

/// One sample: metric name -> value. A metric that could not be read is absent.
using SampleRow = std::map<std::string, double>;

struct SamplerOptions {
  pid_t pid = 0;  // root of the process tree
  Duration interval = std::chrono::milliseconds(100);
  TimePoint epoch;            // slot k is due at epoch + k * interval; t_s is from here
  uint64_t page_size = 4096;  // sysconf(_SC_PAGESIZE) in production
};

class Sampler {
 public:
  using Gauges = std::function<void(SampleRow* row)>;
  using Sink = std::function<void(double t_s, const SampleRow& row)>;

  Sampler(Clock& clock, ProcFs& procfs, std::unique_ptr<SampleReads> reads, SamplerOptions options,
          Gauges gauges, Sink sink);
  ~Sampler();  // Stop()
  Sampler(const Sampler&) = delete;
  Sampler& operator=(const Sampler&) = delete;

  /// Starts the first row's reads now and schedules the rest. Call once.
  void Start();
  /// No more rows after it returns. A read in progress finishes and its
  /// row is handed to the sink inside Stop(), so a short run still has one.
  void Stop();

 private:
  struct Reading {
    TimePoint start;
    TimePoint end;
    std::optional<TreeSample> tree;
  };
  void Schedule();
  void Take();
  void Deliver(const Reading& reading);

  Clock& clock_;
  SamplerOptions options_;
  TreeReader tree_;  // used on the reads' thread only
  Gauges gauges_;
  Sink sink_;
  std::unique_ptr<Timer> timer_;
  uint64_t slot_ = 0;
  std::optional<std::pair<TimePoint, double>> last_cpu_;  // when, cumulative CPU seconds
  bool running_ = false;
  bool deliver_ = true;  // false once destruction began
  std::unique_ptr<SampleReads> reads_;  // last: stopped first, while the rest still exists
};

}  // namespace faultline
