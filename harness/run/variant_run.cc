#include "harness/run/variant_run.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "harness/common/out_of_fds.h"
#include "harness/common/text.h"
#include "harness/load/loop_lag_probe.h"
#include "harness/scenario/metrics.h"

namespace faultline {

VariantRun::VariantRun(Plan plan, std::string out_dir, Clock& clock, PartFactory& parts,
                       ProgressLine& progress, VariantResult* result, Done done)
    : plan_(std::move(plan)), out_dir_(std::move(out_dir)), clock_(clock), parts_(parts),
      progress_(progress), vr_(*result), done_(std::move(done)),
      phase_timer_(clock.NewTimer()), drain_timer_(clock.NewTimer()),
      progress_timer_(clock.NewTimer()), fault_timer_(clock.NewTimer()) {}

VariantRun::~VariantRun() {
  // The parts go first (they may hold callbacks into this object). A census
  // under way finishes (bounded) without calling back.
  destroying_ = true;
  census_reads_.reset();
  sampler_.reset();
  scraped_.reset();
  load_.reset();
  proxies_.clear();
  processes_.reset();
}

// ---- Starting ----

void VariantRun::Start() {
  out_of_fds_at_start_ = OutOfFdsNoted();
  vr_.name = plan_.variant;
  vr_.expect = plan_.expect;
  vr_.outcome = VariantOutcome::kError;
  state_ = State::kStarting;
  processes_ = parts_.NewProcesses(out_dir_);
  processes_->OnUnexpectedExit([this](const ExitInfo& info) { OnExit(info); });
  for (const ProxyPlan& p : plan_.proxies) {
    auto proxy = parts_.NewProxy(p);
    Status s = proxy->Listen();
    if (!s.ok()) return Teardown(s.WithContext("fault proxy for \"" + p.dependency + "\""));
    proxies_.emplace_back(p.dependency, std::move(proxy));
  }
  WaitExternal(0);
}

// External dependencies are not started: those with `ready` are probed
// first, in order, since the processes may need them.
void VariantRun::WaitExternal(size_t index) {
  while (index < plan_.externals.size() && !plan_.externals[index].ready) ++index;
  if (index == plan_.externals.size()) return StartProcess(0);
  processes_->WaitExternal(plan_.externals[index], [this, index](Status ready) {
    if (interrupted_)
      return Teardown(Status::Interrupted("interrupted while waiting for " +
                                          plan_.externals[index].name));
    if (!ready.ok()) return Teardown(ready);
    WaitExternal(index + 1);
  });
}

void VariantRun::StartProcess(size_t index) {
  if (index == plan_.processes.size()) {
    setup_reached_ = true;
    return RunSetup(0);
  }
  const ProcessPlan& p = plan_.processes[index];
  vr_.logs.push_back({p.name, out_dir_ + "/" + p.log_file, ""});
  Status started = processes_->Start(p);
  if (!started.ok()) return Teardown(started);
  starting_ = p.name;
  processes_->WaitReady(p, [this, index](Status ready) {
    starting_.clear();
    if (interrupted_)
      return Teardown(Status::Interrupted("interrupted while starting " +
                                          plan_.processes[index].name));
    if (startup_exit_) return Teardown(Status::Unavailable(*startup_exit_));
    if (!ready.ok()) return Teardown(ready);
    StartProcess(index + 1);
  });
}

// The variant's setup commands, in order, once its processes are ready;
// the first that fails ends the variant (its teardown still runs).
void VariantRun::RunSetup(size_t index) {
  if (index == plan_.setup.size()) return AttachTarget();
  const HookPlan& hook = plan_.setup[index];
  vr_.logs.push_back({hook.name, out_dir_ + "/" + hook.log_file, ""});
  processes_->RunHook(hook, [this, index](Status done) {
    if (interrupted_)
      return Teardown(Status::Interrupted("interrupted during " + plan_.setup[index].name));
    if (startup_exit_) return Teardown(Status::Unavailable(*startup_exit_));
    if (!done.ok()) return Teardown(done.WithContext("variant setup"));
    RunSetup(index + 1);
  });
}

// An attached target is looked up after the setup (which may restart it).
void VariantRun::AttachTarget() {
  if (plan_.attach) {
    auto found = processes_->Attach(plan_.target_name, *plan_.attach);
    if (!found.ok()) return Teardown(found.status());
    vr_.events.push_back({0, "target \"" + plan_.target_name + "\" is attached: " + found->who +
                                 ", " + plan_.attach->Describe() +
                                 "; not started, stopped or signalled by faultline"});
    if (!found->warning.empty()) {
      vr_.events.push_back({0, "warning: " + found->warning});
      progress_.Note("warning: " + found->warning);
    }
  }
  StartPhases();
}

void VariantRun::OnExit(const ExitInfo& info) {
  const std::string log = processes_->log_path(info.name);
  const std::string where =
      log.empty() ? std::string(" (it has no log here)")
                  : " (" + log + "):\n" + processes_->LogTail(info.name, 10);
  if (state_ == State::kStarting) {
    // The process being waited for fails its own readiness wait; any other
    // one is recorded here, and the wait is cut short: the run cannot go ahead.
    if (startup_exit_ || info.name == starting_) return;
    startup_exit_ = "process \"" + info.name + "\" " + info.Describe() +
                    " while the run was starting; last lines of its log" + where;
    if (!starting_.empty()) processes_->Stop(starting_, [] {});
    if (setup_reached_) processes_->StopHooks();  // a setup command under way
    return;
  }
  if (state_ != State::kPhases && state_ != State::kDraining) return;
  const std::string msg = "process \"" + info.name + "\" " + info.Describe() + " during the run";
  vr_.events.push_back({ToSeconds(clock_.Now() - epoch_), msg});
  progress_.Note(msg + "; last lines of its log" + where);
  if (!process_died_) process_died_ = msg;
  if (state_ == State::kPhases && !ending_) {  // else the census "end" runs; draining follows
    phase_timer_->Cancel();
    EndPhase(/*full=*/false);
  }
}

// ---- Phases ----

void VariantRun::StartPhases() {
  // Summed in nanoseconds, as the phases' timers and the requests' intended
  // starts are: 0.1 s + 0.2 s in doubles is past 0.3 s, and the request due
  // at the third phase's start would count in the second.
  std::vector<double> starts;
  Duration elapsed{0};
  for (const PhasePlan& p : plan_.phases) {
    starts.push_back(ToSeconds(elapsed));
    elapsed += p.duration;
  }
  total_s_ = ToSeconds(elapsed);
  vr_.requests.SetPhaseStarts(std::move(starts));
  epoch_ = clock_.Now();
  bool audited = false;  // some proxy speaks HTTP: keep the callers for the audit
  for (const auto& [dependency, proxy] : proxies_) audited |= proxy->upstream_counts().has_value();
  if (audited) {
    // Room for every request the phases will send: growing the table by
    // rehashing all of it would stall the loop (hundreds of ms at 10^6).
    double expected = 0;
    for (const PhasePlan& p : plan_.phases) expected += p.rate * ToSeconds(p.duration);
    callers_.Reserve(static_cast<size_t>(std::min(expected * 1.05 + 64, 16e6)));
  }
  load_ = parts_.NewLoad(plan_.load, epoch_, [this, audited](const RequestResult& r) {
    vr_.requests.Add(r);
    if (audited) callers_.Add(r);
    ++completed_;
  });
  auto pid = processes_->pid(plan_.target_name);
  if (startup_exit_) return Teardown(Status::Unavailable(*startup_exit_));
  if (!pid) return Teardown(Status::Unavailable("process \"" + plan_.target_name + "\" is gone"));
  target_pid_ = *pid;
  if (plan_.scrape) {
    scraped_ = std::make_unique<ScrapedMetrics>(parts_.NewMetricsEndpoint(*plan_.scrape),
                                                plan_.scrape->selectors, &vr_.samples,
                                                &vr_.scrape.emplace());
  }

  state_ = State::kPhases;
  phase_ = 0;
  for (const ExternalPlan& e : plan_.externals) {
    vr_.events.push_back({0, "dependency \"" + e.name + "\" is external at " +
                                 JoinHostPort(e.host, e.port) +
                                 ": not started or stopped by faultline"});
  }
  SamplerOptions so;
  so.pid = target_pid_;
  so.interval = plan_.sampling_interval;
  so.epoch = epoch_;
  so.page_size = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  // The loop's own lateness, worst since the previous row; the probe lives as
  // long as the sampler's callback that reads it.
  auto loop_lag = std::make_shared<LoopLagProbe>(clock_, std::chrono::milliseconds(10));
  sampler_ = std::make_unique<Sampler>(
      clock_, parts_.procfs(), parts_.NewSampleReads(), so,
      [this, loop_lag](SampleRow* row) {
        AddGauges(row);
        (*row)["loop_lag_ms"] = loop_lag->TakeWorstMs();
      },
      [this](double t, const SampleRow& row) { OnSample(t, row); });
  sampler_->Start();
  if (progress_.enabled()) ScheduleProgress();
  census_taker_ = parts_.NewCensusTaker();
  if (census_taker_) {
    census_reads_ = parts_.NewSampleReads();
    for (const CensusMomentSpec& m : plan_.census.moments) {
      Duration start{0};
      for (const PhasePlan& p : plan_.phases) {
        if (p.name == m.phase) break;
        start += p.duration;
      }
      census_moments_.emplace_back(epoch_ + start + m.offset, m.at);
    }
    std::stable_sort(census_moments_.begin(), census_moments_.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    NextCensusMoment();
  }
  phase_start_ = epoch_;
  EnterPhase(0);
}

void VariantRun::EnterPhase(size_t index) {
  phase_ = index;
  const PhasePlan& phase = plan_.phases[index];
  span_ = PhaseSpan{phase.name, ToSeconds(phase_start_ - epoch_), 0, phase.rate,
                    phase.descriptions};
  for (auto& [dependency, proxy] : proxies_) {
    auto it = phase.faults.find(dependency);
    proxy->SetFaults(it == phase.faults.end() ? std::vector<FaultSpec>{}
                                              : FaultsAt(it->second, Duration(0), phase.duration));
  }
  // Its requests are due in it, from its scheduled start: a late timer
  // starts the ones due since then late, it does not skip them.
  load_->SetRate(phase.rate, phase_start_, phase_start_ + phase.duration);
  progress_.PhaseStarted(vr_.name, phase.name, phase.duration, phase.rate, phase.descriptions);
  phase_timer_->At(phase_start_ + phase.duration, [this] { EndPhase(/*full=*/true); });
  changes_ = FaultSchedule(phase.faults, phase.duration);
  next_change_ = 0;
  NextFaultChange();
}

// Arms the timer for the next ramp step or flap of the phase under way.
void VariantRun::NextFaultChange() {
  if (next_change_ == changes_.size()) return;
  const FaultChange& change = changes_[next_change_];
  fault_timer_->At(phase_start_ + change.at, [this] {
    const FaultChange& c = changes_[next_change_++];
    for (auto& [dependency, proxy] : proxies_) {
      if (dependency == c.dependency) proxy->SetFaults(c.faults);
    }
    std::string what;
    for (const FaultSpec& f : c.faults) what += (what.empty() ? "" : ", ") + Describe(f);
    const std::string msg =
        "faults on " + c.dependency + ": " + (what.empty() ? std::string("none") : what);
    vr_.events.push_back({ToSeconds(clock_.Now() - epoch_), msg});
    // A fault flapping every 10 ms changes thousands of times: the terminal
    // gets the first few of a phase, results.json every one.
    constexpr size_t kPrinted = 5;
    if (next_change_ <= kPrinted) progress_.Note("[" + vr_.name + "] " + msg);
    if (next_change_ == kPrinted + 1 && changes_.size() > kPrinted + 1)
      progress_.Note("[" + vr_.name + "] faults keep changing in this phase (" +
                     std::to_string(changes_.size()) +
                     " changes): the rest are recorded as events, not printed");
    NextFaultChange();
  });
}

// `full`: the phase ran its whole duration (else it was cut short now).
void VariantRun::EndPhase(bool full) {
  fault_timer_->Cancel();
  changes_.clear();
  const TimePoint phase_end = phase_start_ + plan_.phases[phase_].duration;
  span_.end_s = ToSeconds((full ? phase_end : clock_.Now()) - epoch_);
  vr_.phases.push_back(span_);
  phase_start_ = phase_end;
  if (full && phase_ + 1 < plan_.phases.size()) return EnterPhase(phase_ + 1);

  vr_.duration_s = ToSeconds(clock_.Now() - epoch_);
  sampler_->Stop();
  progress_timer_->Cancel();
  census_timer_->Cancel();
  progress_.PhasesEnded();
  if (census_taker_ && plan_.census.at_end && full && !interrupted_ && !process_died_) {
    ending_ = true;
    return TakeCensus("end", [this] {
      ending_ = false;
      Drain();
    });
  }
  Drain();
}

void VariantRun::OnSample(double t_s, const SampleRow& row) {
  Series& samples = vr_.samples;
  if (samples.names.empty()) {
    // A fixed column order, whatever the first sample could read.
    for (const auto& name : BuiltinMetrics()) samples.AddName(name);
    if (scraped_)
      for (const auto& name : scraped_->names()) samples.AddName(name);
  }
  samples.Append(t_s, row);
  if (scraped_) scraped_->ScrapeRow(samples.t_s.size() - 1);
  auto threads = row.find("threads"), rss = row.find("rss_bytes");
  if (state_ == State::kPhases && plan_.phases[phase_].name == plan_.baseline_phase &&
      threads != row.end() && rss != row.end())
    live_baseline_.Add(threads->second, rss->second);
}

void VariantRun::AddGauges(SampleRow* row) const {
  if (load_) {
    (*row)["in_flight"] = static_cast<double>(load_->in_flight());
    (*row)["connections"] = static_cast<double>(load_->open_connections());
  }
  for (const auto& [dependency, proxy] : proxies_) {
    (*row)["upstream." + dependency] = static_cast<double>(proxy->open_upstream());
    if (const std::optional<UpstreamCounts> c = proxy->upstream_counts()) {
      (*row)["upstream." + dependency + ".in_flight"] = static_cast<double>(c->in_flight);
      (*row)["upstream." + dependency + ".abandoned"] = static_cast<double>(c->abandoned);
    }
  }
}

// The cancellation audit of each proxy that speaks HTTP, from its records as
// they stand now (after draining, before the faults are cleared and the
// processes stopped, which would end the requests still open), and the
// series upstream.D.orphans at the sample times.
void VariantRun::AuditUpstream() {
  if (epoch_ == TimePoint{}) return;  // the phases never started
  const TimePoint now = clock_.Now();
  AuditEnd end;
  end.end_s = ToSeconds(now - epoch_);
  end.client_timeout_s = ToSeconds(plan_.load.timeout);
  end.client_in_flight = load_ ? load_->in_flight() : 0;
  for (const auto& [dependency, proxy] : proxies_) {
    if (!proxy->upstream_counts()) continue;
    std::vector<UpstreamSpan> spans;
    const UpstreamCounts counts = *proxy->upstream_counts();
    spans.reserve(static_cast<size_t>(counts.in_flight + counts.answered + counts.abandoned +
                                      counts.fault));
    proxy->ForEachUpstreamRecord([&](const UpstreamRecord& r) {
      UpstreamSpan s{r.trace_id, ToSeconds(r.start - epoch_), std::nullopt};
      if (r.how != UpstreamEnd::kOpen) s.end_s = ToSeconds(r.end - epoch_);
      spans.push_back(std::move(s));
    });
    vr_.cancellation[dependency] = AuditCancellation(callers_, spans, end);
    std::vector<double> orphans =
        OrphansOver(callers_, spans, vr_.samples.t_s, end.client_timeout_s);
    if (orphans.empty() || vr_.samples.t_s.empty()) continue;
    const std::string name = "upstream." + dependency + ".orphans";
    vr_.samples.AddName(name);
    vr_.samples.values[name] = std::move(orphans);
  }
}

// A dependency its proxy could not reach (an external one that is down, a
// started one that died) shows in the counts only as the target's errors:
// the event says where they came from.
void VariantRun::NoteUnreachedUpstreams() {
  const double t = epoch_ == TimePoint{} ? 0 : ToSeconds(clock_.Now() - epoch_);
  for (size_t i = 0; i < proxies_.size() && i < plan_.proxies.size(); ++i) {
    const uint64_t failed = proxies_[i].second->upstream_connect_errors();
    if (failed == 0) continue;
    const ProxyPlan& p = plan_.proxies[i];
    vr_.events.push_back(
        {t, "dependency \"" + p.dependency + "\": " + std::to_string(failed) +
                (failed == 1 ? " connection" : " connections") + " through its fault proxy " +
                "could not reach " + JoinHostPort(p.upstream_host, p.upstream_port) +
                " (refused, reset or timed out) and were closed at once"});
  }
}

void VariantRun::ScheduleProgress() {
  ++progress_tick_;
  progress_timer_->At(epoch_ + progress_.every() * progress_tick_, [this] {
    if (state_ != State::kPhases) return;
    Progress p;
    p.variant = vr_.name;
    p.phase = plan_.phases[phase_].name;
    p.elapsed_s = ToSeconds(clock_.Now() - epoch_);
    p.total_s = total_s_;
    p.rate = plan_.phases[phase_].rate;
    p.in_flight = load_ ? load_->in_flight() : 0;
    p.completed = completed_;
    const auto* th = vr_.samples.Find("threads");
    const auto* rss = vr_.samples.Find("rss_bytes");
    p.threads = th && !th->empty() ? th->back() : NAN;
    p.rss_bytes = rss && !rss->empty() ? rss->back() : NAN;
    live_baseline_.Fill(&p);
    progress_.Show(p);
    ScheduleProgress();
  });
}

}  // namespace faultline
