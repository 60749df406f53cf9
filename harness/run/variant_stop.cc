// VariantRun's end (harness/run/variant_run.h): draining the requests in
// flight, stopping the processes, the teardown commands and the verdict, and
// the three ways a variant is cut short: an interrupt, an abort after an
// internal error, and a kill.
#include "harness/run/variant_run.h"

#include "harness/checks/verdict.h"
#include "harness/common/out_of_fds.h"

namespace faultline {

namespace {
constexpr auto kDrainPoll = std::chrono::milliseconds(50);
constexpr auto kDrainSlack = std::chrono::seconds(1);  // past load.timeout
}  // namespace

void VariantRun::Teardown(Status status) {
  // After an interrupt, a failure is its fallout (a readiness wait cut short).
  if (status_.ok() && !interrupted_) status_ = std::move(status);
  Drain();
}

void VariantRun::Drain() {
  state_ = State::kDraining;
  if (!load_) return StopProcesses();
  load_->Stop();
  // Requests still in flight end by their client timeout at the latest; so
  // does the last scrape (its timeout is shorter than an interval).
  drain_deadline_ = clock_.Now() + plan_.load.timeout + kDrainSlack;
  CheckDrained();
}

void VariantRun::CheckDrained() {
  const bool drained = load_->in_flight() == 0 && (!scraped_ || scraped_->pending() == 0);
  if (interrupted_ || drained || clock_.Now() >= drain_deadline_) {
    load_->Abort();
    return StopProcesses();
  }
  clock_.After(*drain_timer_, kDrainPoll, [this] { CheckDrained(); });
}

void VariantRun::StopProcesses() {
  state_ = State::kStopping;
  if (!interrupted_) AuditUpstream();
  NoteUnreachedUpstreams();
  for (auto& [dependency, proxy] : proxies_) proxy->SetFaults({});
  processes_->StopAll([this] {
    load_.reset();
    scraped_.reset();  // abandons a pending scrape: its callback never runs
    for (auto& [dependency, proxy] : proxies_) proxy->Close();
    proxies_.clear();
    RunTeardown(0);
  });
}

// The teardown commands, in order, each whatever the previous did; a failing
// one is an event and a note, not a verdict.
void VariantRun::RunTeardown(size_t index) {
  if (!setup_reached_ || index == plan_.teardown.size()) return FinishStopping();
  const HookPlan& hook = plan_.teardown[index];
  vr_.logs.push_back({hook.name, out_dir_ + "/" + hook.log_file, ""});
  processes_->RunHook(hook, [this, index](Status done) {
    if (!done.ok()) {
      const std::string msg = "variant teardown: " + done.message();
      vr_.events.push_back({epoch_ == TimePoint{} ? 0 : ToSeconds(clock_.Now() - epoch_), msg});
      progress_.Note("warning: " + msg);
    }
    RunTeardown(index + 1);
  });
}

void VariantRun::FinishStopping() {
  for (auto& log : vr_.logs) log.tail = processes_->LogTail(log.name, 30);
  Decide();
}

void VariantRun::Decide() {
  if (interrupted_ && !aborted_) {
    vr_.outcome = VariantOutcome::kInterrupted;
    vr_.error = status_.message();  // what went wrong before the signal, if anything
  } else if (!status_.ok()) {
    vr_.outcome = VariantOutcome::kError;
    vr_.error = status_.message();
  } else if (const uint64_t times = OutOfFdsNoted() - out_of_fds_at_start_; times > 0) {
    status_ = Status::Unavailable(OutOfFdsError(times));
    vr_.outcome = VariantOutcome::kError;
    vr_.error = status_.message();
  } else {
    Judge(plan_.checks, plan_.baseline_phase, process_died_, &vr_);
    progress_.Note("variant " + vr_.name + ": " + ToString(vr_.outcome) + " (expected " +
                   ToString(vr_.expect) + ")");
  }
  state_ = State::kDone;
  done_(status_);
}

// ---- Signals ----

void VariantRun::Interrupt() {
  if (interrupted_ || state_ == State::kDone || state_ == State::kCreated) return;
  interrupted_ = true;
  if (load_) {
    vr_.abandoned_requests = load_->in_flight();
    load_->Abort();  // counted above as abandoned
  }
  processes_->StopAll([] {});  // makes a pending readiness wait fail fast
  if (state_ == State::kStarting) processes_->StopHooks();  // a setup command; never a teardown
  if (state_ == State::kPhases && !ending_) {
    phase_timer_->Cancel();
    EndPhase(/*full=*/false);
  } else if (state_ == State::kDraining) {
    drain_timer_->Cancel();
    CheckDrained();
  }
}

void VariantRun::Abort(Status why) {
  if (state_ == State::kDone || state_ == State::kCreated) return;
  if (status_.ok()) status_ = std::move(why);
  aborted_ = true;
  Interrupt();
}

Duration VariantRun::StopBound() const {
  constexpr Duration kHookKill = std::chrono::seconds(3);  // RunHook: SIGKILL 3 s after SIGTERM
  constexpr Duration kSlack = std::chrono::seconds(10);
  Duration bound = plan_.census.timeout + kSlack;
  for (const ProcessPlan& p : plan_.processes) bound += p.stop_grace;
  for (const HookPlan& h : plan_.teardown) bound += h.timeout + kHookKill;
  return bound;
}

void VariantRun::Kill() {
  destroying_ = true;  // a census under way calls back no more
  census_timer_->Cancel();
  census_reads_.reset();
  phase_timer_->Cancel();
  fault_timer_->Cancel();
  drain_timer_->Cancel();
  progress_timer_->Cancel();
  if (load_) load_->Abort();
  sampler_.reset();
  scraped_.reset();
  load_.reset();
  proxies_.clear();
  processes_.reset();  // SIGKILL to every process group
  state_ = State::kDone;
}

}  // namespace faultline
