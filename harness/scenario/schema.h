// The scenario schema: one row per key a scenario file may hold (see
// key_schema.h for what a row says). This table is the single source of the
// loader's validation and of the reference in docs/scenarios.md; defaults are
// rendered from the structs of scenario.h.
//
// Adding a key: add its row here and its field to scenario.h, then read it
// through its handle (FieldOf below) in the table's reader. Adding a fault
// kind or a check kind: add its enumerator to scenario.h and its Choice here
// (check kinds and rows: schema_checks.h), and list it in the
// `applies`/`required` sets of the rows that concern it.
#pragma once

#include "harness/scenario/key_schema.h"
#include "harness/scenario/scenario.h"
#include "harness/scenario/schema_checks.h"

namespace faultline::schema {

// ---------------------------------------------------------------------------
// Allowed values.

inline constexpr Choice kReadyKindChoices[] = {
    {static_cast<int>(Readiness::Kind::kTcp), "tcp", "a TCP connect to 127.0.0.1:`port` succeeds"},
    {static_cast<int>(Readiness::Kind::kHttp), "http",
     "`GET http://127.0.0.1:port<path>` answers `status`"},
    {static_cast<int>(Readiness::Kind::kLogLine), "log",
     "a line of the process's output contains `log_line`"},
};
inline constexpr ChoiceList kReadyKinds{"ready kind", kReadyKindChoices,
                                        &kEnumTag<Readiness::Kind>};

inline constexpr Choice kExpectChoices[] = {
    {static_cast<int>(Variant::Expect::kPass), "pass", "every check of the variant must pass"},
    {static_cast<int>(Variant::Expect::kFail), "fail",
     "the variant must fail at least one of its checks (a demonstration of the pathology); the "
     "run succeeds only if it does"},
};
inline constexpr ChoiceList kExpectations{"expectation", kExpectChoices,
                                          &kEnumTag<Variant::Expect>};

inline constexpr Choice kFaultKindChoices[] = {
    {static_cast<int>(FaultSpec::Kind::kLatency), "latency",
     "each chunk of data is delivered `latency` (+/- `jitter`) after it was read"},
    {static_cast<int>(FaultSpec::Kind::kBandwidth), "bandwidth",
     "data flows at most at `rate` bytes per second"},
    {static_cast<int>(FaultSpec::Kind::kSlowClose), "slow_close",
     "data flows; a close is passed on `delay` late"},
    {static_cast<int>(FaultSpec::Kind::kTimeout), "timeout",
     "data is dropped; the connection is closed after `timeout` (`\"0s\"`: never)"},
    {static_cast<int>(FaultSpec::Kind::kResetPeer), "reset_peer",
     "the connection is reset (RST) `timeout` after the fault applies to it (`\"0s\"`: on the "
     "first data)"},
    {static_cast<int>(FaultSpec::Kind::kSlicer), "slicer",
     "data is cut into pieces of about `size` bytes, `delay` apart"},
    {static_cast<int>(FaultSpec::Kind::kLimitData), "limit_data",
     "`bytes` are forwarded, then the connection is closed"},
    {static_cast<int>(FaultSpec::Kind::kHang), "hang",
     "accept and forward nothing; the client side stays open and silent"},
    {static_cast<int>(FaultSpec::Kind::kReset), "reset", "close connections with RST"},
    {static_cast<int>(FaultSpec::Kind::kRefuse), "refuse", "refuse new connections"},
    {static_cast<int>(FaultSpec::Kind::kConnectHang), "connect_hang",
     "new connections never complete their handshake (the caller's connect times out); open "
     "ones are unaffected"},
    {static_cast<int>(FaultSpec::Kind::kAbort), "abort",
     "HTTP: matched requests are answered with `status` (and `body`) by the proxy, never "
     "forwarded"},
    {static_cast<int>(FaultSpec::Kind::kDelay), "delay",
     "HTTP: matched requests (or, `on = \"response\"`, their response heads) are held for "
     "`delay`"},
    {static_cast<int>(FaultSpec::Kind::kSlowBody), "slow_body",
     "HTTP: the response bodies of matched requests flow at `rate`"},
    {static_cast<int>(FaultSpec::Kind::kHangRequest), "hang_request",
     "HTTP: matched requests are never forwarded nor answered; other connections flow"},
};
inline constexpr ChoiceList kFaultKinds{"fault kind", kFaultKindChoices,
                                        &kEnumTag<FaultSpec::Kind>};

inline constexpr Choice kDirectionChoices[] = {
    {static_cast<int>(FaultSpec::Direction::kDownstream), "downstream",
     "from the dependency back to the target"},
    {static_cast<int>(FaultSpec::Direction::kUpstream), "upstream",
     "from the target to the dependency"},
    {static_cast<int>(FaultSpec::Direction::kBoth), "both", "both ways"},
};
inline constexpr ChoiceList kDirections{"direction", kDirectionChoices,
                                        &kEnumTag<FaultSpec::Direction>};

inline constexpr Choice kProtocolChoices[] = {
    {static_cast<int>(ProcessSpec::Protocol::kTcp), "tcp", "bytes are proxied as they come"},
    {static_cast<int>(ProcessSpec::Protocol::kHttp), "http",
     "the proxy parses HTTP/1.1 request by request: HTTP faults apply, and every request is "
     "recorded"},
};
inline constexpr ChoiceList kProtocols{"protocol", kProtocolChoices,
                                       &kEnumTag<ProcessSpec::Protocol>};

inline constexpr Choice kDelayOnChoices[] = {
    {static_cast<int>(FaultSpec::On::kRequest), "request",
     "the request is held before it is forwarded"},
    {static_cast<int>(FaultSpec::On::kResponse), "response",
     "the response's head is held before it goes back"},
};
inline constexpr ChoiceList kDelayOn{"delay target", kDelayOnChoices, &kEnumTag<FaultSpec::On>};


// ---------------------------------------------------------------------------
// Tables, innermost first.

inline constexpr KindSet kTcpOrHttp = Kinds(Readiness::Kind::kTcp, Readiness::Kind::kHttp);

inline constexpr Key kReadyKeys[] = {
    {.name = "kind", .type = Type::kEnum, .doc = "how readiness is told", .def = Default<&Readiness::kind>,
     .choices = &kReadyKinds},
    {.name = "port", .type = Type::kPort, .doc = "where to connect",
     .def_note = "`\"${port.NAME}\"`, the process's own port",
     .type_note = "(1..65535, or a string: a number or variables)", .applies = kTcpOrHttp},
    {.name = "path", .type = Type::kHttpPath, .doc = "the path to GET",
     .def = Default<&Readiness::path>, .applies = Kinds(Readiness::Kind::kHttp)},
    {.name = "status", .type = Type::kInteger, .doc = "the status that means ready",
     .def = Default<&Readiness::status>, .type_note = "100..599",
     .applies = Kinds(Readiness::Kind::kHttp)},
    {.name = "log_line", .type = Type::kNonEmptyString,
     .doc = "text to look for in stdout or stderr", .applies = Kinds(Readiness::Kind::kLogLine),
     .required = Kinds(Readiness::Kind::kLogLine)},
    {.name = "timeout", .type = Type::kPositiveDuration,
     .doc = "give up (exit 3) when not ready after this long (an HTTP probe waits 1 s for an "
            "answer, twice as long after an attempt that ran out, up to 16 s)",
     .def = Default<&Readiness::timeout>},
};
inline constexpr TableSchema kReadySchema{"ready", kReadyKeys, &kReadyKinds};

inline constexpr Key kScrapeKeys[] = {
    {.name = "port", .type = Type::kPort, .doc = "where the metrics endpoint listens (127.0.0.1)",
     .def_note = "`\"${port.NAME}\"`, the target's port",
     .type_note = "(1..65535, or a string: a number or variables)"},
    {.name = "path", .type = Type::kHttpPath, .doc = "the endpoint's path",
     .def = Default<&ScrapeSpec::path>},
    {.name = "timeout", .type = Type::kPositiveDuration,
     .doc = "limit for one scrape: connect, request and response",
     .def = Default<&ScrapeSpec::timeout>, .type_note = ", shorter than `sampling.interval`"},
    {.name = "metrics", .type = Type::kStringTable,
     .doc = "series name = selector: `goroutines = \"go_goroutines\"`; a selector may name labels, "
            "`ok = 'http_requests_total{code=\"200\"}'`, and the values of every matching sample "
            "are summed (as in PromQL, `{code=\"\"}` matches samples without a `code` label); "
            "a series name may not be a built-in metric's, `t_s` (each sample "
            "row's time) or start with `upstream.`",
     .type_note = ", at least one entry", .required = kAllKinds},
};
inline constexpr TableSchema kScrapeSchema{"scrape", kScrapeKeys};

inline constexpr Key kAttachKeys[] = {
    {.name = "port", .type = Type::kInteger,
     .doc = "the one process listening on this local TCP port (IPv4 or IPv6, any address); "
            "the default `base_url` and `${port.NAME}` of the target are this port",
     .def_note = "one of `port`, `pid`, `pid_file`", .type_note = "..65535", .min = 1},
    {.name = "pid", .type = Type::kInteger, .doc = "this process",
     .def_note = "one of `port`, `pid`, `pid_file`", .type_note = "..4194304 (Linux's largest)",
     .min = 1},
    {.name = "pid_file", .type = Type::kNonEmptyString,
     .doc = "the process whose pid this file holds (read when each variant starts, after its "
            "`setup`; a regular file of at most 64 bytes); variables allowed",
     .def_note = "one of `port`, `pid`, `pid_file`"},
};
inline constexpr TableSchema kAttachSchema{"attach", kAttachKeys};
inline constexpr Key kTargetCensusKeys[] = {
    {.name = "url", .type = Type::kString,
     .doc = "a Go goroutine profile to read instead of stopping the target's threads: "
            "`\"http://127.0.0.1:${port.NAME}/debug/pprof/goroutine?debug=1\"` (net/http/pprof); "
            "on this machine: a loopback address or localhost, as `base_url`",
     .def_note = "none: a native census (ptrace and libdw)", .type_note = "starting with `http://`"},
    {.name = "timeout", .type = Type::kPositiveDuration, .doc = "limit for fetching the profile",
     .def = Default<&CensusSpec::timeout>},
    {.name = "at_end", .type = Type::kBool,
     .doc = "take a census at the end of each variant, after the last phase (the census `\"end\"`)",
     .def = Default<&CensusSpec::at_end>},
};
inline constexpr TableSchema kTargetCensusSchema{"census", kTargetCensusKeys};

inline constexpr Key kTargetKeys[] = {
    {.name = "name", .type = Type::kName,
     .doc = "the process name, used in `${port.NAME}`; unique among all processes; not "
            "`setup-N` or `teardown-N` (the hooks' names)",
     .def = Default<&TargetSpec::name, TargetSpec>},
    {.name = "argv", .type = Type::kStrings,
     .doc = "program and arguments; `argv[0]` is looked up in `PATH` (the harness's own "
            "directory first); no shell",
     .def_note = "required unless `attach` is set", .type_note = ", non-empty"},
    {.name = "env", .type = Type::kStringTable, .doc = "added to the harness's environment",
     .def = Default<&TargetSpec::env, TargetSpec>},
    {.name = "ready", .type = Type::kTable,
     .doc = "how to tell the target has started (see [ready](#ready--readiness))",
     .def_note = "tcp on the target's port", .sub = &kReadySchema},
    {.name = "stop_grace", .type = Type::kDuration,
     .doc = "at the end, SIGTERM, then SIGKILL after this long",
     .def = Default<&TargetSpec::stop_grace, TargetSpec>},
    {.name = "base_url", .type = Type::kString,
     .doc = "where the load is sent; `load.path` is appended; for a target named NAME the "
            "default is `\"http://127.0.0.1:${port.NAME}\"`; must be a loopback address when the "
            "run starts",
     .def = Default<&TargetSpec::base_url>, .type_note = "starting with `http://`"},
    {.name = "scrape", .type = Type::kTable, .doc = "custom metrics read from the target",
     .def_note = "none", .sub = &kScrapeSchema},
    {.name = "attach", .type = Type::kTable,
     .doc = "sample a process already running instead of starting one from `argv` (see "
            "[target.attach](#targetattach--a-running-target)); faultline never stops or "
            "signals it; `env`, `ready` and `stop_grace` do not apply",
     .def_note = "none: the target is started from `argv`", .sub = &kAttachSchema},
    {.name = "census", .type = Type::kTable,
     .doc = "where the target's threads wait, grouped by stack (see [census](#census))",
     .def_note = "a native census at the end", .sub = &kTargetCensusSchema},
};
inline constexpr TableSchema kTargetSchema{"target", kTargetKeys};

inline constexpr Key kDependencyKeys[] = {
    {.name = "name", .type = Type::kName,
     .doc = "used in `${port.NAME}`; unique among all processes (target included); not "
            "`setup-N` or `teardown-N`",
     .required = kAllKinds},
    {.name = "argv", .type = Type::kStrings, .doc = "as `target.argv`; either `argv` or `address`",
     .def_note = "required unless `address` is set", .type_note = ", non-empty"},
    {.name = "address", .type = Type::kString,
     .doc = "an **external** dependency, already running at `\"host:port\"`: faultline does not "
            "start or stop it, `${port.NAME}` is its port, and its proxy (with `proxy = true`) "
            "forwards there; `ready` is optional (checked against the address when given); "
            "`env` and `stop_grace` do not apply",
     .def_note = "none: the dependency is started from `argv`",
     .type_note = "`\"host:port\"`, host an IP address or `localhost`"},
    {.name = "env", .type = Type::kStringTable, .doc = "as `target.env`",
     .def = Default<&ProcessSpec::env>},
    {.name = "ready", .type = Type::kTable, .doc = "see [ready](#ready--readiness)",
     .def_note = "tcp on the dependency's port", .sub = &kReadySchema},
    {.name = "stop_grace", .type = Type::kDuration, .doc = "as `target.stop_grace`",
     .def = Default<&ProcessSpec::stop_grace>},
    {.name = "proxy", .type = Type::kBool,
     .doc = "put a fault proxy in front of this dependency; the target must then reach it "
            "through `${proxy.NAME}` (an error otherwise), and faults may name it",
     .def = Default<&ProcessSpec::proxy>},
    {.name = "listen", .type = Type::kInteger,
     .doc = "a fixed port (on 127.0.0.1) for this dependency's fault proxy, so a running "
            "target already configured for that port goes through the proxy; a port in use is "
            "an error naming the process holding it; `${proxy.NAME}` is this port",
     .def_note = "a free port per run", .type_note = "..65535, with `proxy = true`", .min = 1},
    {.name = "protocol", .type = Type::kEnum,
     .doc = "what its proxy speaks; `\"http\"` for the HTTP faults (abort, delay, slow_body, "
            "hang_request) and the upstream request records",
     .def = Default<&ProcessSpec::protocol>, .choices = &kProtocols},
};
inline constexpr TableSchema kDependencySchema{"dependency", kDependencyKeys};

inline constexpr Key kVariantKeys[] = {
    {.name = "name", .type = Type::kName,
     .doc = "unique; `${variant.name}`; also names its log folder", .required = kAllKinds},
    {.name = "expect", .type = Type::kEnum, .doc = "what the variant's checks must show",
     .def = Default<&Variant::expect>, .choices = &kExpectations},
    {.name = "vars", .type = Type::kScalarTable,
     .doc = "`${variant.KEY}` values; numbers and booleans become their text (`0.1` stays "
            "`0.1`); a value is used as written, so it may hold no `${...}`; the key `name` is "
            "reserved",
     .def = Default<&Variant::vars>},
    {.name = "setup", .type = Type::kCommands,
     .doc = "commands run in order before the variant's first phase, once its processes are "
            "ready: `[[\"curl\", \"-X\", \"POST\", \"http://127.0.0.1:9000/flag\"]]`; no "
            "shell; variables allowed; output in `logs/<variant>/setup-N.log`; one that fails "
            "or times out ends the variant (exit 3); what it leaves running in its process group "
            "ends with it, what it starts in a session of its own (`setsid`: a restarted "
            "service) is the user's and outlives the run",
     .def = Default<&Variant::setup>},
    {.name = "teardown", .type = Type::kCommands,
     .doc = "commands run in order after the variant's last phase, once its processes are "
            "stopped; they run whenever `setup` was reached, also after a failure or "
            "SIGINT/SIGTERM; a failing one is an event; output in `logs/<variant>/teardown-N.log`",
     .def = Default<&Variant::teardown>},
    {.name = "hook_timeout", .type = Type::kPositiveDuration,
     .doc = "limit for each `setup` and `teardown` command (SIGTERM, then SIGKILL 3 s later)",
     .def = Default<&Variant::hook_timeout>},
};
inline constexpr TableSchema kVariantSchema{"variant", kVariantKeys};

// The highest request rate a scenario may ask for: far above what one
// load-generator thread sends (docs/benchmarks.md), low enough that a typo
// (`rate = 1e12`) is an error, not a run that exhausts memory.
inline constexpr int64_t kMaxRate = 1'000'000;

inline constexpr Key kLoadKeys[] = {
    {.name = "rate", .type = Type::kNonNegativeNumber,
     .doc = "requests per second; a phase's `rate` overrides it", .def = Default<&LoadSpec::rate>,
     .max = kMaxRate},
    {.name = "method", .type = Type::kString, .doc = "e.g. `\"GET\"`, `\"POST\"`",
     .def = Default<&LoadSpec::method>, .type_note = "(an HTTP method token)"},
    {.name = "path", .type = Type::kHttpPath, .doc = "appended to `target.base_url`",
     .def = Default<&LoadSpec::path>},
    {.name = "headers", .type = Type::kStringTable,
     .doc = "extra request headers; names are HTTP tokens, values hold no CR, LF or NUL; "
            "`Host` defaults to `base_url`'s host:port as written; `Content-Length` and "
            "`Transfer-Encoding` are faultline's (from `body`) and not sent from here",
     .def = Default<&LoadSpec::headers>},
    {.name = "body", .type = Type::kString, .doc = "request body", .def = Default<&LoadSpec::body>},
    {.name = "timeout", .type = Type::kPositiveDuration,
     .doc = "client timeout per request; on timeout the client closes the connection (the "
            "cancellation signal)",
     .def = Default<&LoadSpec::timeout>},
    {.name = "max_in_flight", .type = Type::kInteger,
     .doc = "a request due while this many are in flight is counted as dropped, never silently "
            "skipped",
     .def = Default<&LoadSpec::max_in_flight>, .min = 1},
};
inline constexpr TableSchema kLoadSchema{"load", kLoadKeys};

inline constexpr KindSet kLatencyFault = Kinds(FaultSpec::Kind::kLatency);
inline constexpr KindSet kDataFaults =
    Kinds(FaultSpec::Kind::kLatency, FaultSpec::Kind::kBandwidth, FaultSpec::Kind::kSlowClose,
          FaultSpec::Kind::kTimeout, FaultSpec::Kind::kResetPeer, FaultSpec::Kind::kSlicer,
          FaultSpec::Kind::kLimitData);
inline constexpr KindSet kTimeoutFaults =
    Kinds(FaultSpec::Kind::kTimeout, FaultSpec::Kind::kResetPeer);
inline constexpr KindSet kSlicerFault = Kinds(FaultSpec::Kind::kSlicer);
inline constexpr KindSet kHttpFaults =
    Kinds(FaultSpec::Kind::kAbort, FaultSpec::Kind::kDelay, FaultSpec::Kind::kSlowBody,
          FaultSpec::Kind::kHangRequest);
inline constexpr KindSet kAbortFault = Kinds(FaultSpec::Kind::kAbort);

inline constexpr Key kMatchKeys[] = {
    {.name = "method", .type = Type::kNonEmptyString, .doc = "the request method, exactly",
     .def_note = "any", .type_note = "(an HTTP method token)"},
    {.name = "path_prefix", .type = Type::kHttpPath,
     .doc = "the request-target starts with this", .def_note = "any"},
    {.name = "headers", .type = Type::kStringTable,
     .doc = "each header present with exactly this value (`\"\"`: present with any value); "
            "names in any case (Envoy's `headers`)",
     .def_note = "any"},
};
inline constexpr TableSchema kMatchSchema{"match", kMatchKeys};

inline constexpr Key kRampKeys[] = {
    {.name = "from", .type = Type::kFaultValue, .doc = "the value at the phase's start",
     .required = kAllKinds},
    {.name = "to", .type = Type::kFaultValue, .doc = "the value of the last step",
     .required = kAllKinds},
    {.name = "steps", .type = Type::kInteger,
     .doc = "how many values, evenly spaced in value and in time across the phase (from, ..., "
            "to); step i starts at i x duration / steps",
     .def = Default<&FaultRamp::steps>, .min = 2, .max = 10000},
};
inline constexpr TableSchema kRampSchema{"ramp", kRampKeys};

inline constexpr Key kFlapKeys[] = {
    {.name = "on", .type = Type::kPositiveDuration, .doc = "how long the fault is active",
     .required = kAllKinds},
    {.name = "off", .type = Type::kPositiveDuration, .doc = "how long it is then lifted",
     .required = kAllKinds},
};
inline constexpr TableSchema kFlapSchema{"flap", kFlapKeys};

// `dependency` is the first row: a stand-alone proxy's file (proxy_config.h)
// reads the same rows without it (kProxyFaultSchema).
inline constexpr Key kFaultKeys[] = {
    {.name = "dependency", .type = Type::kString,
     .doc = "must name a dependency with `proxy = true`", .type_note = "(a dependency name)",
     .required = kAllKinds},
    {.name = "kind", .type = Type::kEnum, .doc = "what the proxy does", .choices = &kFaultKinds,
     .required = kAllKinds},
    {.name = "name", .type = Type::kName,
     .doc = "the fault's identity in its proxy, unique among the faults a phase puts on one "
            "dependency; a connection's `fraction` draw is kept per name (across ramp steps, "
            "flaps and phases)",
     .def_note = "the kind, e.g. `\"latency\"`"},
    {.name = "fraction", .type = Type::kFraction,
     .doc = "the share of connections the fault applies to, drawn once per connection and fault "
            "name from the proxy's seeded generator (see `seed`); for an HTTP fault, the share "
            "of matched requests, drawn per request (Envoy's `percentage`)",
     .def = Default<&FaultSpec::fraction>},
    {.name = "direction", .type = Type::kEnum, .doc = "which way the data fault acts",
     .def = Default<&FaultSpec::direction>, .choices = &kDirections, .applies = kDataFaults},
    {.name = "latency", .type = Type::kDuration,
     .doc = "delay added to each chunk of data (or a `ramp`)", .applies = kLatencyFault,
     .required = kLatencyFault},
    {.name = "jitter", .type = Type::kDuration,
     .doc = "uniform random +/- jitter on the delay (seeded by `seed`)",
     .def = Default<&FaultSpec::jitter>, .type_note = "<= `latency`", .applies = kLatencyFault},
    {.name = "rate", .type = Type::kRate,
     .doc = "bytes per second, in size units (`KB` = 1000 B, `KiB` = 1024 B): `\"1MB/s\"`, "
            "`\"64KiB/s\"`, `\"500B/s\"` (or a `ramp`)",
     .type_note = "> 0", .applies = Kinds(FaultSpec::Kind::kBandwidth, FaultSpec::Kind::kSlowBody),
     .required = Kinds(FaultSpec::Kind::kBandwidth, FaultSpec::Kind::kSlowBody)},
    {.name = "delay", .type = Type::kDuration,
     .doc = "slow_close: how long a close is held back; slicer: the pause between slices (`\"0s\"` "
            "by default) (or a `ramp`); delay: how long the request or response head is held "
            "(Envoy's `fixed_delay`)",
     .applies = Kinds(FaultSpec::Kind::kSlowClose, FaultSpec::Kind::kSlicer,
                      FaultSpec::Kind::kDelay),
     .required = Kinds(FaultSpec::Kind::kSlowClose, FaultSpec::Kind::kDelay)},
    {.name = "timeout", .type = Type::kDuration,
     .doc = "timeout: close the connection this long after the fault applies (`\"0s\"`: never); "
            "reset_peer: reset it this long after (`\"0s\"`, the default: on the first data) (or "
            "a `ramp`)",
     .applies = kTimeoutFaults, .required = Kinds(FaultSpec::Kind::kTimeout)},
    {.name = "size", .type = Type::kSize, .doc = "the average slice, in bytes", .type_note = ">= 1",
     .applies = kSlicerFault, .required = kSlicerFault},
    {.name = "size_variation", .type = Type::kSize,
     .doc = "uniform random +/- variation of a slice's size", .def = Default<&FaultSpec::size_variation>,
     .type_note = "< `size`", .applies = kSlicerFault},
    {.name = "bytes", .type = Type::kSize,
     .doc = "how many bytes are forwarded in each direction before the connection is closed (or "
            "a `ramp`)",
     .applies = Kinds(FaultSpec::Kind::kLimitData), .required = Kinds(FaultSpec::Kind::kLimitData)},
    {.name = "ramp", .type = Type::kTable,
     .doc = "the kind's main value (latency, rate, delay, timeout or bytes) steps from `from` to "
            "`to` across the phase, instead of the fixed key (see [ramp](#ramp))",
     .def_note = "none", .applies = kDataFaults, .sub = &kRampSchema},
    {.name = "flap", .type = Type::kTable,
     .doc = "the fault is active for `on`, lifted for `off`, repeated from the phase's start (see "
            "[flap](#flap))",
     .def_note = "none", .sub = &kFlapSchema},
    {.name = "status", .type = Type::kInteger,
     .doc = "the status the proxy answers with (Envoy's `abort.http_status`)",
     .type_note = "200..599", .applies = kAbortFault, .required = kAbortFault},
    {.name = "body", .type = Type::kString, .doc = "the body it answers with",
     .def = Default<&FaultSpec::body>, .applies = kAbortFault},
    {.name = "on", .type = Type::kEnum, .doc = "what delay holds", .def = Default<&FaultSpec::on>,
     .choices = &kDelayOn, .applies = Kinds(FaultSpec::Kind::kDelay)},
    {.name = "match", .type = Type::kTable,
     .doc = "the requests an HTTP fault applies to (see [match](#match))",
     .def_note = "every request", .applies = kHttpFaults, .sub = &kMatchSchema},
};
inline constexpr TableSchema kFaultSchema{"fault", kFaultKeys, &kFaultKinds};
/// A stand-alone proxy's faults: the same rows without `dependency`.
/// `ramp` and `flap` are read there to say why not.
inline constexpr std::string_view kFixedFaultOnly[] = {"ramp", "flap"};
inline constexpr TableSchema kProxyFaultSchema{"fault", std::span<const Key>(kFaultKeys).subspan(1),
                                               &kFaultKinds, kFixedFaultOnly};

inline constexpr Key kPhaseKeys[] = {
    {.name = "name", .type = Type::kNonEmptyString,
     .doc = "unique; used by checks and `baseline_phase`", .required = kAllKinds},
    {.name = "duration", .type = Type::kPositiveDuration, .doc = "how long the phase lasts",
     .required = kAllKinds},
    {.name = "rate", .type = Type::kNonNegativeNumber,
     .doc = "the request rate during this phase; `0` means no load: a **drain** phase, "
            "typically used to watch recovery",
     .def_note = "`load.rate`", .max = kMaxRate},
    {.name = "faults", .type = Type::kTables,
     .doc = "faults active during this phase, written `faults = [{ ... }]` or as "
            "`[[phases.faults]]` under the phase",
     .def_note = "none", .sub = &kFaultSchema},
};
inline constexpr TableSchema kPhaseSchema{"phase", kPhaseKeys};

inline constexpr Key kSamplingKeys[] = {
    {.name = "interval", .type = Type::kDuration, .doc = "how often every metric is sampled",
     .def = Default<&SamplingSpec::interval>, .type_note = ">= 10ms"},
};
inline constexpr TableSchema kSamplingSchema{"sampling", kSamplingKeys};


inline constexpr Key kScenarioKeys[] = {
    {.name = "name", .type = Type::kNonEmptyString, .doc = "the scenario's name in reports",
     .def_note = "the file name without extension"},
    {.name = "description", .type = Type::kString, .doc = "free text shown in reports",
     .def = Default<&Scenario::description>},
    {.name = "seed", .type = Type::kInteger,
     .doc = "seeds the proxies' random choices (jitter, `fraction`, slicer sizes), so the "
            "same seed makes the same fault choices; it does not make the service's timing "
            "repeat (latencies and counts still vary run to run); each proxy's seed is this one "
            "mixed with the FNV-1a 64 hash of its dependency's name, so dependencies draw "
            "independently",
     .def = Default<&Scenario::seed>, .min = 0},
    {.name = "baseline_phase", .type = Type::kString,
     .doc = "the phase whose samples define each metric's **baseline** (see checks)",
     .def_note = "the first phase", .type_note = "(a phase name)"},
    {.name = "target", .type = Type::kTable, .doc = "the service under test",
     .required = kAllKinds, .sub = &kTargetSchema},
    {.name = "dependencies", .type = Type::kTables, .doc = "processes the target calls",
     .def_note = "none", .sub = &kDependencySchema},
    {.name = "variants", .type = Type::kTables, .doc = "versions of the experiment",
     .def_note = "one variant named `\"default\"`", .sub = &kVariantSchema},
    {.name = "load", .type = Type::kTable,
     .doc = "open-loop HTTP load; without the table, its defaults (100 GET / a second); a "
            "phase with `rate = 0` sends none",
     .def_note = "its keys' defaults", .sub = &kLoadSchema},
    {.name = "phases", .type = Type::kTables, .doc = "the timeline: at least one phase",
     .required = kAllKinds, .sub = &kPhaseSchema},
    {.name = "sampling", .type = Type::kTable, .doc = "what is sampled how often",
     .sub = &kSamplingSchema},
    {.name = "checks", .type = Type::kTables, .doc = "verdicts", .def_note = "none",
     .sub = &kCheckSchema},
    {.name = "census", .type = Type::kTables,
     .doc = "censuses of the target during the phases, besides the one at the end",
     .def_note = "none", .sub = &kCensusMomentSchema},
};
inline constexpr TableSchema kScenarioSchema{"scenario", kScenarioKeys};

}  // namespace faultline::schema
