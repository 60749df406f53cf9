// Bind: turns a scenario and one of its variants, given the ports of a run,
// into a Plan with nothing left to expand or parse. The VariantRun only
// executes a Plan; `faultline validate` binds every variant with placeholder
// ports, so an error in an expanded value (a port variable that is not a
// number, a base_url off this machine) is reported before anything starts.
//
// Bind is pure: no I/O, no clock, no processes. Its errors are Invalid and
// name the scenario key they come from ("target.ready.port: ...",
// "dependencies[0].argv: unknown variable \"port.db\"").
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "harness/common/loopback_url.h"
#include "harness/common/status.h"
#include "harness/common/units.h"
#include "harness/result/result.h"
#include "harness/scenario/scenario.h"
#include "harness/scrape/prometheus.h"

namespace faultline {

/// The ports a run binds its variables to.
struct Ports {
  std::map<std::string, uint16_t> processes;  // ${port.NAME}: every process, by name
  std::map<std::string, uint16_t> proxies;    // ${proxy.NAME}: dependencies with proxy = true
};

/// Free ports (AllocatePort) for every process and proxy of `scenario`. An
/// external dependency's port is its address's, a target attached by port
/// has that port, a proxy with `listen` has that one.
StatusOr<Ports> AllocatePorts(const Scenario& scenario);
/// Distinct fixed ports (40001, 40002, ...) for validation: nothing is bound.
Ports PlaceholderPorts(const Scenario& scenario);

/// How to tell that a started process is ready; `port` is numeric.
struct ReadyPlan {
  Readiness::Kind kind = Readiness::Kind::kTcp;
  std::string host = "127.0.0.1";  // tcp and http: an external dependency's address host
  uint16_t port = 0;       // tcp and http: connect to host:port
  std::string path = "/";  // http
  int status = 200;        // http
  std::string log_line;    // log
  Duration timeout{0};
};

/// A process to start, fully expanded.
struct ProcessPlan {
  std::string name;
  std::vector<std::string> argv;
  std::map<std::string, std::string> env;
  std::string log_file;  // relative to the run's out dir: "logs/<variant>/<name>.log"
  Duration stop_grace{0};
  ReadyPlan ready;
};

/// A dependency already running at an address: not started or stopped.
struct ExternalPlan {
  std::string name;
  std::string host;                  // numeric: "127.0.0.1", "::1", ...
  uint16_t port = 0;
  std::optional<ReadyPlan> ready;    // checked before the processes start, when given
};

/// A fault proxy: listens on 127.0.0.1:listen_port, forwards to
/// upstream_host:upstream_port.
struct ProxyPlan {
  std::string dependency;
  uint16_t listen_port = 0;
  std::string upstream_host = "127.0.0.1";  // an external dependency's host
  uint16_t upstream_port = 0;
  uint64_t seed = 0;                        // ProxySeed(scenario seed, dependency)
  bool fixed_port = false;                  // listen_port is the dependency's `listen`
  ProcessSpec::Protocol protocol = ProcessSpec::Protocol::kTcp;  // what the proxy speaks
};

/// An attached target (target.attach), with its pid_file expanded: exactly
/// one of the three is set. Looked up by FindAttached (attach.h).
struct AttachPlan {
  uint16_t port = 0;
  pid_t pid = 0;
  std::string pid_file;
  uint16_t load_port = 0;  // target.base_url's: the attached tree should listen there
  std::string load_host{};  // and its host, numeric ("127.0.0.1", "::1")
  std::string Describe() const;  // as AttachSpec::Describe
};

/// One setup or teardown command of a variant, expanded.
struct HookPlan {
  std::string name;                // "setup-1", "teardown-2": also its log's name
  std::vector<std::string> argv;   // argv[0] looked up in PATH; no shell
  std::string log_file;            // relative to the run's out dir: "logs/<variant>/setup-1.log"
  Duration timeout{0};             // then SIGTERM, SIGKILL 3 s later; a failure
};

struct LoadPlan {
  LoopbackUrl url;                           // from target.base_url
  std::string method = "GET";
  std::string target = "/";                  // url.prefix + load.path
  std::map<std::string, std::string> headers;
  std::string body;
  Duration timeout{0};
  uint64_t max_in_flight = 0;
  uint64_t trace_seed = 0;                   // the per-request traceparent ids: ProxySeed(
                                             // scenario seed, variant name)
};

struct ScrapePlan {
  uint16_t port = 0;
  std::string path = "/metrics";
  Duration timeout{0};
  std::vector<std::pair<std::string, MetricSelector>> selectors;  // series name, selector
};

struct PhasePlan {
  std::string name;
  Duration duration{0};
  double rate = 0;                             // requests/s (load.rate unless the phase sets it)
  /// dependency -> its faults in this phase, each with a unique name
  /// (NameFaults), ramp and flap still on (fault_schedule.h resolves them).
  std::map<std::string, std::vector<FaultSpec>> faults;
  std::vector<std::string> descriptions;       // "hang inventory", "latency 3s±1s inventory"
};

/// Everything one variant's run does, concrete.
/// The target's censuses (issue 14; harness/census).
struct CensusPlan {
  std::string url;                          // a goroutine profile, expanded; "" = native
  Duration timeout{2000000000};             // fetching the profile
  bool at_end = true;                       // the census "end", after the last phase
  std::vector<CensusMomentSpec> moments;    // [[census]], in the scenario's order
};

struct Plan {
  std::string variant;
  Expectation expect = Expectation::kPass;
  std::vector<ProcessPlan> processes;  // in start order: dependencies, then the target (last)
  std::vector<ExternalPlan> externals; // dependencies with an address, in dependency order
  std::vector<ProxyPlan> proxies;      // in dependency order
  LoadPlan load;
  std::optional<ScrapePlan> scrape;
  std::vector<PhasePlan> phases;       // at least one, in order
  std::string baseline_phase;
  std::vector<CheckSpec> checks;       // the scenario's checks that apply to this variant
  Duration sampling_interval{0};
  uint64_t seed = 1;                   // the scenario's; each proxy has its own (ProxyPlan::seed)
  std::string target_name;             // the target's name, started or attached
  std::optional<AttachPlan> attach;    // set: the target is attached, not among `processes`
  std::vector<HookPlan> setup;         // run after the processes are ready, before the load
  std::vector<HookPlan> teardown;      // run after the processes are stopped
  CensusPlan census;

  /// The started target (not for an attached one).
  const ProcessPlan& target() const { return processes.back(); }
};

/// Expands every variable of `scenario` for `variant` (which must be one of
/// its variants) with `ports`, which must hold a port for every process and
/// every proxied dependency.
StatusOr<Plan> Bind(const Scenario& scenario, const Variant& variant, const Ports& ports);

/// "hang inventory", "latency 3s±1s upstream inventory", "bandwidth 1MB/s
/// 30% inventory", "latency 0s→400ms in 5 steps inventory", "hang flapping
/// 2s on/3s off inventory": a fault as the phase spans in results.json and
/// the event lines describe it.
std::string Describe(const FaultSpec& fault);

}  // namespace faultline
