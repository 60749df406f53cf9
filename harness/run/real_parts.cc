#include "harness/run/real_parts.h"

#include <unistd.h>

#include <filesystem>
#include <utility>

#include "harness/census/go_census.h"
#include "harness/census/native_census.h"
#include "harness/common/text.h"
#include "harness/load/load_generator.h"
#include "harness/proxy/proxy.h"
#include "harness/run/attach.h"
#include "harness/run/external_ready.h"
#include "harness/run/proxy_fault.h"
#include "harness/scrape/scraper.h"
#include "harness/supervisor/attached.h"

namespace faultline {
namespace {

// Runs a part's callback from a fresh handler on `io` (never inside the call
// that armed it), and not at all once `alive` has expired.
template <typename... Args>
std::function<void(Args...)> Posted(asio::io_context& io, std::weak_ptr<bool> alive,
                                    std::function<void(Args...)> f) {
  return [&io, alive, f = std::move(f)](Args... args) {
    asio::post(io, [alive, f, args...] {
      if (!alive.expired()) f(args...);
    });
  };
}

// The directory of a log file, created.
Status MakeLogDir(const std::string& log_path) {
  const std::string log_dir = std::filesystem::path(log_path).parent_path().string();
  std::error_code ec;
  std::filesystem::create_directories(log_dir, ec);
  if (ec) return Status::Unavailable("create " + log_dir + ": " + ec.message());
  return Status::Ok();
}

class SupervisedProcesses final : public Processes {
 public:
  SupervisedProcesses(asio::io_context& io, Clock& clock, Watchdog* watchdog, ProcFs& procfs,
                      std::string out_dir)
      : io_(io), clock_(clock), procfs_(procfs), supervisor_(io, watchdog),
        hooks_(io, watchdog), out_dir_(std::move(out_dir)) {
    hooks_.OnUnexpectedExit([this](const ExitInfo& info) { HookExited(info); });
  }

  void OnUnexpectedExit(std::function<void(const ExitInfo&)> handler) override {
    on_exit_ = handler;
    supervisor_.OnUnexpectedExit(std::move(handler));
  }

  Status Start(const ProcessPlan& p) override {
    // Something already listening on the port of its ready probe would
    // answer that probe for it (a fixed port another service holds): the
    // run would measure a process that is not the one it started.
    const bool probes_port = p.ready.kind == Readiness::Kind::kTcp ||
                             p.ready.kind == Readiness::Kind::kHttp;
    size_t listening = 0;
    if (probes_port && p.ready.port != 0) PortHolders(procfs_, p.ready.port, &listening);
    if (listening > 0) {
      return Status::Unavailable(Quote(p.name) + " was not started: port " +
                                 std::to_string(p.ready.port) + ", where its ready probe connects, "
                                 "is already in use" + PortHolderText(procfs_, p.ready.port) +
                                 ", which would answer the probe in its place; stop it, or give " +
                                 Quote(p.name) + " another port");
    }
    ChildSpec child;
    child.name = p.name;
    child.argv = p.argv;
    child.env = p.env;
    child.log_path = out_dir_ + "/" + p.log_file;
    child.stop_grace = p.stop_grace;
    if (Status s = MakeLogDir(child.log_path); !s.ok()) return s;
    auto pid = supervisor_.Start(child);
    return pid.ok() ? Status::Ok() : pid.status();
  }

  StatusOr<Attached> Attach(const std::string& name, const AttachPlan& attach) override {
    auto pid = FindAttached(procfs_, attach);
    if (!pid.ok()) return pid.status();
    auto watched = AttachedProcess::Watch(io_, name, *pid, [this](const ExitInfo& info) {
      if (on_exit_) on_exit_(info);
    });
    if (!watched.ok()) return watched.status();
    attached_ = std::move(*watched);
    attached_name_ = name;
    // Also when attached by the load's port: the tree may listen on it at
    // another address than the load's (::1 only, the load at 127.0.0.1).
    return Attached{DescribePid(procfs_, *pid),
                    attach.load_port == 0
                        ? ""
                        : LoadPortWarning(procfs_, *pid, attach.load_host, attach.load_port)};
  }

  void RunHook(const HookPlan& h, std::function<void(Status)> done) override {
    auto finish = Posted<Status>(io_, alive_, std::move(done));
    ChildSpec child;
    child.name = h.name;
    child.argv = h.argv;
    child.log_path = out_dir_ + "/" + h.log_file;
    child.stop_grace = std::chrono::seconds(3);
    child.marked = false;  // what it leaves in its own session (a restarted service) is the user's
    std::string what = h.name + " (";
    for (size_t i = 0; i < h.argv.size(); ++i) what += (i ? " " : "") + h.argv[i];
    what += ")";
    if (Status s = MakeLogDir(child.log_path); !s.ok()) return finish(s.WithContext(what));
    auto pid = hooks_.Start(child);
    if (!pid.ok()) return finish(pid.status());
    hook_ = std::make_unique<RunningHook>(RunningHook{h.name, what, std::move(finish),
                                                      clock_.NewTimer(), ""});
    hook_->timer->At(clock_.Now() + h.timeout, [this, timeout = h.timeout] {
      StopHook("ran past its timeout of " + FormatDuration(timeout) + " and was stopped");
    });
  }

  void StopHooks() override { StopHook("was stopped (the run was interrupted)"); }

  void WaitReady(const ProcessPlan& p, std::function<void(Status)> done) override {
    Supervisor::Probe probe;
    switch (p.ready.kind) {
      case Readiness::Kind::kTcp: probe = supervisor_.TcpProbe(p.ready.port); break;
      case Readiness::Kind::kHttp:
        probe = supervisor_.HttpProbe(p.ready.port, p.ready.path, p.ready.status);
        break;
      case Readiness::Kind::kLogLine: probe = supervisor_.LogProbe(p.name, p.ready.log_line); break;
    }
    // A server on ::1 only is never reached at 127.0.0.1: say so.
    std::function<std::string()> explain;
    if (p.ready.kind != Readiness::Kind::kLogLine) {
      explain = [this, name = p.name, port = p.ready.port] {
        const std::optional<pid_t> pid = supervisor_.pid(name);
        return pid ? ReadyAddressHint(procfs_, *pid, port) : std::string();
      };
    }
    supervisor_.WaitReady(p.name, std::move(probe), p.ready.timeout,
                          Posted<Status>(io_, alive_, std::move(done)), std::move(explain));
  }

  void WaitExternal(const ExternalPlan& external, std::function<void(Status)> done) override {
    auto once = std::make_shared<std::function<void(Status)>>(
        Posted<Status>(io_, alive_, std::move(done)));
    external_waits_.push_back(once);
    external_.push_back(
        std::make_unique<ExternalReadiness>(io_, clock_, external, [once](Status s) {
          if (*once) std::exchange(*once, nullptr)(std::move(s));
        }));
  }

  void Stop(const std::string& name, std::function<void()> done) override {
    supervisor_.Stop(name, Posted<>(io_, alive_, std::move(done)));
  }
  void StopAll(std::function<void()> done) override {
    for (auto& once : external_waits_) {  // a pending probe fails at once, as a process's does
      if (*once) std::exchange(*once, nullptr)(Status::Unavailable("stopped while waiting"));
    }
    external_waits_.clear();
    external_.clear();
    supervisor_.StopAll(Posted<>(io_, alive_, std::move(done)));
  }
  std::optional<pid_t> pid(const std::string& name) const override {
    if (attached_ && name == attached_name_) {
      return attached_->exited() ? std::nullopt : std::optional<pid_t>(attached_->pid());
    }
    return supervisor_.pid(name);
  }
  std::string LogTail(const std::string& name, size_t lines) const override {
    return supervisor_.log_path(name).empty() ? hooks_.LogTail(name, lines)
                                              : supervisor_.LogTail(name, lines);
  }
  std::string log_path(const std::string& name) const override {
    const std::string path = supervisor_.log_path(name);
    return path.empty() ? hooks_.log_path(name) : path;
  }

 private:
  struct RunningHook {
    std::string name;
    std::string what;  // "setup-1 (curl -X POST ...)"
    std::function<void(Status)> done;
    std::unique_ptr<Timer> timer;
    std::string stopped;  // why it was stopped, once it was
  };

  void StopHook(const std::string& why) {
    if (!hook_ || !hook_->stopped.empty()) return;
    hook_->stopped = why;
    hook_->timer->Cancel();
    hooks_.Stop(hook_->name, [this] { EndHook(Status::Unavailable(hook_->what + " " + hook_->stopped)); });
  }

  void HookExited(const ExitInfo& info) {
    if (!hook_ || info.name != hook_->name) return;
    if (!info.signaled && info.code == 0) return EndHook(Status::Ok());
    const std::string tail = hooks_.LogTail(info.name, 10);
    const std::string log = hooks_.log_path(info.name);
    EndHook(Status::Unavailable(hook_->what + " " + info.Describe() +
                                (tail.empty() ? "; its log (" + log + ") is empty"
                                              : "; last lines of its log (" + log + "):\n" + tail)));
  }

  void EndHook(Status status) {
    if (!hook_) return;
    auto hook = std::move(hook_);
    hook->timer->Cancel();
    hook->done(std::move(status));
  }

  asio::io_context& io_;
  Clock& clock_;
  ProcFs& procfs_;
  Supervisor supervisor_;
  Supervisor hooks_;  // setup and teardown commands: not stopped by StopAll
  std::unique_ptr<RunningHook> hook_;
  std::function<void(const ExitInfo&)> on_exit_;
  std::unique_ptr<AttachedProcess> attached_;  // never signalled
  std::string attached_name_;
  std::string out_dir_;
  std::vector<std::unique_ptr<ExternalReadiness>> external_;  // probes of external dependencies
  std::vector<std::shared_ptr<std::function<void(Status)>>> external_waits_;  // their `done`s
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

class GeneratedLoad final : public Load {
 public:
  GeneratedLoad(asio::io_context& io, Clock& clock, const LoadPlan& plan, TimePoint epoch,
                Sink sink)
      : load_(io, clock, Options(plan, epoch), std::move(sink)) {}
  void SetRate(double rps, TimePoint from, TimePoint until) override {
    load_.SetRate(rps, until, from);
  }
  void Stop() override { load_.Stop(); }
  void Abort() override { load_.Abort(); }
  uint64_t in_flight() const override { return load_.in_flight(); }
  uint64_t open_connections() const override { return load_.open_connections(); }

 private:
  static LoadOptions Options(const LoadPlan& plan, TimePoint epoch) {
    LoadOptions o;
    o.host = plan.url.host;
    o.port = plan.url.port;
    o.method = plan.method;
    o.target = plan.target;
    o.headers = plan.headers;
    // Host as base_url writes it ("localhost:8080"), as any client of that
    // URL sends it, unless the scenario sets one.
    bool has_host = false;
    for (const auto& [name, value] : o.headers) has_host |= EqualsIgnoringCase(name, "host");
    if (!has_host && !plan.url.authority.empty()) o.headers["Host"] = plan.url.authority;
    o.body = plan.body;
    o.timeout = plan.timeout;
    o.max_in_flight = plan.max_in_flight;
    o.epoch = epoch;
    o.trace_seed = plan.trace_seed;
    return o;
  }
  LoadGenerator load_;
};

class ProxyInFront final : public Proxy {
 public:
  ProxyInFront(asio::io_context& io, Clock& clock, ProcFs& procfs, const ProxyPlan& plan)
      : proxy_(io, clock, plan.dependency, plan.upstream_host, plan.upstream_port, plan.seed),
        procfs_(procfs), listen_port_(plan.listen_port), fixed_port_(plan.fixed_port),
        http_(plan.protocol == ProcessSpec::Protocol::kHttp) {
    if (http_) proxy_.SetProtocol(ProxyProtocol::kHttp);
  }
  // A fixed port (`listen`) in use: the error names who holds it.
  Status Listen() override {
    Status s = proxy_.Listen("127.0.0.1", listen_port_);
    if (s.ok() || !fixed_port_) return s;
    return Status::Unavailable(s.message() + PortHolderText(procfs_, listen_port_) +
                               " (port " + std::to_string(listen_port_) +
                               " is fixed by the dependency's listen)");
  }
  void SetFaults(const std::vector<FaultSpec>& faults) override {
    std::vector<ProxyFault> converted;
    for (const FaultSpec& f : faults) converted.push_back(ToProxyFault(f));
    proxy_.SetFaults(std::move(converted));
  }
  void Close() override { proxy_.Close(); }
  uint64_t open_upstream() const override { return proxy_.counters().open_upstream; }
  uint64_t upstream_connect_errors() const override {
    return proxy_.counters().upstream_connect_errors;
  }
  std::optional<UpstreamCounts> upstream_counts() const override {
    if (!http_) return std::nullopt;
    return proxy_.Counts();
  }
  void ForEachUpstreamRecord(
      const std::function<void(const UpstreamRecord&)>& each) const override {
    if (http_) proxy_.ForEachRecord(each);
  }

 private:
  FaultProxy proxy_;
  ProcFs& procfs_;
  uint16_t listen_port_;
  bool fixed_port_;
  bool http_ = false;  // protocol "http": the proxy keeps request records
};

class ScrapedEndpoint final : public MetricsEndpoint {
 public:
  ScrapedEndpoint(asio::io_context& io, Clock& clock, const ScrapePlan& plan)
      : scraper_(io, clock, plan.port, plan.path, plan.timeout) {}
  void Scrape(Callback done) override { scraper_.Scrape(std::move(done)); }
  const std::string& url() const override { return scraper_.url(); }

 private:
  Scraper scraper_;
};

class RealCensusTaker final : public CensusTaker {
 public:
  Census Take(const CensusPlan& plan, pid_t pid) override {
    if (!plan.url.empty()) {
      return FetchGoCensus(plan.url,
                           std::chrono::duration_cast<std::chrono::milliseconds>(plan.timeout));
    }
    return TakeNativeCensus(pid);
  }
};

class RealParts final : public PartFactory {
 public:
  RealParts(asio::io_context& io, Clock& clock, Watchdog* watchdog)
      : io_(io), clock_(clock), watchdog_(watchdog) {}

  std::unique_ptr<Processes> NewProcesses(const std::string& out_dir) override {
    return std::make_unique<SupervisedProcesses>(io_, clock_, watchdog_, procfs_, out_dir);
  }
  std::unique_ptr<Proxy> NewProxy(const ProxyPlan& plan) override {
    return std::make_unique<ProxyInFront>(io_, clock_, procfs_, plan);
  }
  std::unique_ptr<Load> NewLoad(const LoadPlan& plan, TimePoint epoch, Load::Sink sink) override {
    return std::make_unique<GeneratedLoad>(io_, clock_, plan, epoch, std::move(sink));
  }
  std::unique_ptr<MetricsEndpoint> NewMetricsEndpoint(const ScrapePlan& plan) override {
    return std::make_unique<ScrapedEndpoint>(io_, clock_, plan);
  }
  ProcFs& procfs() override { return procfs_; }
  std::unique_ptr<SampleReads> NewSampleReads() override {
    return std::make_unique<ThreadReads>(io_);
  }
  std::unique_ptr<CensusTaker> NewCensusTaker() override {
    return std::make_unique<RealCensusTaker>();
  }

 private:
  asio::io_context& io_;
  Clock& clock_;
  Watchdog* watchdog_;
  RealProcFs procfs_;
};

}  // namespace

std::unique_ptr<PartFactory> NewRealParts(asio::io_context& io, Clock& clock, Watchdog* watchdog) {
  return std::make_unique<RealParts>(io, clock, watchdog);
}

}  // namespace faultline
