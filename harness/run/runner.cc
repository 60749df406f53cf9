#include "harness/run/runner.h"

#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cerrno>
#include <csignal>
#include <ctime>
#include <exception>
#include <utility>

#include "harness/common/asio.h"
#include "harness/common/clock.h"
#include "harness/run/progress_line.h"
#include "harness/run/real_parts.h"
#include "harness/run/variant_run.h"

namespace faultline {
namespace {

std::string NowUtc() {
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

// The event loop's thread runs at SCHED_RR priority 1 when the process may
// (root or CAP_SYS_NICE) and was started at nice 0: a timer due on the loop
// then runs as soon as a core is free of other real-time work, whatever the
// target's threads and other sessions do (autogroups rank sessions before
// nice values). Else it
// asks for nice -5 with a 0.1 ms scheduler slice (EEVDF, Linux >= 6.12,
// lets a waking task with a shorter slice preempt; older kernels ignore
// the slice), else the slice alone. SCHED_FLAG_RESET_ON_FORK in each case,
// so nothing started from this thread inherits it: the target, its
// dependencies and hooks run as they would without faultline, and so does
// the sampler's thread. docs/architecture.md says why and what it bounds.
constexpr uint32_t kLoopRtPriority = 1;  // the lowest: any real-time work of the host's goes first
constexpr int kLoopNice = -5;
constexpr uint64_t kLoopSliceNs = 100'000;

// struct sched_attr of sched_setattr(2) (its first version, 56 bytes); the
// kernel's header clashes with glibc's <sched.h>.
struct SchedAttr {
  uint32_t size;
  uint32_t sched_policy;
  uint64_t sched_flags;
  int32_t sched_nice;
  uint32_t sched_priority;
  uint64_t sched_runtime;  // for SCHED_OTHER: the slice wanted (Linux >= 6.12)
  uint64_t sched_deadline;
  uint64_t sched_period;
};
constexpr uint64_t kSchedFlagResetOnFork = 0x01;

void RaiseLoopPriority() {
  // Started with a nice value of its own: the user chose faultline's
  // priority. Leave it, so that what it starts inherits exactly that
  // (resetting on fork from a raised policy would give them nice 0).
  errno = 0;
  if (::getpriority(PRIO_PROCESS, 0) != 0 || errno != 0) return;
  SchedAttr attr{};
  attr.size = sizeof attr;
  attr.sched_policy = SCHED_RR;
  attr.sched_flags = kSchedFlagResetOnFork;
  attr.sched_priority = kLoopRtPriority;
  if (::syscall(SYS_sched_setattr, 0, &attr, 0) == 0) return;
  attr = SchedAttr{};
  attr.size = sizeof attr;
  attr.sched_policy = SCHED_OTHER;
  attr.sched_flags = kSchedFlagResetOnFork;
  attr.sched_nice = kLoopNice;
  attr.sched_runtime = kLoopSliceNs;
  if (::syscall(SYS_sched_setattr, 0, &attr, 0) == 0) return;
  attr.sched_runtime = 0;  // a kernel that takes no slice
  if (::syscall(SYS_sched_setattr, 0, &attr, 0) == 0) return;
  attr.sched_runtime = kLoopSliceNs;  // not permitted to raise the priority: the slice alone
  attr.sched_nice = 0;
  ::syscall(SYS_sched_setattr, 0, &attr, 0);
}

}  // namespace

class Runner::Impl {
 public:
  Impl(const Scenario& scenario, RunOptions options, Watchdog* watchdog)
      : scenario_(scenario), options_(std::move(options)), signals_(io_, SIGINT, SIGTERM, SIGHUP),
        clock_(io_), watchdog_(watchdog), parts_(NewRealParts(io_, clock_, watchdog)),
        progress_(options_.progress, options_.live_progress) {}

  ~Impl() { run_.reset(); }  // before the parts and the loop it uses

  RunResult Run(RunEnd* end) {
    RecordMetadata();
    RaiseLoopPriority();
    WatchSignals();
    // Every copy written before the end says the run is not complete, and
    // the first is written before anything starts: it replaces whatever an
    // earlier run left in the folder.
    result_.complete = false;
    if (options_.checkpoint) options_.checkpoint(result_);
    asio::post(io_, [this] { Next(0); });
    RunLoop();
    NoteNotRun();
    *end = end_;
    result_.complete = true;
    return result_;
  }

 private:
  void RecordMetadata() {
    result_.faultline_version = FAULTLINE_VERSION;
    result_.scenario_name = scenario_.name;
    result_.scenario_path = scenario_.path;
    result_.scenario_description = scenario_.description;
    result_.scenario_source = scenario_.source;
    result_.overrides = options_.overrides;
    result_.started_at = NowUtc();
    struct utsname u {};
    if (::uname(&u) == 0) {
      result_.environment["kernel"] = std::string(u.sysname) + " " + u.release;
      result_.environment["machine"] = u.machine;
    }
    result_.environment["cores"] = std::to_string(::sysconf(_SC_NPROCESSORS_ONLN));
    if (watchdog_ != nullptr) result_.environment["containment"] = watchdog_->containment();
  }

  // The first SIGINT, SIGTERM or SIGHUP (a closed terminal, a dropped ssh)
  // stops the run in order (teardown is bounded by the processes'
  // stop_grace); a second one stops everything at once. The same signal
  // again within kRepeatWindow is the same request, not a second one:
  // `timeout` sends its signal to the process and then to its group.
  static constexpr auto kRepeatWindow = std::chrono::milliseconds(500);
  void WatchSignals() {
    signals_.async_wait([this](const boost::system::error_code& ec, int signo) {
      if (ec) return;
      const auto now = std::chrono::steady_clock::now();
      if (interrupted_ && signo == first_signal_ && now - first_signal_at_ < kRepeatWindow) {
        WatchSignals();
        return;
      }
      if (interrupted_) {
        progress_.Note("second signal: killing every process now");
        if (run_ && run_->state() != VariantRun::State::kDone)
          result_.variants.back().outcome = VariantOutcome::kInterrupted;
        StopNow();
        Finish();
        return;
      }
      interrupted_ = true;
      first_signal_ = signo;
      first_signal_at_ = now;
      const char* name = signo == SIGINT ? "SIGINT" : signo == SIGTERM ? "SIGTERM" : "SIGHUP";
      progress_.Note(std::string("received ") + name + ", stopping the run");
      if (run_) run_->Interrupt();
      WatchSignals();
    });
  }

  // The selected variants the run stopped before (an error, an interrupt).
  void NoteNotRun() {
    for (const Variant& v : scenario_.variants) {
      const bool ran = std::any_of(result_.variants.begin(), result_.variants.end(),
                                   [&](const VariantResult& r) { return r.name == v.name; });
      if (Selected(v) && !ran) result_.not_run.push_back(v.name);
    }
  }

  // Runs the loop to its end. A handler that throws is a bug: the run fails
  // with it, and the variant under way stops as after an interrupt (its
  // processes stopped, its teardown commands run, what it measured kept).
  // A second exception, or that stop outlasting its bound, ends everything
  // at once.
  void RunLoop() {
    bool thrown = false;
    RunRecovering(io_, [this, &thrown](const std::exception& ex) {
      const std::string error = std::string("internal error: ") + ex.what();
      Fail(RunEnd::kCouldNotRun, error);
      if (std::exchange(thrown, true) || !run_ || run_->state() == VariantRun::State::kDone) {
        StopNow();
        return false;
      }
      progress_.Note(error + "; stopping the run");
      run_->Abort(Status::Unavailable(error));
      abort_deadline_.expires_after(run_->StopBound());
      abort_deadline_.async_wait([this](const boost::system::error_code& ec) {
        if (ec) return;
        progress_.Note("the run did not stop in time: killing every process now");
        StopNow();
      });
      return true;
    });
  }

  // Ends the run at once: every process group gets SIGKILL, every socket is
  // closed, the event loop stops.
  void StopNow() {
    if (run_) run_->Kill();
    io_.stop();
  }

  void Fail(RunEnd end, std::string message) {
    if (end_ == RunEnd::kCompleted) end_ = end;
    if (result_.error.empty()) result_.error = std::move(message);
  }

  // A variant that could not run: its error, the run's end and a note.
  void VariantFailed(VariantResult& vr, const Status& status) {
    vr.outcome = VariantOutcome::kError;
    vr.error = status.message();
    Fail(status.code() == Status::Code::kInvalid ? RunEnd::kInvalid : RunEnd::kCouldNotRun,
         "variant " + vr.name + ": " + status.message());
    // Not noted here: the CLI prints the run's error once, after the summary.
  }

  bool Selected(const Variant& v) const {
    const auto& only = options_.only_variants;
    return only.empty() || std::find(only.begin(), only.end(), v.name) != only.end();
  }

  // Runs the first selected variant from index `i` on, or ends the run.
  void Next(size_t i) {
    while (i < scenario_.variants.size() && !Selected(scenario_.variants[i])) ++i;
    if (i == scenario_.variants.size() || interrupted_ || end_ != RunEnd::kCompleted)
      return Finish();
    const Variant& variant = scenario_.variants[i];
    VariantResult& vr = result_.variants.emplace_back();
    vr.name = variant.name;
    vr.expect = variant.expect == Variant::Expect::kFail ? Expectation::kFail : Expectation::kPass;
    vr.outcome = VariantOutcome::kError;
    progress_.Note("variant " + variant.name + " (expected " + ToString(vr.expect) + ")");

    StatusOr<Ports> ports = AllocatePorts(scenario_);
    StatusOr<Plan> plan = ports.ok() ? Bind(scenario_, variant, *ports) : ports.status();
    if (!plan.ok()) {
      VariantFailed(vr, plan.status());
      return Checkpoint(i);
    }
    run_ = std::make_unique<VariantRun>(
        std::move(*plan), options_.out_dir, clock_, *parts_, progress_, &vr,
        [this, i, &vr](Status status) {
          // Interrupted after it failed: the failure is still the run's error.
          if (!status.ok() && interrupted_ && result_.error.empty())
            result_.error = "variant " + vr.name + ": " + status.message();
          else if (!status.ok()) VariantFailed(vr, status);
          // Destroyed from a fresh handler, not from inside its own callback.
          asio::post(io_, [this, i] {
            run_.reset();
            Checkpoint(i);
          });
        });
    run_->Start();
  }

  void Checkpoint(size_t i) {
    if (options_.checkpoint) options_.checkpoint(result_);
    Next(i + 1);
  }

  void Finish() {
    if (interrupted_) {
      result_.interrupted = true;
      if (end_ == RunEnd::kCompleted) end_ = RunEnd::kInterrupted;
    }
    signals_.cancel();
    abort_deadline_.cancel();
  }

  const Scenario& scenario_;
  RunOptions options_;
  asio::io_context io_;
  asio::signal_set signals_;
  asio::steady_timer abort_deadline_{io_};  // after an internal error: the stop's bound
  AsioClock clock_;
  Watchdog* watchdog_;
  std::unique_ptr<PartFactory> parts_;
  ProgressLine progress_;
  std::unique_ptr<VariantRun> run_;  // the variant under way

  RunResult result_;
  RunEnd end_ = RunEnd::kCompleted;
  bool interrupted_ = false;
  int first_signal_ = 0;  // the signal that interrupted the run, and when
  std::chrono::steady_clock::time_point first_signal_at_{};
};

Runner::Runner(const Scenario& scenario, RunOptions options, Watchdog* watchdog)
    : impl_(std::make_unique<Impl>(scenario, std::move(options), watchdog)) {}
Runner::~Runner() = default;
RunResult Runner::Run(RunEnd* end) { return impl_->Run(end); }

void RunRecovering(asio::io_context& io,
                   const std::function<bool(const std::exception&)>& recover) {
  for (;;) {
    try {
      io.run();
      return;
    } catch (const std::exception& ex) {
      if (!recover(ex)) return;
    }
  }
}

}  // namespace faultline
