// Fake parts for VariantRun tests (test code only). Every part writes what
// it is asked to do, with the ManualClock's time, to one FakeWorld log, so a
// test reads the run's timeline as lines ("1.000 fault inventory hang").
// Callbacks are delivered from ManualClock timers, never inside the call
// that handed them over, as the real parts do.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "harness/common/clock.h"
#include "harness/run/parts.h"
#include "harness/sampler/fake_procfs.h"

namespace faultline {

/// What the fakes share with the test. Outlives the parts.
struct FakeWorld {
  explicit FakeWorld(ManualClock& c) : clock(c), start(c.Now()) {}

  ManualClock& clock;
  TimePoint start;                 // log times are seconds from here
  std::vector<std::string> log;    // "0.100 ready inventory"
  FakeProcFs procfs;               // the target's tree: pid 1001 onwards

  // Set by the test before the run.
  std::map<std::string, Duration> ready_after;  // default 100ms; absent from never_ready
  std::set<std::string> never_ready;            // readiness times out
  std::set<std::string> cannot_start;           // Start() fails
  bool proxy_cannot_listen = false;
  uint64_t upstream_connect_errors = 0;         // every proxy's, as it reports them
  Duration stop_takes{0};                       // how long StopAll takes
  std::string attach_error;                     // Attach() fails with this message
  std::map<std::string, int> hook_codes;        // a hook's exit code, by name; default 0
  std::set<std::string> hooks_hang;             // hooks that run until their timeout or a stop

  // State the test reads or changes mid-run.
  std::set<std::string> running;   // started, not exited or stopped
  std::set<std::string> stopping;  // StopAll under way: exits are expected
  std::set<std::string> killed;    // still running when the processes part was destroyed
  uint64_t in_flight = 0;          // the load's gauge
  std::vector<TimePoint> rate_from;   // each SetRate's `from`, in order
  std::vector<TimePoint> rate_until;  // each SetRate's `until`, in order
  Load::Sink load_sink;            // to end requests
  bool load_exists = false;
  std::map<std::string, pid_t> pids;
  std::set<std::string> attached;  // attached by Attach(), not exited; never stopped
  /// When set, the run gets a census taker that logs "census PID" and
  /// returns this census; unset, the run takes none.
  std::optional<Census> census;

  void Log(const std::string& what);
  /// A process exits with `code` (reported as unexpected unless stopping).
  void Exit(const std::string& name, int code);

  // Internal: the processes part's hooks, for Exit().
  std::function<void(const ExitInfo&)> on_exit;
  std::map<std::string, std::function<void(Status)>> waiting;  // readiness waits

  // Set by the test: every proxy speaks HTTP with these counts and records
  // (nullopt: the proxies are TCP proxies).
  std::optional<UpstreamCounts> upstream_counts;
  std::vector<UpstreamRecord> upstream_records;
};

class FakeParts final : public PartFactory {
 public:
  explicit FakeParts(FakeWorld& world) : world_(world) {}
  std::unique_ptr<Processes> NewProcesses(const std::string& out_dir) override;
  std::unique_ptr<Proxy> NewProxy(const ProxyPlan& plan) override;
  std::unique_ptr<Load> NewLoad(const LoadPlan& plan, TimePoint epoch, Load::Sink sink) override;
  std::unique_ptr<MetricsEndpoint> NewMetricsEndpoint(const ScrapePlan& plan) override;
  ProcFs& procfs() override { return world_.procfs; }
  std::unique_ptr<SampleReads> NewSampleReads() override { return std::make_unique<InlineReads>(); }
  std::unique_ptr<CensusTaker> NewCensusTaker() override;

 private:
  FakeWorld& world_;
};

}  // namespace faultline
