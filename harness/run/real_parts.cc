#include "harness/run/real_parts.h"

#include <unistd.h>

#include <filesystem>
#include <utility>

#include "harness/census/go_census.h"
#include "harness/census/native_census.h"
#include "harness/load/load_generator.h"
#include "harness/proxy/proxy.h"
#include "harness/run/external_ready.h"
#include "harness/run/proxy_fault.h"
#include "harness/scrape/scraper.h"

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

class SupervisedProcesses final : public Processes {
 public:
  SupervisedProcesses(asio::io_context& io, Clock& clock, Watchdog* watchdog, std::string out_dir)
      : io_(io), clock_(clock), supervisor_(io, watchdog), out_dir_(std::move(out_dir)) {}

  void OnUnexpectedExit(std::function<void(const ExitInfo&)> handler) override {
    supervisor_.OnUnexpectedExit(std::move(handler));
  }

  Status Start(const ProcessPlan& p) override {
    ChildSpec child;
    child.name = p.name;
    child.argv = p.argv;
    child.env = p.env;
    child.log_path = out_dir_ + "/" + p.log_file;
    child.stop_grace = p.stop_grace;
    const std::string log_dir = std::filesystem::path(child.log_path).parent_path().string();
    std::error_code ec;
    std::filesystem::create_directories(log_dir, ec);
    if (ec) return Status::Unavailable("create " + log_dir + ": " + ec.message());
    auto pid = supervisor_.Start(child);
    return pid.ok() ? Status::Ok() : pid.status();
  }

  void WaitReady(const ProcessPlan& p, std::function<void(Status)> done) override {
    Supervisor::Probe probe;
    switch (p.ready.kind) {
      case Readiness::Kind::kTcp: probe = supervisor_.TcpProbe(p.ready.port); break;
      case Readiness::Kind::kHttp:
        probe = supervisor_.HttpProbe(p.ready.port, p.ready.path, p.ready.status);
        break;
      case Readiness::Kind::kLogLine: probe = supervisor_.LogProbe(p.name, p.ready.log_line); break;
    }
    supervisor_.WaitReady(p.name, std::move(probe), p.ready.timeout,
                          Posted<Status>(io_, alive_, std::move(done)));
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
  std::optional<pid_t> pid(const std::string& name) const override { return supervisor_.pid(name); }
  std::string LogTail(const std::string& name, size_t lines) const override {
    return supervisor_.LogTail(name, lines);
  }
  std::string log_path(const std::string& name) const override {
    return supervisor_.log_path(name);
  }

 private:
  asio::io_context& io_;
  Clock& clock_;
  Supervisor supervisor_;
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
  void SetRate(double rps) override { load_.SetRate(rps); }
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
    o.body = plan.body;
    o.timeout = plan.timeout;
    o.max_in_flight = plan.max_in_flight;
    o.epoch = epoch;
    return o;
  }
  LoadGenerator load_;
};

class ProxyInFront final : public Proxy {
 public:
  ProxyInFront(asio::io_context& io, Clock& clock, const ProxyPlan& plan)
      : proxy_(io, clock, plan.dependency, plan.upstream_host, plan.upstream_port, plan.seed),
        listen_port_(plan.listen_port) {}
  Status Listen() override { return proxy_.Listen("127.0.0.1", listen_port_); }
  void SetFaults(const std::vector<FaultSpec>& faults) override {
    std::vector<ProxyFault> converted;
    for (const FaultSpec& f : faults) converted.push_back(ToProxyFault(f));
    proxy_.SetFaults(std::move(converted));
  }
  void Close() override { proxy_.Close(); }
  uint64_t open_upstream() const override { return proxy_.counters().open_upstream; }

 private:
  FaultProxy proxy_;
  uint16_t listen_port_;
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
    return std::make_unique<SupervisedProcesses>(io_, clock_, watchdog_, out_dir);
  }
  std::unique_ptr<Proxy> NewProxy(const ProxyPlan& plan) override {
    return std::make_unique<ProxyInFront>(io_, clock_, plan);
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
