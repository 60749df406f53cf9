// The parts a VariantRun drives, each behind a small interface so that the
// state machine is tested with fakes (run/variant_run_test.cc) and runs for
// real over Supervisor, FaultProxy, LoadGenerator and Scraper
// (run/real_parts.cc).
//
// Every part is single-threaded and calls back on the thread that runs the
// event loop. A callback handed to a part (`done`, a sink, an exit handler)
// never runs inside the call that handed it over, and never after the part
// is destroyed.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "harness/common/clock.h"
#include "harness/common/status.h"
#include "harness/load/outcome.h"
#include "harness/proxy/upstream_record.h"
#include "harness/result/census.h"
#include "harness/run/bind.h"
#include "harness/sampler/procfs.h"
#include "harness/sampler/sample_reads.h"
#include "harness/sampler/scraped_metrics.h"
#include "harness/supervisor/supervisor.h"

namespace faultline {

/// The run's child processes. Destroying it kills (SIGKILL) and reaps
/// whatever is still running.
class Processes {
 public:
  virtual ~Processes() = default;
  /// Called once per process that exits while not being stopped.
  virtual void OnUnexpectedExit(std::function<void(const ExitInfo&)> handler) = 0;
  /// Starts `process` (its log goes to out_dir/process.log_file).
  /// Unavailable when it cannot be started.
  virtual Status Start(const ProcessPlan& process) = 0;
  /// done(Ok) once `process` is ready; Unavailable with the reason when it
  /// exits, is stopped, or its ready.timeout passes first.
  virtual void WaitReady(const ProcessPlan& process, std::function<void(Status)> done) = 0;
  /// done(Ok) once the external dependency answers its readiness probe
  /// (external.ready, which is set) at its address; Unavailable when
  /// external.ready->timeout passes first.
  virtual void WaitExternal(const ExternalPlan& external, std::function<void(Status)> done) = 0;
  /// Stops one process (SIGTERM, then SIGKILL after its stop_grace).
  virtual void Stop(const std::string& name, std::function<void()> done) = 0;
  /// Stops every process, in reverse start order; done() when all are reaped.
  virtual void StopAll(std::function<void()> done) = 0;
  virtual std::optional<pid_t> pid(const std::string& name) const = 0;
  /// Last `lines` lines of its log, and the log's path.
  virtual std::string LogTail(const std::string& name, size_t lines) const = 0;
  virtual std::string log_path(const std::string& name) const = 0;

  /// Finds the process `attach` names (FindAttached, attach.h) and watches
  /// it as `name`: pid(name) is then its pid, and its exit is reported like
  /// a started process's (OnUnexpectedExit, with ExitInfo::attached set). It
  /// is never signalled: not by Stop, StopAll or the destructor. Unavailable
  /// naming what was looked for and what was found. Ok: the process as
  /// DescribePid names it, "pid 4242 (python3)", so that the run's event
  /// shows which program a pid file or a port led to, and LoadPortWarning's
  /// warning when the load's port is not the tree's.
  struct Attached {
    std::string who;
    std::string warning;
  };
  virtual StatusOr<Attached> Attach(const std::string& name, const AttachPlan& attach) = 0;
  /// Runs a setup or teardown command, its output to out_dir/hook.log_file.
  /// done(Ok) when it exits with code 0; Unavailable naming the command
  /// otherwise: it cannot start, exits with another code or by a signal,
  /// runs past hook.timeout, or is stopped by StopHooks. StopAll leaves it.
  virtual void RunHook(const HookPlan& hook, std::function<void(Status)> done) = 0;
  /// Stops the command under way, if any (SIGTERM, SIGKILL 3 s later).
  virtual void StopHooks() = 0;
};

/// Open-loop load at the target.
class Load {
 public:
  using Sink = std::function<void(const RequestResult&)>;
  virtual ~Load() = default;  // closes every connection without calling the sink
  /// `rps` for requests due from `from` (the phase's start, even when the
  /// loop comes to it late) and before `until` (its end).
  virtual void SetRate(double rps, TimePoint from, TimePoint until) = 0;
  /// Stops scheduling; requests in flight still end and are reported.
  virtual void Stop() = 0;
  /// Closes every connection; requests in flight are abandoned, not reported.
  virtual void Abort() = 0;
  virtual uint64_t in_flight() const = 0;
  virtual uint64_t open_connections() const = 0;
};

/// A fault proxy in front of one dependency.
class Proxy {
 public:
  virtual ~Proxy() = default;  // closes every socket
  /// Starts listening on plan.listen_port. Unavailable naming the port.
  virtual Status Listen() = 0;
  /// Replaces the faults in force with `faults` (plain values: no ramp or
  /// flap; FaultsAt in fault_schedule.h); {} clears them. A fault whose
  /// name stays keeps each connection's fraction draw.
  virtual void SetFaults(const std::vector<FaultSpec>& faults) = 0;
  virtual void Close() = 0;
  virtual uint64_t open_upstream() const = 0;
  /// Client connections it could not connect upstream (refused, reset or
  /// timed out), each closed at once: the dependency was not there.
  virtual uint64_t upstream_connect_errors() const = 0;
  /// With protocol "http": the live request counts; nullopt for a TCP proxy.
  virtual std::optional<UpstreamCounts> upstream_counts() const { return std::nullopt; }
  /// With protocol "http": calls `each` with every request record so far
  /// (open ones kOpen), in order; never for a TCP proxy.
  virtual void ForEachUpstreamRecord(const std::function<void(const UpstreamRecord&)>& each) const {
    (void)each;
  }
};

/// Takes one census of the target (harness/census). Blocking (up to a few
/// seconds): the run calls it through a SampleReads, off the event loop.
class CensusTaker {
 public:
  virtual ~CensusTaker() = default;
  /// A native census of `pid`'s process tree, or the goroutine profile at
  /// plan.url when set. Never fails: a census it could not complete is
  /// marked partial with the reason. `at` and `t_s` are left to the caller.
  virtual Census Take(const CensusPlan& plan, pid_t pid) = 0;
};

/// Makes the parts of one variant's run.
class PartFactory {
 public:
  virtual ~PartFactory() = default;
  /// Logs go under `out_dir`.
  virtual std::unique_ptr<Processes> NewProcesses(const std::string& out_dir) = 0;
  /// Its random draws are seeded with plan.seed.
  virtual std::unique_ptr<Proxy> NewProxy(const ProxyPlan& plan) = 0;
  /// Latency is measured from `epoch`; `sink` gets every request that ends.
  virtual std::unique_ptr<Load> NewLoad(const LoadPlan& plan, TimePoint epoch, Load::Sink sink) = 0;
  virtual std::unique_ptr<MetricsEndpoint> NewMetricsEndpoint(const ScrapePlan& plan) = 0;
  /// Where the sampler reads the process tree.
  virtual ProcFs& procfs() = 0;
  /// Where the sampler's blocking reads run (off the event loop).
  virtual std::unique_ptr<SampleReads> NewSampleReads() = 0;
  /// What takes the target's censuses; null: no census is taken.
  virtual std::unique_ptr<CensusTaker> NewCensusTaker() { return nullptr; }
};

}  // namespace faultline
