#include "harness/run/fake_parts.h"

#include <cstdio>

#include "harness/run/attach.h"

namespace faultline {

void FakeWorld::Log(const std::string& what) {
  char t[32];
  std::snprintf(t, sizeof t, "%.3f ", ToSeconds(clock.Now() - start));
  log.push_back(t + what);
}

void FakeWorld::Exit(const std::string& name, int code) {
  const bool was_attached = attached.erase(name) > 0;
  if (!running.erase(name) && !was_attached) return;
  procfs.files.erase(std::to_string(pids[name]) + "/stat");
  procfs.files.erase(std::to_string(pids[name]) + "/status");
  Log("exit " + name + " " + std::to_string(code));
  if (stopping.count(name)) return;  // expected: it was told to stop
  auto w = waiting.find(name);
  if (w != waiting.end()) {
    auto done = std::move(w->second);
    waiting.erase(w);
    done(Status::Unavailable("process \"" + name + "\" exited with code " +
                             std::to_string(code) + " before it was ready"));
  }
  ExitInfo info{name, pids[name], false, code};
  info.attached = was_attached;
  if (on_exit) on_exit(info);
}

namespace {

// Runs callbacks from ManualClock timers: later, never inside the caller.
class Later {
 public:
  explicit Later(Clock& clock) : clock_(clock) {}
  void After(Duration d, std::function<void()> f) {
    timers_.push_back(clock_.NewTimer());
    clock_.After(*timers_.back(), d, std::move(f));
  }

 private:
  Clock& clock_;
  std::vector<std::unique_ptr<Timer>> timers_;  // destroyed with the part: pending ones never run
};

class FakeProcesses final : public Processes {
 public:
  FakeProcesses(FakeWorld& w, std::string out_dir)
      : w_(w), out_dir_(std::move(out_dir)), later_(w.clock) {}
  ~FakeProcesses() override {
    w_.killed = w_.running;
    w_.running.clear();
    w_.waiting.clear();
    w_.on_exit = nullptr;
  }

  void OnUnexpectedExit(std::function<void(const ExitInfo&)> handler) override {
    w_.on_exit = std::move(handler);
  }

  Status Start(const ProcessPlan& p) override {
    if (w_.cannot_start.count(p.name)) {
      w_.Log("cannot start " + p.name);
      return Status::Unavailable("start \"" + p.name + "\" (" + p.argv[0] +
                                 "): No such file or directory");
    }
    w_.Log("start " + p.name);
    const pid_t pid = static_cast<pid_t>(1001 + w_.pids.size());
    w_.pids[p.name] = pid;
    w_.running.insert(p.name);
    w_.procfs.AddProcess(pid, 1, 4, 1024, 0, 0, {});
    logs_[p.name] = out_dir_ + "/" + p.log_file;
    return Status::Ok();
  }

  void WaitReady(const ProcessPlan& p, std::function<void(Status)> done) override {
    const std::string name = p.name;
    w_.waiting[name] = std::move(done);
    auto finish = [this, name](Status s, const std::string& what) {
      auto it = w_.waiting.find(name);
      if (it == w_.waiting.end()) return;  // already failed: exited or stopped
      auto f = std::move(it->second);
      w_.waiting.erase(it);
      w_.Log(what + " " + name);
      f(std::move(s));
    };
    if (w_.never_ready.count(name)) {
      later_.After(p.ready.timeout, [finish, name, t = p.ready.timeout] {
        finish(Status::Unavailable("process \"" + name + "\" not ready after " + FormatDuration(t)),
               "not ready");
      });
      return;
    }
    auto it = w_.ready_after.find(name);
    const Duration after = it == w_.ready_after.end() ? std::chrono::milliseconds(100) : it->second;
    later_.After(after, [finish] { finish(Status::Ok(), "ready"); });
  }

  void WaitExternal(const ExternalPlan& external, std::function<void(Status)> done) override {
    later_.After(std::chrono::milliseconds(100), [this, name = external.name, done] {
      w_.Log("reachable " + name);
      done(Status::Ok());
    });
  }

  void Stop(const std::string& name, std::function<void()> done) override {
    w_.Log("stop " + name);
    Stopping({name});
    later_.After(Duration(0), [this, name, done = std::move(done)] {
      w_.running.erase(name);
      done();
    });
  }

  void StopAll(std::function<void()> done) override {
    w_.Log("stop all");
    Stopping(w_.running);
    later_.After(w_.stop_takes, [this, done = std::move(done)] {
      for (const auto& name : w_.stopping) w_.running.erase(name);
      w_.Log("all stopped");
      done();
    });
  }

  std::optional<pid_t> pid(const std::string& name) const override {
    if (!w_.running.count(name) && !w_.attached.count(name)) return std::nullopt;
    return w_.pids.at(name);
  }
  std::string LogTail(const std::string& name, size_t lines) const override {
    return "last " + std::to_string(lines) + " lines of " + name;
  }
  std::string log_path(const std::string& name) const override {
    auto it = logs_.find(name);
    return it == logs_.end() ? "" : it->second;
  }

  // Attached: pid 2001 onwards, with a tree the sampler reads.
  StatusOr<Attached> Attach(const std::string& name, const AttachPlan& attach) override {
    if (!w_.attach_error.empty()) {
      w_.Log("cannot attach " + name);
      return Status::Unavailable("attach to " + attach.Describe() + ": " + w_.attach_error);
    }
    w_.Log("attach " + name);
    const pid_t pid = static_cast<pid_t>(2001 + w_.attached.size());
    w_.pids[name] = pid;
    w_.attached.insert(name);
    w_.procfs.AddProcess(pid, 1, 4, 1024, 0, 0, {});
    return Attached{DescribePid(w_.procfs, pid), ""};
  }

  // A hook ends 100 ms after it starts with its hook_codes code, or, when it
  // hangs, at its timeout or StopHooks.
  void RunHook(const HookPlan& h, std::function<void(Status)> done) override {
    w_.Log("hook " + h.name);
    logs_[h.name] = out_dir_ + "/" + h.log_file;
    hook_ = h.name;
    hook_done_ = std::move(done);
    if (w_.hooks_hang.count(h.name)) {
      later_.After(h.timeout, [this, name = h.name, t = h.timeout] {
        EndHook(name, "timed out", Status::Unavailable(name + " ran past its timeout of " +
                                                         FormatDuration(t) + " and was stopped"));
      });
      return;
    }
    auto it = w_.hook_codes.find(h.name);
    const int code = it == w_.hook_codes.end() ? 0 : it->second;
    later_.After(std::chrono::milliseconds(100), [this, name = h.name, code] {
      EndHook(name, "exited " + std::to_string(code),
              code == 0 ? Status::Ok()
                        : Status::Unavailable(name + " exited with code " + std::to_string(code)));
    });
  }
  void StopHooks() override {
    if (hook_done_) EndHook(hook_, "stopped", Status::Unavailable(hook_ + " was stopped"));
  }

 private:
  // `names` are being stopped: a readiness wait for one fails at once.
  void Stopping(const std::set<std::string>& names) {
    for (const auto& name : names) {
      w_.stopping.insert(name);
      auto it = w_.waiting.find(name);
      if (it == w_.waiting.end()) continue;
      auto f = std::move(it->second);
      w_.waiting.erase(it);
      later_.After(Duration(0), [f = std::move(f), name] {
        f(Status::Unavailable("process \"" + name + "\" was stopped before it was ready"));
      });
    }
  }

  void EndHook(const std::string& name, const std::string& what, Status status) {
    if (!hook_done_ || name != hook_) return;
    w_.Log("hook " + name + " " + what);
    auto done = std::move(hook_done_);
    hook_done_ = nullptr;
    later_.After(Duration(0), [done = std::move(done), status] { done(status); });
  }

  FakeWorld& w_;
  std::string out_dir_;
  Later later_;
  std::map<std::string, std::string> logs_;
  std::string hook_;                       // the hook under way
  std::function<void(Status)> hook_done_;  // its `done`
};

class FakeLoad final : public Load {
 public:
  FakeLoad(FakeWorld& w, Sink sink) : w_(w) {
    w_.Log("load starts");
    w_.load_exists = true;
    w_.load_sink = std::move(sink);
  }
  ~FakeLoad() override {
    w_.load_exists = false;
    w_.load_sink = nullptr;
  }
  void SetRate(double rps, TimePoint from, TimePoint until) override {
    w_.Log("rate " + std::to_string(static_cast<int>(rps)));
    w_.rate_from.push_back(from);
    w_.rate_until.push_back(until);
  }
  void Stop() override { w_.Log("load stops"); }
  void Abort() override {
    w_.Log("load aborted");
    w_.in_flight = 0;
  }
  uint64_t in_flight() const override { return w_.in_flight; }
  uint64_t open_connections() const override { return w_.in_flight; }

 private:
  FakeWorld& w_;
};

class FakeProxy final : public Proxy {
 public:
  FakeProxy(FakeWorld& w, ProxyPlan plan) : w_(w), plan_(std::move(plan)) {}
  Status Listen() override {
    if (w_.proxy_cannot_listen)
      return Status::Unavailable("listen on 127.0.0.1:" + std::to_string(plan_.listen_port) +
                                 ": Address already in use");
    w_.Log("proxy " + plan_.dependency + " listens");
    return Status::Ok();
  }
  // "fault inventory latency 250ms, hang": each as Describe says, without
  // the dependency's name.
  void SetFaults(const std::vector<FaultSpec>& faults) override {
    std::string what;
    for (const FaultSpec& f : faults) {
      std::string d = Describe(f);
      d.resize(d.size() - plan_.dependency.size() - 1);
      what += (what.empty() ? "" : ", ") + d;
    }
    w_.Log("fault " + plan_.dependency + " " + (what.empty() ? "none" : what));
  }
  void Close() override { w_.Log("proxy " + plan_.dependency + " closed"); }
  uint64_t open_upstream() const override { return 3; }
  uint64_t upstream_connect_errors() const override { return w_.upstream_connect_errors; }
  std::optional<UpstreamCounts> upstream_counts() const override { return w_.upstream_counts; }
  void ForEachUpstreamRecord(
      const std::function<void(const UpstreamRecord&)>& each) const override {
    for (const UpstreamRecord& r : w_.upstream_records) each(r);
  }

 private:
  FakeWorld& w_;
  ProxyPlan plan_;
};

class FakeEndpoint final : public MetricsEndpoint {
 public:
  explicit FakeEndpoint(FakeWorld& w, uint16_t port)
      : later_(w.clock), url_("http://127.0.0.1:" + std::to_string(port) + "/metrics") {}
  void Scrape(Callback done) override {
    later_.After(std::chrono::milliseconds(10),
                 [done = std::move(done)] { done(ParsePrometheusText("widgets_total 7\n")); });
  }
  const std::string& url() const override { return url_; }

 private:
  Later later_;
  std::string url_;
};

}  // namespace

std::unique_ptr<Processes> FakeParts::NewProcesses(const std::string& out_dir) {
  return std::make_unique<FakeProcesses>(world_, out_dir);
}
std::unique_ptr<Proxy> FakeParts::NewProxy(const ProxyPlan& plan) {
  return std::make_unique<FakeProxy>(world_, plan);
}
std::unique_ptr<Load> FakeParts::NewLoad(const LoadPlan&, TimePoint, Load::Sink sink) {
  return std::make_unique<FakeLoad>(world_, std::move(sink));
}
std::unique_ptr<MetricsEndpoint> FakeParts::NewMetricsEndpoint(const ScrapePlan& plan) {
  return std::make_unique<FakeEndpoint>(world_, plan.port);
}

namespace {

class FakeCensusTaker final : public CensusTaker {
 public:
  explicit FakeCensusTaker(FakeWorld& world) : world_(world) {}
  Census Take(const CensusPlan&, pid_t pid) override {
    world_.Log("census " + std::to_string(pid));
    return *world_.census;
  }

 private:
  FakeWorld& world_;
};

}  // namespace

std::unique_ptr<CensusTaker> FakeParts::NewCensusTaker() {
  if (!world_.census) return nullptr;
  return std::make_unique<FakeCensusTaker>(world_);
}

}  // namespace faultline
