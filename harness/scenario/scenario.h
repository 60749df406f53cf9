// Scenario: the typed, validated form of a scenario TOML file. The loader
// (scenario_loader.h) is the only code that sees TOML; everything else reads
// these structs. Every field has its default here and nowhere else: the
// schema (schema.h) renders the reference's default column from these
// structs, and docs/scenarios.md is generated from the schema.
//
// Strings that may hold variables ("${port.inventory}", "${variant.mode}")
// are kept unexpanded here; Bind (harness/run/bind.h) expands them per
// variant once ports are allocated (see ExpandVariables in variables.h).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/common/units.h"
#include "harness/result/check_kind.h"

namespace faultline {

using namespace std::chrono_literals;

/// "${port.NAME}": the variable holding the port allocated for `process`,
/// which is the default of every port a process is reached on.
std::string PortVariable(std::string_view process);

/// "http://127.0.0.1:${port.NAME}": where load goes for a target named
/// `target` that sets no base_url.
std::string DefaultBaseUrl(std::string_view target);

/// "host:port" split: host an IP literal ("[::1]" for IPv6) or "localhost"
/// (returned as "127.0.0.1"); no DNS names. Port 1..65535, or 0 too when
/// `allow_any_port`. On failure, nullopt and *error says why
/// ("expected \"host:port\", got \"x\"").
struct HostPort {
  std::string host;
  uint16_t port = 0;
};
std::optional<HostPort> ParseHostPort(std::string_view text, bool allow_any_port,
                                      std::string* error);

/// How the supervisor decides a started process is ready.
struct Readiness {
  enum class Kind {
    kTcp,      // a TCP connect to 127.0.0.1:port succeeds
    kHttp,     // GET http://127.0.0.1:port<path> answers `status`
    kLogLine,  // a line of the process's output contains `log_line`
  };
  Kind kind = Kind::kTcp;
  std::string port = "";        // for tcp/http: a number or "${port.NAME}"; the loader
                                // sets PortVariable(<this process>) unless given
  std::string path = "/";       // for http
  int status = 200;             // for http
  std::string log_line;         // for log
  Duration timeout = 10s;       // give up (exit 3) after this long
};

/// A process the run starts: the target, or one of its dependencies.
struct ProcessSpec {
  std::string name;                         // "target" for the target; unique
  std::vector<std::string> argv;            // argv[0] is looked up in PATH; no shell
  std::map<std::string, std::string> env;   // added to the harness's environment
  Readiness ready;
  Duration stop_grace = 3s;                 // SIGTERM, then SIGKILL after this long
  bool proxy = false;                       // dependencies only: put a fault proxy in front
  std::string address;                      // dependencies only: "host:port" of one already
                                            // running (not started; argv is empty)
  bool check_ready = true;                  // false for an external dependency without `ready`
  enum class Protocol { kTcp, kHttp };
  Protocol protocol = Protocol::kTcp;       // dependencies with a proxy: kHttp parses HTTP/1.1
                                            // (HTTP faults, upstream request records)
  bool external() const { return !address.empty(); }
  uint16_t listen = 0;                      // dependencies with proxy: the proxy's fixed port
                                            // (0: a free one, allocated per run)
};

/// An attached target: a process faultline finds instead of starting it,
/// samples like a started one, and never stops or signals. Exactly one of
/// the three is set; the run looks the process up when a variant starts.
struct AttachSpec {
  uint16_t port = 0;     // the one process listening on this local TCP port
  int64_t pid = 0;       // this process
  std::string pid_file;  // the process whose pid this file holds; may hold variables
  /// "the process listening on port 8080", "pid 123", "the pid in \"x.pid\"".
  std::string Describe() const;
};

/// Custom metrics read from the target over HTTP, in Prometheus text format
/// (for what /proc cannot see, such as Go's goroutines). Scraped once per
/// sampling interval; a scrape that fails or times out leaves a gap in the
/// series and counts as a miss, and never delays the other samples.
struct ScrapeSpec {
  std::string port;               // a number or "${port.NAME}"; the loader sets
                                  // PortVariable(<the target>) unless given
  std::string path = "/metrics";
  Duration timeout = 50ms;        // per scrape; must be shorter than sampling.interval
  /// Series name -> selector: `goroutines = "go_goroutines"`, or with labels
  /// `ok = 'http_requests_total{code="200"}'` (matching samples are summed).
  std::map<std::string, std::string> metrics;
};

/// How the target's census is taken (docs/census.md): where its threads (or
/// goroutines) wait, grouped by stack. Native (every thread stopped and
/// unwound) unless `url` names a Go goroutine profile.
struct CensusSpec {
  std::string url;            // "http://127.0.0.1:${port.NAME}/debug/pprof/goroutine?debug=1";
                              // "" = a native census of the target's process tree
  Duration timeout = 2s;      // fetching the goroutine profile
  bool at_end = true;         // one census at the end of each variant's phases
};

/// One `[[census]]` moment: `at = "hang+8s"` (phase start + offset) or
/// `at = "hang"` (its start).
struct CensusMomentSpec {
  std::string at;             // as written; names the census in results and checks
  std::string phase;
  Duration offset = 0s;
};

/// The target: a process plus where the load goes.
struct TargetSpec : ProcessSpec {
  static constexpr std::string_view kDefaultName = "target";
  TargetSpec() { name = kDefaultName; }  // the name unless the file gives one
  std::string base_url = DefaultBaseUrl(kDefaultName);  // load is sent here; the loader
                                                        // sets DefaultBaseUrl(name)
  std::optional<ScrapeSpec> scrape;  // [target.scrape]: custom metrics
  std::optional<AttachSpec> attach = std::nullopt;  // [target.attach]: a running process
                                                    // instead of argv
  bool attached() const { return attach.has_value(); }
  CensusSpec census;                 // [target.census]
};

/// The one variant of a scenario that declares none.
inline constexpr std::string_view kDefaultVariantName = "default";

struct Variant {
  std::string name;
  enum class Expect { kPass, kFail };
  Expect expect = Expect::kPass;
  std::map<std::string, std::string> vars;  // ${variant.KEY}
  // Commands (argv arrays, no shell; variables allowed) run before the
  // variant's first phase and after its last; each bounded by hook_timeout.
  std::vector<std::vector<std::string>> setup = {};
  std::vector<std::vector<std::string>> teardown = {};
  Duration hook_timeout = 30s;
};

struct LoadSpec {
  double rate = 100;                         // requests per second, open loop
  std::string method = "GET";
  std::string path = "/";                    // appended to target.base_url
  std::map<std::string, std::string> headers;
  std::string body;
  Duration timeout = 5s;                     // client timeout per request; closes the connection
  uint64_t max_in_flight = 10000;            // past this, scheduled requests count as dropped
};

/// A value that steps from `from` to `to` across its phase, in the unit of
/// its fault kind's main value (FaultSpec::MainValue): nanoseconds for a
/// duration, bytes per second for a rate, bytes for a size. Step i of
/// `steps` (0-based) starts at phase start + i x duration / steps and holds
/// from + (to - from) x i / (steps - 1).
struct FaultRamp {
  int64_t from = 0;
  int64_t to = 0;
  int steps = 2;                             // at least 2
  bool operator==(const FaultRamp&) const = default;
};

/// Active for `on`, inactive for `off`, repeated from the phase's start.
struct FaultFlap {
  Duration on = 0s;
  Duration off = 0s;
  bool operator==(const FaultFlap&) const = default;
};

struct FaultSpec {
  // Data faults first (they take `direction`), then the connection-level ones.
  enum class Kind {
    kLatency, kBandwidth, kSlowClose, kTimeout, kResetPeer, kSlicer, kLimitData,
    kHang, kReset, kRefuse, kConnectHang,
    // HTTP faults (a dependency with protocol = "http"): per request.
    kAbort, kDelay, kSlowBody, kHangRequest
  };
  enum class Direction { kBoth, kUpstream, kDownstream };
  /// delay: what is held.
  enum class On { kRequest, kResponse };
  /// HTTP faults: the requests they apply to; every part given must hold.
  struct Match {
    std::string method;                      // "" = any
    std::string path_prefix;                 // "" = any
    std::map<std::string, std::string> headers;  // name -> exact value ("" = present)
    bool operator==(const Match&) const = default;
  };
  /// The field a ramp moves, per kind.
  enum class Main { kNone, kLatency, kRate, kDelay, kTimeout, kBytes };

  Kind kind = Kind::kHang;
  std::string dependency;                    // a dependency with proxy = true
  std::string name;                          // identity in the proxy; "" = the kind's name
  double fraction = 1;                       // share of connections it applies to, 0..1
  Direction direction = Direction::kDownstream;  // data faults: which way
  Duration latency = 0s;                     // latency: added delay per chunk
  Duration jitter = 0s;                      // latency: +/- uniform jitter
  uint64_t rate = 0;                         // bandwidth: bytes per second
  Duration delay = 0s;                       // slow_close: close held; slicer: between slices
  Duration timeout = 0s;                     // timeout: close after (0 = never);
                                             // reset_peer: RST after (0 = on first data)
  uint64_t size = 0;                         // slicer: average slice, bytes
  uint64_t size_variation = 0;               // slicer: +/- uniform on the size
  uint64_t bytes = 0;                        // limit_data: forwarded before the close
  std::optional<FaultRamp> ramp;             // the main value moves across the phase
  std::optional<FaultFlap> flap;             // on/off across the phase
  int status = 0;                            // abort: the status answered (required)
  std::string body = "fault filter abort";   // abort: the body answered (Envoy's text)
  On on = On::kRequest;                      // delay: hold the request or the response head
  Match match;                               // HTTP faults: which requests

  /// The field `ramp` moves for `kind`; kNone for the connection-level kinds.
  static Main MainValue(Kind kind);
  /// The name the proxy knows it by: `name`, or the kind's name.
  std::string EffectiveName() const;
  /// Sets the main value to `v` (in the ramp's unit).
  void SetMain(int64_t v);
  bool operator==(const FaultSpec&) const = default;
};

/// The seed of the fault proxy in front of `dependency`: the FNV-1a 64-bit
/// hash of the name (offset basis 0xcbf29ce484222325, prime 0x100000001b3),
/// XORed with the scenario's `seed` and put through SplitMix64's finalizer,
/// so two dependencies draw independently and a run repeats.
uint64_t ProxySeed(uint64_t scenario_seed, std::string_view dependency);

/// Gives each fault of `faults` (the faults of one proxy) that has no `name`
/// a unique one: its kind's name, or "<kind>_2", "<kind>_3", ... when that
/// is taken by an earlier fault or by an explicit name.
void NameFaults(std::vector<FaultSpec>* faults);

/// The most fault changes the ramps and flaps of one phase may schedule: each
/// is computed before the phase and applied on the event loop.
inline constexpr int kMaxFaultChanges = 10000;

/// About how many changes the ramps and flaps of `faults` make across a phase
/// of `duration` (steps - 1 per ramp, two per flap period begun).
double ScheduledChanges(const std::vector<FaultSpec>& faults, Duration duration);

struct Phase {
  std::string name;
  Duration duration = 10s;
  std::optional<double> rate;                // overrides load.rate; 0 = no load (drain)
  std::vector<FaultSpec> faults;
};

struct CheckSpec {
  using Kind = CheckKind;  // harness/result/check_kind.h
  std::string name;                 // shown in reports; defaults to "<kind> <metric> <window>"
  Kind kind = Kind::kMax;
  std::string metric;               // a sample series name: threads, rss_bytes, fds, ...
  std::vector<std::string> phases;  // the window; empty = the whole run
  double limit = 0;                 // in the metric's unit; seconds for latency
  bool at_least = false;            // window checks: pass when observed >= limit (a fault's
                                    // effect shows), instead of observed <= limit
  double percentile = 99;           // latency only
  std::string after;                // recovers only: the phase whose end starts the clock
  Duration within = 5s;             // recovers only
  double tolerance = 0;             // recovers only: allowed distance above baseline
  std::vector<std::string> variants;  // empty = every variant
  std::string dependency{};         // outlived, orphans: whose upstream requests (protocol "http")
  Duration open_for = 0s;           // orphans: open at least this long after the caller left
  std::string frames;               // held only: a pattern over the joined frames
                                    // (CensusFramesMatch in harness/result/census.h)
  std::string at = "end";           // held only: which census ("end" or a [[census]] at)
  std::string limit_expression{};   // `limit` as written when it is an expression
                                    // ("1.5 * ${load.rate} * 2s", limit_expression.h);
                                    // `limit` holds its value; empty for a plain value
};

struct SamplingSpec {
  Duration interval = 100ms;
};

struct Scenario {
  std::string path;          // the file it was loaded from
  std::string source;        // the file's text (after --set overrides are noted)
  std::string name;          // defaults to the file's stem
  std::string description;
  TargetSpec target;
  std::vector<ProcessSpec> dependencies;
  std::vector<Variant> variants;   // at least one; default: one named "default"
  LoadSpec load;
  std::vector<Phase> phases;       // at least one
  std::string baseline_phase;      // phase whose samples define "baseline"; default: the first
  SamplingSpec sampling;
  std::vector<CheckSpec> checks;
  uint64_t seed = 1;               // seeds the proxies' random choices (ProxySeed in
                                   // harness/run/bind.h)
  std::vector<CensusMomentSpec> census;  // [[census]]: censuses during the phases
};

// The TOML spelling of each enum value, from the schema's allowed values
// (schema.h); the loader parses with these, so they are also what reports
// should print.
const char* ToString(FaultSpec::Kind kind);
const char* ToString(Variant::Expect expect);
const char* ToString(Readiness::Kind kind);       // "tcp", "http", "log": the TOML spelling
const char* ToString(FaultSpec::Direction direction);
const char* ToString(ProcessSpec::Protocol protocol);  // "tcp", "http"
const char* ToString(FaultSpec::On on);                // "request", "response"
/// Whether `kind` is one of the HTTP faults (abort, delay, slow_body, hang_request).
bool IsHttpFault(FaultSpec::Kind kind);

}  // namespace faultline
