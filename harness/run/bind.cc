#include "harness/run/bind.h"

#include <cstdlib>
#include <tuple>

#include "harness/common/ports.h"
#include "harness/common/text.h"
#include "harness/scenario/diagnostics.h"
#include "harness/scenario/variables.h"

namespace faultline {

namespace {

// "1MB/s", "64KB/s", "1500B/s": the largest decimal unit that divides it.
std::string FormatRate(uint64_t bytes_per_second) {
  if (bytes_per_second >= 1000000 && bytes_per_second % 1000000 == 0)
    return std::to_string(bytes_per_second / 1000000) + "MB/s";
  if (bytes_per_second >= 1000 && bytes_per_second % 1000 == 0)
    return std::to_string(bytes_per_second / 1000) + "KB/s";
  return std::to_string(bytes_per_second) + "B/s";
}

// The main value `v` of a fault of kind `kind`, as Describe writes it.
std::string MainText(FaultSpec::Kind kind, int64_t v) {
  switch (FaultSpec::MainValue(kind)) {
    case FaultSpec::Main::kRate: return FormatRate(static_cast<uint64_t>(v));
    case FaultSpec::Main::kBytes: return std::to_string(v) + "B";
    default: return FormatDuration(Duration(v));
  }
}

// The kind's values, after its name: "3s±1s", "1MB/s", "after 2s".
std::string Values(const FaultSpec& f) {
  using K = FaultSpec::Kind;
  std::string main;
  if (f.ramp) {
    main = MainText(f.kind, f.ramp->from) + "→" + MainText(f.kind, f.ramp->to) + " in " +
           std::to_string(f.ramp->steps) + " steps";
  }
  switch (f.kind) {
    case K::kLatency:
      if (main.empty()) main = FormatDuration(f.latency);
      return f.jitter.count() > 0 ? main + "±" + FormatDuration(f.jitter) : main;
    case K::kBandwidth:
      return main.empty() ? FormatRate(f.rate) : main;
    case K::kSlowClose:
      return main.empty() ? FormatDuration(f.delay) : main;
    case K::kTimeout:
      return main.empty() ? FormatDuration(f.timeout) : main;
    case K::kResetPeer:
      if (!main.empty()) return "after " + main;
      return f.timeout.count() > 0 ? "after " + FormatDuration(f.timeout) : "on first data";
    case K::kSlicer: {
      std::string s = std::to_string(f.size) + "B";
      if (f.size_variation > 0) s += "±" + std::to_string(f.size_variation) + "B";
      if (!main.empty()) return s + " every " + main;
      return f.delay.count() > 0 ? s + " every " + FormatDuration(f.delay) : s;
    }
    case K::kLimitData:
      return main.empty() ? std::to_string(f.bytes) + "B" : main;
    case K::kHang:
    case K::kReset:
    case K::kRefuse:
    case K::kConnectHang:
    case K::kHangRequest:
      break;
    case K::kAbort:
      return std::to_string(f.status);
    case K::kDelay:
      return FormatDuration(f.delay) + (f.on == FaultSpec::On::kResponse ? " on responses" : "");
    case K::kSlowBody:
      return FormatRate(f.rate);
  }
  return "";
}

}  // namespace

std::string AttachPlan::Describe() const {
  return AttachSpec{port, pid, pid_file}.Describe();
}

std::string Describe(const FaultSpec& f) {
  std::string s = ToString(f.kind);
  const std::string values = Values(f);
  if (!values.empty()) s += " " + values;
  if (FaultSpec::MainValue(f.kind) != FaultSpec::Main::kNone) {
    if (f.direction == FaultSpec::Direction::kUpstream) s += " upstream";
    if (f.direction == FaultSpec::Direction::kBoth) s += " both ways";
  }
  if (f.fraction < 1) s += " " + FormatNumber(f.fraction * 100) + "%";
  if (f.flap) {
    s += " flapping " + FormatDuration(f.flap->on) + " on/" + FormatDuration(f.flap->off) + " off";
  }
  return s + " " + f.dependency;
}

namespace {

// The processes of a scenario in start order, each with its key path
// (external dependencies are not started: not among them).
std::vector<std::pair<const ProcessSpec*, std::string>> ProcessesOf(const Scenario& s) {
  std::vector<std::pair<const ProcessSpec*, std::string>> out;
  for (size_t i = 0; i < s.dependencies.size(); ++i) {
    if (s.dependencies[i].external()) continue;
    out.emplace_back(&s.dependencies[i], "dependencies[" + std::to_string(i) + "]");
  }
  if (!s.target.attached()) out.emplace_back(&s.target, "target");
  return out;
}

// Expands scenario strings with one variant's variables; every error names its key.
class Binder {
 public:
  Binder(const Variant& variant, const Ports& ports) {
    vars_["variant.name"] = variant.name;
    for (const auto& [k, v] : variant.vars) vars_["variant." + k] = v;
    for (const auto& [name, port] : ports.processes) vars_["port." + name] = std::to_string(port);
    for (const auto& [name, port] : ports.proxies) vars_["proxy." + name] = std::to_string(port);
  }

  // Every error is kept, so that validate reports them all at once; a value
  // that did not expand is "" and is not checked further.
  std::string Expand(const std::string& text, const std::string& key, bool* ok = nullptr) {
    auto e = ExpandVariables(text, vars_);
    if (ok) *ok = e.ok();
    if (!e.ok()) {
      Fail(e.status().WithContext(key));
      return "";
    }
    return *e;
  }

  std::map<std::string, std::string> ExpandAll(const std::map<std::string, std::string>& table,
                                               const std::string& key) {
    std::map<std::string, std::string> out;
    for (const auto& [k, v] : table) out[k] = Expand(v, key + "." + k);
    return out;
  }

  uint16_t Port(const std::string& text, const std::string& key) {
    bool expanded = false;
    const std::string value = Expand(text, key, &expanded);
    if (!expanded) return 0;
    char* end = nullptr;
    const long p = std::strtol(value.c_str(), &end, 10);
    if (value.empty() || *end != '\0' || p < 1 || p > 65535) {
      std::string from = value == text ? "" : " (from " + Quote(text) + ")";
      Fail(Status::Invalid(key + ": expected a port number 1..65535, got " + Quote(value) + from));
      return 0;
    }
    return static_cast<uint16_t>(p);
  }

  void Fail(const Status& s) { errors_.push_back(s.message()); }
  // Ok, or every error, one per line, in the order of the scenario's sections.
  Status status() const {
    std::string all;
    for (const std::string& e : errors_) all += (all.empty() ? "" : "\n") + e;
    return errors_.empty() ? Status::Ok() : Status::Invalid(all);
  }

 private:
  std::map<std::string, std::string> vars_;
  std::vector<std::string> errors_;
};

ProcessPlan BindProcess(Binder& b, const ProcessSpec& p, const std::string& key,
                        const std::string& variant) {
  ProcessPlan out;
  out.name = p.name;
  for (const auto& arg : p.argv) out.argv.push_back(b.Expand(arg, key + ".argv"));
  out.env = b.ExpandAll(p.env, key + ".env");
  out.log_file = "logs/" + variant + "/" + p.name + ".log";
  out.stop_grace = p.stop_grace;
  out.ready.kind = p.ready.kind;
  out.ready.path = p.ready.path;
  out.ready.status = p.ready.status;
  out.ready.log_line = p.ready.log_line;
  out.ready.timeout = p.ready.timeout;
  if (p.ready.kind != Readiness::Kind::kLogLine) {
    const std::string port = p.ready.port.empty() ? "${port." + p.name + "}" : p.ready.port;
    out.ready.port = b.Port(port, key + ".ready.port");
  }
  return out;
}

// An external dependency's address (validated by the loader).
HostPort AddressOf(const ProcessSpec& d) {
  std::string error;
  return ParseHostPort(d.address, /*allow_any_port=*/false, &error).value_or(HostPort{});
}

// The ports the scenario fixes: external dependencies', an attached
// target's, and proxies with `listen`.
void AddExternalPorts(const Scenario& scenario, Ports* ports) {
  for (const auto& d : scenario.dependencies) {
    if (d.external()) ports->processes[d.name] = AddressOf(d).port;
    if (d.proxy && d.listen != 0) ports->proxies[d.name] = d.listen;
  }
  const auto& attach = scenario.target.attach;
  if (attach && attach->port != 0) ports->processes[scenario.target.name] = attach->port;
}

// The variant's setup or teardown commands, expanded.
std::vector<HookPlan> BindHooks(Binder& b, const std::vector<std::vector<std::string>>& commands,
                                const std::string& kind, const std::string& key,
                                const Variant& variant) {
  std::vector<HookPlan> out;
  for (size_t i = 0; i < commands.size(); ++i) {
    HookPlan h;
    h.name = kind + "-" + std::to_string(i + 1);
    for (const auto& arg : commands[i]) h.argv.push_back(b.Expand(arg, Indexed(key, i)));
    h.log_file = "logs/" + variant.name + "/" + h.name + ".log";
    h.timeout = variant.hook_timeout;
    out.push_back(std::move(h));
  }
  return out;
}

}  // namespace

StatusOr<Ports> AllocatePorts(const Scenario& scenario) {
  Ports ports;
  AddExternalPorts(scenario, &ports);
  for (const auto& [p, key] : ProcessesOf(scenario)) {
    auto port = AllocatePort();
    if (!port.ok()) return port.status();
    ports.processes[p->name] = *port;
  }
  for (const auto& d : scenario.dependencies) {
    if (!d.proxy || d.listen != 0) continue;
    auto port = AllocatePort();
    if (!port.ok()) return port.status();
    ports.proxies[d.name] = *port;
  }
  return ports;
}

Ports PlaceholderPorts(const Scenario& scenario) {
  Ports ports;
  AddExternalPorts(scenario, &ports);
  uint16_t next = 40001;
  for (const auto& [p, key] : ProcessesOf(scenario)) ports.processes[p->name] = next++;
  for (const auto& d : scenario.dependencies)
    if (d.proxy && d.listen == 0) ports.proxies[d.name] = next++;
  return ports;
}

StatusOr<Plan> Bind(const Scenario& scenario, const Variant& variant, const Ports& ports) {
  Binder b(variant, ports);
  Plan plan;
  plan.variant = variant.name;
  plan.expect = variant.expect == Variant::Expect::kFail ? Expectation::kFail : Expectation::kPass;

  // The load's address first: its error is the one a user most likely made.
  bool expanded = false;
  const std::string base = b.Expand(scenario.target.base_url, "target.base_url", &expanded);
  auto url = ParseLoopbackUrl(base);
  if (expanded && !url.ok()) {
    const std::string& why = url.status().message();
    b.Fail(Status::Invalid("target.base_url " + Quote(base) + ": " + why +
                           (why.find("not a loopback") != std::string::npos
                                ? "; faultline sends load only to this machine"
                                : "")));
  }
  if (!url.ok()) url = LoopbackUrl{};  // reported; the other keys are still checked

  for (const auto& [p, key] : ProcessesOf(scenario)) {
    plan.processes.push_back(BindProcess(b, *p, key, variant.name));
    // A probe of another process's port, or a proxy's, is answered by it:
    // one named by its variable, or one the scenario fixes (`listen`, an
    // external address, an attached port; allocated ports are free ones).
    const uint16_t probed = plan.processes.back().ready.port;
    Ports fixed;
    AddExternalPorts(scenario, &fixed);
    for (const auto& [kind, owners, prefix] :
         {std::tuple{"process", &ports.processes, "${port."},
          std::tuple{"fault proxy in front of", &ports.proxies, "${proxy."}}) {
      for (const auto& [name, port] : *owners) {
        if (probed == 0 || port != probed || (owners == &ports.processes && name == p->name))
          continue;
        const auto& pinned = owners == &ports.processes ? fixed.processes : fixed.proxies;
        if (!pinned.contains(name) &&
            p->ready.port.find(prefix + name + "}") == std::string::npos)
          continue;
        b.Fail(Status::Invalid(key + ".ready.port: " + std::to_string(probed) + " is the port of " +
                               "the " + kind + " " + Quote(name) + ": the probe would wait for it, "
                               "not for " + Quote(p->name)));
      }
    }
  }
  for (size_t i = 0; i < scenario.dependencies.size(); ++i) {
    const ProcessSpec& d = scenario.dependencies[i];
    if (!d.external()) continue;
    ExternalPlan external{d.name, AddressOf(d).host, AddressOf(d).port, std::nullopt};
    if (d.check_ready) {
      external.ready = BindProcess(b, d, "dependencies[" + std::to_string(i) + "]", variant.name).ready;
      external.ready->host = external.host;
    }
    plan.externals.push_back(std::move(external));
  }
  for (const auto& d : scenario.dependencies) {
    if (!d.proxy) continue;
    auto listen = ports.proxies.find(d.name);
    auto upstream = ports.processes.find(d.name);
    if (listen == ports.proxies.end() || upstream == ports.processes.end())
      return Status::Invalid("no port for the fault proxy in front of " + Quote(d.name));
    const std::string host = d.external() ? AddressOf(d).host : "127.0.0.1";
    plan.proxies.push_back({d.name, listen->second, host, upstream->second,
                            ProxySeed(scenario.seed, d.name), d.listen != 0, d.protocol});
  }
  plan.target_name = scenario.target.name;
  if (const auto& a = scenario.target.attach) {
    plan.attach = AttachPlan{a->port, static_cast<pid_t>(a->pid),
                             a->pid_file.empty() ? ""
                                                 : b.Expand(a->pid_file, "target.attach.pid_file")};
  }
  size_t vi = 0;
  while (vi < scenario.variants.size() && scenario.variants[vi].name != variant.name) ++vi;
  const std::string vkey = "variants[" + std::to_string(vi) + "]";
  plan.setup = BindHooks(b, variant.setup, "setup", vkey + ".setup", variant);
  plan.teardown = BindHooks(b, variant.teardown, "teardown", vkey + ".teardown", variant);

  const LoadSpec& load = scenario.load;
  plan.load.url = *url;
  if (plan.attach) {
    plan.attach->load_port = url->port;
    plan.attach->load_host = url->host;
  }
  plan.load.method = load.method;
  plan.load.target = url->prefix + b.Expand(load.path, "load.path");
  plan.load.headers = b.ExpandAll(load.headers, "load.headers");
  plan.load.body = b.Expand(load.body, "load.body");
  // Checked as the loader checks them written, once their variables are in:
  // a value must not end the request line or a header early.
  const std::string& path = plan.load.target;
  if (HasSpaceOrControl(path)) {
    b.Fail(Status::Invalid("load.path: with its variables expanded, " + Quote(path) +
                           " holds a space or a control character (encode a space as %20)"));
  }
  for (const auto& [name, value] : plan.load.headers) {
    if (HasLineBreakOrNul(value)) {
      b.Fail(Status::Invalid("load.headers." + name + ": with its variables expanded, " +
                             Quote(value) + " holds CR, LF or NUL"));
    }
  }
  plan.load.timeout = load.timeout;
  plan.load.max_in_flight = load.max_in_flight;
  plan.load.trace_seed = ProxySeed(scenario.seed, variant.name);

  if (const auto& spec = scenario.target.scrape) {
    ScrapePlan scrape;
    scrape.port = b.Port(spec->port, "target.scrape.port");
    scrape.path = spec->path;
    scrape.timeout = spec->timeout;
    for (const auto& [name, text] : spec->metrics) {
      auto selector = ParseSelector(text);
      if (!selector.ok()) b.Fail(selector.status().WithContext("target.scrape.metrics." + name));
      else scrape.selectors.emplace_back(name, *selector);
    }
    plan.scrape = std::move(scrape);
  }

  for (const auto& phase : scenario.phases) {
    PhasePlan p;
    p.name = phase.name;
    p.duration = phase.duration;
    p.rate = phase.rate.value_or(load.rate);
    for (const auto& f : phase.faults) {
      p.faults[f.dependency].push_back(f);
      p.descriptions.push_back(Describe(f));
    }
    for (auto& [dependency, faults] : p.faults) NameFaults(&faults);
    plan.phases.push_back(std::move(p));
  }
  plan.baseline_phase = scenario.baseline_phase;
  for (const auto& check : scenario.checks) {
    bool applies = check.variants.empty();
    for (const auto& v : check.variants) applies = applies || v == variant.name;
    if (applies) plan.checks.push_back(check);
  }
  plan.sampling_interval = scenario.sampling.interval;
  plan.seed = scenario.seed;
  plan.census.url = b.Expand(scenario.target.census.url, "target.census.url");
  plan.census.timeout = scenario.target.census.timeout;
  plan.census.at_end = scenario.target.census.at_end;
  plan.census.moments = scenario.census;

  // The goroutine profile is the target's own: read on this machine, as
  // the load is sent, and refused before the run rather than at its census.
  if (!plan.census.url.empty()) {
    auto profile = ParseLoopbackUrl(plan.census.url);
    if (!profile.ok()) {
      b.Fail(Status::Invalid("target.census.url " + Quote(plan.census.url) + ": " +
                             profile.status().message()));
    }
  }
  if (!b.status().ok()) return b.status();
  return plan;
}

}  // namespace faultline
