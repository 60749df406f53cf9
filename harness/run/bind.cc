#include "harness/run/bind.h"

#include <cstdlib>

#include "harness/common/asio.h"
#include "harness/common/ports.h"
#include "harness/common/text.h"
#include "harness/scenario/variables.h"

namespace faultline {

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

namespace {

// The processes of a scenario in start order, each with its key path.
std::vector<std::pair<const ProcessSpec*, std::string>> ProcessesOf(const Scenario& s) {
  std::vector<std::pair<const ProcessSpec*, std::string>> out;
  for (size_t i = 0; i < s.dependencies.size(); ++i)
    out.emplace_back(&s.dependencies[i], "dependencies[" + std::to_string(i) + "]");
  out.emplace_back(&s.target, "target");
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

  // First error wins; later calls are no-ops once one was seen.
  std::string Expand(const std::string& text, const std::string& key) {
    if (!status_.ok()) return "";
    auto e = ExpandVariables(text, vars_);
    if (!e.ok()) {
      status_ = e.status().WithContext(key);
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
    const std::string value = Expand(text, key);
    if (!status_.ok()) return 0;
    char* end = nullptr;
    const long p = std::strtol(value.c_str(), &end, 10);
    if (value.empty() || *end != '\0' || p < 1 || p > 65535) {
      std::string from = value == text ? "" : " (from " + Quote(text) + ")";
      Fail(Status::Invalid(key + ": expected a port number 1..65535, got " + Quote(value) + from));
      return 0;
    }
    return static_cast<uint16_t>(p);
  }

  void Fail(Status s) {
    if (status_.ok()) status_ = std::move(s);
  }
  const Status& status() const { return status_; }

 private:
  std::map<std::string, std::string> vars_;
  Status status_;
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

}  // namespace

StatusOr<Ports> AllocatePorts(const Scenario& scenario) {
  Ports ports;
  for (const auto& [p, key] : ProcessesOf(scenario)) {
    auto port = AllocatePort();
    if (!port.ok()) return port.status();
    ports.processes[p->name] = *port;
  }
  for (const auto& d : scenario.dependencies) {
    if (!d.proxy) continue;
    auto port = AllocatePort();
    if (!port.ok()) return port.status();
    ports.proxies[d.name] = *port;
  }
  return ports;
}

Ports PlaceholderPorts(const Scenario& scenario) {
  Ports ports;
  uint16_t next = 40001;
  for (const auto& [p, key] : ProcessesOf(scenario)) ports.processes[p->name] = next++;
  for (const auto& d : scenario.dependencies)
    if (d.proxy) ports.proxies[d.name] = next++;
  return ports;
}

StatusOr<Plan> Bind(const Scenario& scenario, const Variant& variant, const Ports& ports) {
  Binder b(variant, ports);
  Plan plan;
  plan.variant = variant.name;
  plan.expect = variant.expect == Variant::Expect::kFail ? Expectation::kFail : Expectation::kPass;

  // The load's address first: its error is the one a user most likely made.
  const std::string base = b.Expand(scenario.target.base_url, "target.base_url");
  if (!b.status().ok()) return b.status();
  auto url = ParseLoopbackUrl(base);
  if (!url.ok()) return url.status();

  for (const auto& [p, key] : ProcessesOf(scenario))
    plan.processes.push_back(BindProcess(b, *p, key, variant.name));
  for (const auto& d : scenario.dependencies) {
    if (!d.proxy) continue;
    auto listen = ports.proxies.find(d.name);
    auto upstream = ports.processes.find(d.name);
    if (listen == ports.proxies.end() || upstream == ports.processes.end())
      return Status::Invalid("no port for the fault proxy in front of " + Quote(d.name));
    plan.proxies.push_back({d.name, listen->second, upstream->second});
  }

  const LoadSpec& load = scenario.load;
  plan.load.url = *url;
  plan.load.method = load.method;
  plan.load.target = url->prefix + b.Expand(load.path, "load.path");
  plan.load.headers = b.ExpandAll(load.headers, "load.headers");
  plan.load.body = b.Expand(load.body, "load.body");
  plan.load.timeout = load.timeout;
  plan.load.max_in_flight = load.max_in_flight;

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
      p.faults[f.dependency] = f;  // the last fault named for a dependency wins
      p.descriptions.push_back(Describe(f));
    }
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

  if (!b.status().ok()) return b.status();
  return plan;
}

}  // namespace faultline
