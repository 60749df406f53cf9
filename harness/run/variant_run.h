// VariantRun: executes one variant's Plan, from starting its processes to
// the verdict, as an explicit state machine driven by callbacks and timers:
//
//   kStarting  proxies listen; each external dependency with `ready` is
//              probed, then each process is started and waited for in
//              turn, then the variant's setup commands run in order, then
//              an attached target is looked up (Processes::Attach). Any
//              failure (cannot start, not ready, another process exits
//              meanwhile, a setup command fails, no single process to
//              attach to) ends the variant as an error.
//   kPhases    load starts; each phase sets the load rate and the proxies'
//              faults, and ends at epoch + the durations so far (so timer
//              lateness never accumulates). Within a phase, ramps and flaps
//              change a dependency's faults at the moments FaultSchedule
//              (fault_schedule.h) gives, each at phase start + its offset;
//              each change is an event line ("faults on inventory: latency
//              250ms inventory") and a progress note. The sampler runs
//              throughout.
//              A process that exits ends the phases at once and fails the
//              variant ("processes stayed up").
//              Censuses (issue 14): each [[census]] moment is taken at its
//              phase's start + offset, and, after the last phase (the
//              sampler stopped, so no check window sees it), the census
//              "end"; the run waits for that one before draining. A census
//              runs off the loop (CensusTaker through SampleReads), one at a
//              time (a moment due during another waits its turn); each adds
//              an event line. None after a process died or an interrupt.
//   kDraining  no new requests; waits (polling every 50 ms) for requests in
//              flight and the last scrape, at most load.timeout + 1 s.
//   kStopping  faults cleared, every process stopped, then the teardown
//              commands run in order (whenever the setup was reached, also
//              after an error or an interrupt; a failing one is an event),
//              then log tails are read. An attached target is never
//              stopped or signalled: only its watch ends.
//   kDone      outcome decided: interrupted, error, or the checks' verdict.
//
// Interrupt() (first SIGINT/SIGTERM) stops in order from any state: load is
// aborted (its in-flight requests counted as abandoned), processes are told
// to stop, and the variant moves straight on to draining and stopping; its
// outcome is "interrupted". Kill() (second signal) destroys every part at
// once (processes get SIGKILL) without calling `done`.
//
// One object per variant: create, Start(), and destroy it after `done` ran,
// never from inside `done` (post the destruction). Time and timers come from
// `clock`; every part from `parts`. Single-threaded.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "harness/audit/cancellation.h"
#include "harness/common/clock.h"
#include "harness/common/status.h"
#include "harness/result/result.h"
#include "harness/run/bind.h"
#include "harness/run/fault_schedule.h"
#include "harness/run/parts.h"
#include "harness/run/progress_line.h"
#include "harness/sampler/sampler.h"
#include "harness/sampler/scraped_metrics.h"

namespace faultline {

class VariantRun {
 public:
  enum class State { kCreated, kStarting, kPhases, kDraining, kStopping, kDone };

  /// Called once, at kDone: Ok, or why the variant could not run (Invalid
  /// or Unavailable; its outcome is then "error"). Ok when interrupted.
  using Done = std::function<void(Status)>;

  /// `result` is filled as the run goes and must outlive this object; logs
  /// go under `out_dir`.
  VariantRun(Plan plan, std::string out_dir, Clock& clock, PartFactory& parts,
             ProgressLine& progress, VariantResult* result, Done done);
  ~VariantRun();
  VariantRun(const VariantRun&) = delete;
  VariantRun& operator=(const VariantRun&) = delete;

  void Start();
  void Interrupt();
  void Kill();
  /// After an internal error (a handler threw): stops as Interrupt() does
  /// (the processes stopped, the teardown run, what was measured kept), and
  /// the outcome is "error" with `why`, not "interrupted".
  void Abort(Status why);
  /// The longest stopping can take from any state: each process's stop
  /// grace, a census's timeout, each teardown command's timeout and kill,
  /// and slack.
  Duration StopBound() const;

  State state() const { return state_; }
  /// The phase under way (meaningful in kPhases).
  size_t phase() const { return phase_; }

 private:
  void WaitExternal(size_t index);
  void StartProcess(size_t index);
  void RunSetup(size_t index);
  void AttachTarget();
  void RunTeardown(size_t index);
  void FinishStopping();
  void NextFaultChange();
  void StartPhases();
  void EnterPhase(size_t index);
  void EndPhase(bool full);
  void Drain();
  void CheckDrained();
  void StopProcesses();
  void Decide();
  void Teardown(Status status);
  void OnExit(const ExitInfo& info);
  void OnSample(double t_s, const SampleRow& row);
  void AddGauges(SampleRow* row) const;
  void AuditUpstream();
  void NoteUnreachedUpstreams();
  void ScheduleProgress();
  void NextCensusMoment();
  void TakeCensus(const std::string& at, std::function<void()> then);
  void CensusTaken(const Census& census);

  const Plan plan_;
  const std::string out_dir_;
  Clock& clock_;
  PartFactory& parts_;
  ProgressLine& progress_;
  VariantResult& vr_;
  Done done_;

  State state_ = State::kCreated;
  Status status_;                            // why the variant could not run
  bool interrupted_ = false;
  bool aborted_ = false;                     // stopped by Abort: an error, not an interrupt
  uint64_t out_of_fds_at_start_ = 0;         // OutOfFdsNoted() then: more at the end, an error
  std::optional<std::string> process_died_;  // a process exited during the phases or draining
  std::optional<std::string> startup_exit_;  // a process exited while others were starting
  std::string starting_;                     // the process whose readiness is awaited
  bool setup_reached_ = false;               // the setup began: the teardown runs at the end

  // Declared before the parts that call back into this object, so they are
  // destroyed after them.
  std::unique_ptr<Timer> phase_timer_, drain_timer_, progress_timer_, fault_timer_;
  std::unique_ptr<Processes> processes_;
  std::vector<std::pair<std::string, std::unique_ptr<Proxy>>> proxies_;  // by dependency
  std::unique_ptr<Load> load_;
  std::unique_ptr<ScrapedMetrics> scraped_;
  std::unique_ptr<Sampler> sampler_;
  // The census (issue 14): the taker, the thread it runs on, the next moment.
  std::unique_ptr<Timer> census_timer_ = clock_.NewTimer();
  std::unique_ptr<CensusTaker> census_taker_;
  std::unique_ptr<SampleReads> census_reads_;
  std::vector<std::pair<TimePoint, std::string>> census_moments_;  // by time
  size_t next_census_ = 0;
  bool census_busy_ = false;
  bool ending_ = false;      // the phases are over; the census "end" is under way
  bool destroying_ = false;  // no census callback runs from here on
  std::vector<std::pair<std::string, std::function<void()>>> census_queue_;

  CallerLedger callers_;     // the client requests, for the cancellation audit
  TimePoint epoch_{};        // t = 0: when load started
  TimePoint phase_start_{};
  TimePoint drain_deadline_{};
  size_t phase_ = 0;
  PhaseSpan span_;           // the phase under way
  std::vector<FaultChange> changes_;  // the phase's fault changes
  size_t next_change_ = 0;            // the next one due
  double total_s_ = 0;
  uint64_t completed_ = 0;   // requests ended
  pid_t target_pid_ = 0;
  uint64_t progress_tick_ = 0;
  LiveBaseline live_baseline_;
};

}  // namespace faultline
