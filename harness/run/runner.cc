#include "harness/run/runner.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <ctime>
#include <filesystem>
#include <map>
#include <optional>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "harness/checks/checks.h"
#include "harness/common/ports.h"
#include "harness/load/load_generator.h"
#include "harness/proxy/proxy.h"
#include "reports/terminal.h"
#include "harness/sampler/procfs.h"
#include "harness/scenario/variables.h"
#include "harness/scrape/prometheus.h"
#include "harness/scrape/scraper.h"

namespace faultline {

using asio::awaitable;
using asio::use_awaitable;

StatusOr<LoopbackUrl> ParseLoopbackUrl(const std::string& url) {
  const std::string scheme = "http://";
  if (url.rfind(scheme, 0) != 0)
    return Status::Invalid("base_url \"" + url + "\" must start with http://");
  std::string rest = url.substr(scheme.size());
  size_t slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  LoopbackUrl out;
  out.prefix = slash == std::string::npos ? "" : rest.substr(slash);
  if (!out.prefix.empty() && out.prefix.back() == '/') out.prefix.pop_back();
  std::string host, port;
  if (!authority.empty() && authority[0] == '[') {
    size_t close = authority.find(']');
    if (close == std::string::npos) return Status::Invalid("base_url \"" + url + "\": unclosed [");
    host = authority.substr(1, close - 1);
    if (close + 1 < authority.size() && authority[close + 1] == ':') port = authority.substr(close + 2);
  } else {
    size_t colon = authority.rfind(':');
    host = authority.substr(0, colon);
    if (colon != std::string::npos) port = authority.substr(colon + 1);
  }
  if (host == "localhost") host = "127.0.0.1";
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(host, ec);
  if (ec || !addr.is_loopback())
    return Status::Invalid("base_url \"" + url + "\": host \"" + host +
                           "\" is not a loopback address; faultline sends load only to "
                           "127.0.0.0/8 or ::1");
  out.host = addr.to_string();
  if (port.empty()) {
    out.port = 80;
  } else {
    char* end = nullptr;
    long p = std::strtol(port.c_str(), &end, 10);
    if (*end != '\0' || p <= 0 || p > 65535)
      return Status::Invalid("base_url \"" + url + "\": bad port \"" + port + "\"");
    out.port = static_cast<uint16_t>(p);
  }
  return out;
}

namespace {

// Adapts a callback API `start(done)` to co_await; the result is posted so
// the coroutine never resumes inside the callee. Plain functions returning
// the awaitable (not coroutines taking the callable by value), which GCC 12
// miscompiles.
template <typename T>
auto AwaitValue(asio::io_context& io, std::function<void(std::function<void(T)>)> start) {
  return asio::async_initiate<decltype(use_awaitable), void(T)>(
      [&io, start = std::move(start)](auto handler) mutable {
        auto h = std::make_shared<decltype(handler)>(std::move(handler));
        start([&io, h](T value) {
          asio::post(io, [h, value = std::move(value)]() mutable { (*h)(std::move(value)); });
        });
      },
      use_awaitable);
}

inline auto AwaitDone(asio::io_context& io, std::function<void(std::function<void()>)> start) {
  return asio::async_initiate<decltype(use_awaitable), void()>(
      [&io, start = std::move(start)](auto handler) mutable {
        auto h = std::make_shared<decltype(handler)>(std::move(handler));
        start([&io, h]() { asio::post(io, [h]() mutable { (*h)(); }); });
      },
      use_awaitable);
}

std::string NowUtc() {
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

std::string Describe(const FaultSpec& f) {
  std::string s = ToString(f.kind);
  if (f.kind == FaultSpec::Kind::kLatency) {
    s += " " + FormatDuration(f.latency);
    if (f.jitter.count() > 0) s += "±" + FormatDuration(f.jitter);
    if (f.direction == FaultSpec::Direction::kUpstream) s += " upstream";
    if (f.direction == FaultSpec::Direction::kBoth) s += " both ways";
  }
  return s + " " + f.dependency;
}

}  // namespace

class Runner::Impl {
 public:
  Impl(const Scenario& scenario, RunOptions options, Watchdog* watchdog)
      : scenario_(scenario), options_(std::move(options)), watchdog_(watchdog),
        signals_(io_, SIGINT, SIGTERM), clock_(io_), wait_timer_(io_), sample_timer_(io_),
        progress_timer_(io_), ticks_(::sysconf(_SC_CLK_TCK)) {}

  RunResult Run(RunEnd* end) {
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

    WatchSignals();
    asio::co_spawn(io_, RunAll(), [this](std::exception_ptr e) {
      if (e) {
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& ex) {
          Fail(RunEnd::kCouldNotRun, std::string("internal error: ") + ex.what());
        } catch (...) {
          Fail(RunEnd::kCouldNotRun, "internal error");
        }
        StopNow();  // the coroutine's own teardown did not run
      }
      signals_.cancel();
    });
    try {
      io_.run();
    } catch (const std::exception& ex) {  // thrown by a handler: stop, keep what was measured
      Fail(RunEnd::kCouldNotRun, std::string("internal error: ") + ex.what());
      StopNow();
    }
    *end = end_;
    return result_;
  }

 private:
  // ---- Control flow ----

  // The first SIGINT/SIGTERM stops the run in order (teardown is bounded by
  // the processes' stop_grace); a second one stops everything at once.
  void WatchSignals() {
    signals_.async_wait([this](const boost::system::error_code& ec, int signo) {
      if (ec) return;
      if (interrupted_) {
        Note("second signal: killing every process now");
        StopNow();
        return;
      }
      Interrupt(signo);
      WatchSignals();
    });
  }

  // Ends the run at once: every process group gets SIGKILL (the Supervisor's
  // destructor), every socket is closed, the event loop stops.
  void StopNow() {
    phases_running_ = false;
    wait_timer_.cancel();
    sample_timer_.cancel();
    progress_timer_.cancel();
    if (load_) load_->Abort();
    load_.reset();
    scraper_.reset();
    proxies_.clear();
    supervisor_.reset();
    io_.stop();
  }

  void Interrupt(int signo) {
    interrupted_ = true;
    if (load_ && current_variant_) current_variant_->abandoned_requests = load_->in_flight();
    Note(std::string("received ") + (signo == SIGINT ? "SIGINT" : "SIGTERM") +
         ", stopping the run");
    wait_timer_.cancel();
    if (load_) load_->Abort();  // counted above as abandoned
    if (supervisor_) supervisor_->StopAll([] {});  // makes a pending readiness wait fail fast
  }

  void Fail(RunEnd end, std::string message) {
    if (end_ == RunEnd::kCompleted) end_ = end;
    if (result_.error.empty()) result_.error = std::move(message);
  }

  bool aborted() const { return interrupted_ || abort_.has_value(); }

  void Note(const std::string& line) {
    if (!options_.progress) return;
    if (line_open_) *options_.progress << "\r\x1b[K";
    line_open_ = false;
    *options_.progress << line << "\n" << std::flush;
  }

  // Waits `d` or until the run is aborted; true when the full time passed.
  awaitable<bool> Wait(Duration d) {
    wait_timer_.expires_after(d);
    boost::system::error_code ec;
    co_await wait_timer_.async_wait(asio::redirect_error(use_awaitable, ec));
    co_return !ec && !aborted();
  }

  awaitable<void> RunAll() {
    for (const auto& variant : scenario_.variants) {
      if (!options_.only_variants.empty() &&
          std::find(options_.only_variants.begin(), options_.only_variants.end(), variant.name) ==
              options_.only_variants.end())
        continue;
      if (interrupted_ || end_ != RunEnd::kCompleted) break;
      result_.variants.emplace_back();
      co_await RunVariant(variant, result_.variants.back());
      if (options_.checkpoint) options_.checkpoint(result_);
    }
    if (interrupted_) {
      result_.interrupted = true;
      if (end_ == RunEnd::kCompleted) end_ = RunEnd::kInterrupted;
    }
  }

  // ---- One variant ----

  awaitable<void> RunVariant(const Variant& variant, VariantResult& vr) {
    vr.name = variant.name;
    vr.expect = ToString(variant.expect);
    vr.outcome = "error";
    abort_.reset();
    Note("variant " + variant.name + " (expected " + vr.expect + ")");

    supervisor_ = std::make_unique<Supervisor>(io_, watchdog_);
    current_variant_ = &vr;
    startup_exit_.reset();
    supervisor_->OnUnexpectedExit([this, &vr](const ExitInfo& info) {
      if (!phases_running_) {
        // While starting: the process being waited for fails its own
        // readiness wait; any other one is recorded here, and Setup() stops
        // the run on it.
        if (startup_exit_ || info.name == starting_) return;
        startup_exit_ = "process \"" + info.name + "\" " + info.Describe() +
                        " while the run was starting; last lines of its log (" +
                        supervisor_->log_path(info.name) + "):\n" +
                        supervisor_->LogTail(info.name, 10);
        // Cut the pending readiness wait short: the run cannot go ahead.
        if (!starting_.empty()) supervisor_->Stop(starting_, [] {});
        return;
      }
      double t = ToSeconds(SteadyClock::now() - epoch_);
      std::string msg = "process \"" + info.name + "\" " + info.Describe() + " during the run";
      vr.events.push_back({t, msg});
      Note(msg + "; last lines of its log (" + supervisor_->log_path(info.name) + "):\n" +
           supervisor_->LogTail(info.name, 10));
      abort_ = msg;
      wait_timer_.cancel();
    });

    Status st = co_await Setup(variant, vr);
    if (st.ok() && !aborted()) co_await Phases(vr);
    co_await Teardown(vr);

    if (interrupted_) {
      vr.outcome = "interrupted";
    } else if (!st.ok()) {
      vr.outcome = "error";
      vr.error = st.message();
      Fail(st.code() == Status::Code::kInvalid ? RunEnd::kInvalid : RunEnd::kCouldNotRun,
           "variant " + variant.name + ": " + st.message());
      Note("error: " + st.message());
    } else {
      Evaluate(vr);
    }
    supervisor_.reset();
  }

  // Allocates ports, starts proxies and processes, waits for readiness.
  awaitable<Status> Setup(const Variant& variant, VariantResult& vr) {
    std::map<std::string, std::string> vars;
    vars["variant.name"] = variant.name;
    for (const auto& [k, v] : variant.vars) vars["variant." + k] = v;

    std::vector<const ProcessSpec*> processes;
    for (const auto& d : scenario_.dependencies) processes.push_back(&d);
    processes.push_back(&scenario_.target);
    std::map<std::string, uint16_t> ports;
    for (const auto* p : processes) {
      auto port = AllocatePort();
      if (!port.ok()) co_return port.status();
      ports[p->name] = *port;
      vars["port." + p->name] = std::to_string(*port);
    }
    proxies_.clear();
    for (const auto& d : scenario_.dependencies) {
      if (!d.proxy) continue;
      auto proxy = std::make_unique<FaultProxy>(io_, clock_, d.name, ports[d.name], scenario_.seed);
      Status s = proxy->Listen(0);
      if (!s.ok()) co_return s.WithContext("fault proxy for \"" + d.name + "\"");
      vars["proxy." + d.name] = std::to_string(proxy->port());
      proxies_[d.name] = std::move(proxy);
    }

    // The load's address is checked before anything starts: a bad one is
    // the scenario's fault (exit 2), not worth a start-up.
    auto base = ExpandVariables(scenario_.target.base_url, vars);
    if (!base.ok()) co_return base.status().WithContext("target.base_url");
    auto url = ParseLoopbackUrl(*base);
    if (!url.ok()) co_return url.status();

    const std::string log_dir = options_.out_dir + "/logs/" + variant.name;
    std::error_code fs_ec;
    std::filesystem::create_directories(log_dir, fs_ec);
    if (fs_ec) co_return Status::Unavailable("create " + log_dir + ": " + fs_ec.message());

    for (const auto* p : processes) {
      ChildSpec child;
      child.name = p->name;
      child.stop_grace = p->stop_grace;
      child.log_path = log_dir + "/" + p->name + ".log";
      for (const auto& arg : p->argv) {
        auto e = ExpandVariables(arg, vars);
        if (!e.ok()) co_return e.status().WithContext(p->name + ".argv");
        child.argv.push_back(*e);
      }
      for (const auto& [k, v] : p->env) {
        auto e = ExpandVariables(v, vars);
        if (!e.ok()) co_return e.status().WithContext(p->name + ".env." + k);
        child.env[k] = *e;
      }
      uint16_t ready_port = ports[p->name];
      if (!p->ready.port.empty()) {
        auto e = ExpandVariables(p->ready.port, vars);
        if (!e.ok()) co_return e.status().WithContext(p->name + ".ready.port");
        ready_port = static_cast<uint16_t>(std::atoi(e->c_str()));
      }
      vr.logs.push_back({p->name, child.log_path, ""});

      auto pid = supervisor_->Start(child);
      if (!pid.ok()) co_return pid.status();
      Supervisor::Probe probe;
      switch (p->ready.kind) {
        case Readiness::Kind::kTcp: probe = supervisor_->TcpProbe(ready_port); break;
        case Readiness::Kind::kHttp:
          probe = supervisor_->HttpProbe(ready_port, p->ready.path, p->ready.status);
          break;
        case Readiness::Kind::kLogLine: probe = supervisor_->LogProbe(p->name, p->ready.log_line); break;
      }
      Supervisor* sup = supervisor_.get();
      const std::string name = p->name;
      const Duration timeout = p->ready.timeout;
      // Named locals, not temporaries, across co_await: GCC 12 destroys
      // temporaries in a co_await expression at the wrong time.
      std::function<void(std::function<void(Status)>)> wait_ready =
          [sup, name, probe, timeout](std::function<void(Status)> done) {
            sup->WaitReady(name, probe, timeout, std::move(done));
          };
      auto ready_op = AwaitValue<Status>(io_, std::move(wait_ready));
      starting_ = name;
      Status ready = co_await std::move(ready_op);
      starting_.clear();
      if (interrupted_) co_return Status::Interrupted("interrupted while starting " + name);
      if (startup_exit_) co_return Status::Unavailable(*startup_exit_);
      if (!ready.ok()) co_return ready;
    }

    // Load.
    LoadOptions lo;
    lo.host = url->host;
    lo.port = url->port;
    lo.method = scenario_.load.method;
    auto path = ExpandVariables(scenario_.load.path, vars);
    if (!path.ok()) co_return path.status().WithContext("load.path");
    lo.target = url->prefix + *path;
    for (const auto& [k, v] : scenario_.load.headers) {
      auto e = ExpandVariables(v, vars);
      if (!e.ok()) co_return e.status().WithContext("load.headers." + k);
      lo.headers[k] = *e;
    }
    auto body = ExpandVariables(scenario_.load.body, vars);
    if (!body.ok()) co_return body.status().WithContext("load.body");
    lo.body = *body;
    lo.timeout = scenario_.load.timeout;
    lo.max_in_flight = scenario_.load.max_in_flight;
    epoch_ = SteadyClock::now();
    lo.epoch = epoch_;
    completed_ = 0;
    load_ = std::make_unique<LoadGenerator>(io_, clock_, lo, [this, &vr](const RequestResult& r) {
      vr.requests.Add(r);
      ++completed_;
    });
    auto target_pid = supervisor_->pid(scenario_.target.name);
    if (startup_exit_) co_return Status::Unavailable(*startup_exit_);
    if (!target_pid)
      co_return Status::Unavailable("process \"" + scenario_.target.name + "\" is gone");
    target_pid_ = *target_pid;

    selectors_.clear();
    if (const auto& spec = scenario_.target.scrape) {
      auto port = ExpandVariables(spec->port, vars);
      if (!port.ok()) co_return port.status().WithContext("target.scrape.port");
      scraper_ = std::make_unique<Scraper>(io_, clock_, static_cast<uint16_t>(std::atoi(port->c_str())),
                                           spec->path, spec->timeout);
      for (const auto& [name, text] : spec->metrics) {
        auto selector = ParseSelector(text);
        if (!selector.ok()) co_return selector.status().WithContext("target.scrape.metrics." + name);
        selectors_.emplace_back(name, *selector);
      }
      vr.scrape = ScrapeStats{scraper_->url(), 0, 0, ""};
    }
    co_return Status::Ok();
  }

  awaitable<void> Phases(VariantResult& vr) {
    phases_running_ = true;
    double total = 0;
    for (const auto& p : scenario_.phases) total += ToSeconds(p.duration);
    total_s_ = total;
    last_cpu_.reset();
    sample_index_ = 0;
    live_base_n_ = 0;
    live_base_threads_ = live_base_rss_ = 0;
    std::vector<double> starts;
    double at = 0;
    for (const auto& p : scenario_.phases) {
      starts.push_back(at);
      at += ToSeconds(p.duration);
    }
    vr.requests.SetPhaseStarts(std::move(starts));
    StartSampling(vr);
    StartProgress(vr);

    SteadyClock::time_point phase_start = epoch_;
    for (const auto& phase : scenario_.phases) {
      current_phase_ = phase.name;
      PhaseSpan span;
      span.name = phase.name;
      span.start_s = ToSeconds(phase_start - epoch_);
      span.rate = phase.rate.value_or(scenario_.load.rate);
      std::map<std::string, const FaultSpec*> active;
      for (const auto& f : phase.faults) {
        active[f.dependency] = &f;
        span.faults.push_back(Describe(f));
      }
      for (auto& [name, proxy] : proxies_) {
        auto it = active.find(name);
        std::optional<ProxyFault> fault;
        if (it != active.end()) {
          fault.emplace();
          fault->kind = static_cast<ProxyFault::Kind>(it->second->kind);
          fault->latency = it->second->latency;
          fault->jitter = it->second->jitter;
          fault->direction = static_cast<ProxyFault::Direction>(it->second->direction);
        }
        proxy->SetFault(fault);
      }
      current_rate_ = span.rate;
      load_->SetRate(span.rate);
      if (options_.progress && !options_.live_progress) {
        std::string faults;
        for (const auto& f : span.faults) faults += (faults.empty() ? " faults: " : ", ") + f;
        Note("[" + vr.name + "] phase " + phase.name + " for " + FormatDuration(phase.duration) +
             ", rate " + std::to_string(static_cast<int>(span.rate)) + "/s" + faults);
      }
      // Phase ends are anchored to the epoch so timer lateness cannot accumulate.
      SteadyClock::time_point phase_end = phase_start + phase.duration;
      bool full = co_await Wait(phase_end - SteadyClock::now());
      span.end_s = ToSeconds((full ? phase_end : SteadyClock::now()) - epoch_);
      vr.phases.push_back(span);
      phase_start = phase_end;
      if (!full) break;
    }
    phases_running_ = false;
    vr.duration_s = ToSeconds(SteadyClock::now() - epoch_);
    sample_timer_.cancel();
    progress_timer_.cancel();
    if (options_.live_progress && line_open_) Note("");
  }

  awaitable<void> Teardown(VariantResult& vr) {
    if (load_) {
      load_->Stop();
      // Requests still in flight end by their client timeout at the latest.
      const auto deadline = SteadyClock::now() + scenario_.load.timeout + std::chrono::seconds(1);
      // So does the last scrape (its timeout is shorter than an interval).
      while (!interrupted_ && (load_->in_flight() > 0 || pending_scrapes_ > 0) &&
             SteadyClock::now() < deadline) {
        wait_timer_.expires_after(std::chrono::milliseconds(50));
        boost::system::error_code ec;
        co_await wait_timer_.async_wait(asio::redirect_error(use_awaitable, ec));
      }
      load_->Abort();
    }
    for (auto& [name, proxy] : proxies_) proxy->SetFault(std::nullopt);
    if (supervisor_) {
      Supervisor* sup = supervisor_.get();
      std::function<void(std::function<void()>)> stop_all = [sup](std::function<void()> done) {
        sup->StopAll(std::move(done));
      };
      auto stop_op = AwaitDone(io_, std::move(stop_all));
      co_await std::move(stop_op);
      for (auto& log : vr.logs) log.tail = supervisor_->LogTail(log.name, 30);
    }
    load_.reset();
    scraper_.reset();  // abandons a pending scrape: its callback never runs
    pending_scrapes_ = 0;
    for (auto& [name, proxy] : proxies_) proxy->Close();
    proxies_.clear();
  }

  void Evaluate(VariantResult& vr) {
    if (!vr.phases.empty()) {
      const PhaseSpan* base = &vr.phases.front();
      for (const auto& p : vr.phases)
        if (p.name == scenario_.baseline_phase) base = &p;
      vr.baseline = ComputeBaseline(vr.samples, *base);
    }
    vr.checks = EvaluateChecks(scenario_, vr);
    if (abort_) {
      CheckResult c;
      c.name = "processes stayed up";
      c.kind = "process";
      c.passed = false;
      c.detail = *abort_;
      vr.checks.push_back(c);
    }
    bool all = std::all_of(vr.checks.begin(), vr.checks.end(),
                           [](const CheckResult& c) { return c.passed; });
    vr.outcome = all ? "pass" : "fail";
    // A check with nothing to judge (a mistyped selector, a dead metrics
    // endpoint, a phase with no requests) must not pass for an expected failure.
    for (const auto& c : vr.checks) {
      if (c.computed) continue;
      vr.outcome = "error";
      vr.error = "check \"" + c.name + "\" could not be computed: " + c.detail;
      break;
    }
    Note("variant " + vr.name + ": " + vr.outcome + " (expected " + vr.expect + ")");
  }

  // ---- Sampling ----

  void StartSampling(VariantResult& vr) {
    TakeSample(vr);
    ScheduleSample(vr);
  }

  void ScheduleSample(VariantResult& vr) {
    ++sample_index_;
    sample_timer_.expires_at(epoch_ + scenario_.sampling.interval * sample_index_);
    sample_timer_.async_wait([this, &vr](const boost::system::error_code& ec) {
      if (ec || !phases_running_) return;
      // Skip slots missed while the loop was busy rather than bunching samples.
      while (epoch_ + scenario_.sampling.interval * (sample_index_ + 1) < SteadyClock::now())
        ++sample_index_;
      TakeSample(vr);
      ScheduleSample(vr);
    });
  }

  void TakeSample(VariantResult& vr) {
    const auto now = SteadyClock::now();
    const double t = ToSeconds(now - epoch_);
    std::map<std::string, double> row;
    if (auto tree = SampleProcessTree(procfs_, target_pid_, ticks_)) {
      row["threads"] = static_cast<double>(tree->threads);
      row["processes"] = static_cast<double>(tree->processes);
      row["rss_bytes"] = static_cast<double>(tree->rss_bytes);
      row["fds"] = static_cast<double>(tree->fds);
      row["established"] = static_cast<double>(tree->tcp_established);
      row["close_wait"] = static_cast<double>(tree->tcp_close_wait);
      if (last_cpu_) {
        double dt = ToSeconds(now - last_cpu_->first);
        if (dt > 0) row["cpu_percent"] = 100.0 * (tree->cpu_seconds - last_cpu_->second) / dt;
      }
      last_cpu_ = std::make_pair(now, tree->cpu_seconds);
    }
    if (load_) {
      row["in_flight"] = static_cast<double>(load_->in_flight());
      row["connections"] = static_cast<double>(load_->open_connections());
    }
    for (const auto& [name, proxy] : proxies_)
      row["upstream." + name] = static_cast<double>(proxy->counters().open_upstream);
    if (vr.samples.names.empty()) {
      // A fixed column order, whatever the first sample could read.
      for (const char* n : {"threads", "rss_bytes", "fds", "cpu_percent", "processes", "established",
                            "close_wait", "in_flight", "connections"})
        vr.samples.AddName(n);
      for (const auto& [name, selector] : selectors_) vr.samples.AddName(name);
    }
    vr.samples.Append(t, row);
    if (scraper_) Scrape(vr, vr.samples.t_s.size() - 1);
    if (current_phase_ == scenario_.baseline_phase && row.count("threads") && row.count("rss_bytes")) {
      // A running baseline for the progress line only; Evaluate() computes the real one.
      ++live_base_n_;
      live_base_threads_ += (row["threads"] - live_base_threads_) / live_base_n_;
      live_base_rss_ += (row["rss_bytes"] - live_base_rss_) / live_base_n_;
    }
  }

  // Fills row `index` of the custom series when the scrape answers. The
  // scrape's timeout is shorter than the sampling interval, so it ends before
  // the next sample; on failure the row keeps its gaps (NaN).
  void Scrape(VariantResult& vr, size_t index) {
    ++vr.scrape->attempts;
    ++pending_scrapes_;
    scraper_->Scrape([this, &vr, index](StatusOr<PromParse> page) {
      --pending_scrapes_;
      if (!page.ok()) {
        ++vr.scrape->misses;
        vr.scrape->last_error = page.status().message();
        return;
      }
      for (const auto& [name, selector] : selectors_) {
        if (auto value = Select(*page, selector)) {
          vr.samples.values[name][index] = *value;
        } else {
          ++vr.scrape->misses;
          vr.scrape->last_error = vr.scrape->url + ": no sample matches \"" + name + "\"";
        }
      }
    });
  }

  // ---- Progress ----

  void StartProgress(VariantResult& vr) {
    if (!options_.progress) return;
    progress_tick_ = 0;
    ScheduleProgress(vr);
  }

  void ScheduleProgress(VariantResult& vr) {
    const auto every = options_.live_progress ? std::chrono::milliseconds(500)
                                              : std::chrono::milliseconds(5000);
    ++progress_tick_;
    progress_timer_.expires_at(epoch_ + every * progress_tick_);
    progress_timer_.async_wait([this, &vr](const boost::system::error_code& ec) {
      if (ec || !phases_running_) return;
      Progress p;
      p.variant = vr.name;
      p.phase = current_phase_;
      p.elapsed_s = ToSeconds(SteadyClock::now() - epoch_);
      p.total_s = total_s_;
      p.rate = current_rate_;
      p.in_flight = load_ ? load_->in_flight() : 0;
      p.completed = completed_;
      const auto* th = vr.samples.Find("threads");
      const auto* rss = vr.samples.Find("rss_bytes");
      p.threads = th && !th->empty() ? th->back() : NAN;
      p.rss_bytes = rss && !rss->empty() ? rss->back() : NAN;
      p.threads_baseline = live_base_threads_;
      p.rss_baseline = live_base_rss_;
      p.has_baseline = live_base_n_ > 0;
      std::string line = RenderProgress(p);
      if (options_.live_progress) {
        *options_.progress << "\r\x1b[K" << line << std::flush;
        line_open_ = true;
      } else {
        *options_.progress << line << "\n" << std::flush;
      }
      ScheduleProgress(vr);
    });
  }

  const Scenario& scenario_;
  RunOptions options_;
  Watchdog* watchdog_;
  asio::io_context io_;
  asio::signal_set signals_;
  AsioClock clock_;
  asio::steady_timer wait_timer_;
  asio::steady_timer sample_timer_;
  asio::steady_timer progress_timer_;
  RealProcFs procfs_;
  long ticks_;

  RunResult result_;
  RunEnd end_ = RunEnd::kCompleted;
  bool interrupted_ = false;
  std::optional<std::string> abort_;  // why the current variant stopped early
  std::optional<std::string> startup_exit_;  // a process exited while the variant was starting
  std::string starting_;                     // the process whose readiness is awaited
  VariantResult* current_variant_ = nullptr;

  std::unique_ptr<Supervisor> supervisor_;
  std::map<std::string, std::unique_ptr<FaultProxy>> proxies_;
  std::unique_ptr<LoadGenerator> load_;
  std::unique_ptr<Scraper> scraper_;
  std::vector<std::pair<std::string, MetricSelector>> selectors_;
  int pending_scrapes_ = 0;
  pid_t target_pid_ = 0;
  SteadyClock::time_point epoch_;
  bool phases_running_ = false;
  std::string current_phase_;
  double current_rate_ = 0;
  double total_s_ = 0;
  uint64_t completed_ = 0;
  uint64_t sample_index_ = 0;
  uint64_t progress_tick_ = 0;
  std::optional<std::pair<SteadyClock::time_point, double>> last_cpu_;
  double live_base_threads_ = 0, live_base_rss_ = 0;
  int live_base_n_ = 0;
  bool line_open_ = false;
};

Runner::Runner(const Scenario& scenario, RunOptions options, Watchdog* watchdog)
    : impl_(std::make_unique<Impl>(scenario, std::move(options), watchdog)) {}
Runner::~Runner() = default;
RunResult Runner::Run(RunEnd* end) { return impl_->Run(end); }

}  // namespace faultline
