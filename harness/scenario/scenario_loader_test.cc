#include "harness/scenario/scenario_loader.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "harness/scenario/metrics.h"

using namespace faultline;
using namespace std::chrono_literals;

// Prints a failed comparison of diagnostic lists one per line.
namespace doctest {
template <>
struct StringMaker<std::vector<std::string>> {
  static String convert(const std::vector<std::string>& lines) {
    std::string out = "{";
    for (const std::string& l : lines) out += "\n  " + l;
    return String((out + "\n}").c_str());
  }
};
}  // namespace doctest

namespace {

std::vector<std::string> Errors(std::string_view text,
                                const std::vector<std::string>& overrides = {}) {
  LoadOutcome out = LoadScenarioText(text, "s.toml", overrides);
  std::vector<std::string> lines;
  for (const Diagnostic& d : out.errors) lines.push_back(d.ToString());
  CHECK(out.scenario.has_value() == out.errors.empty());
  return lines;
}

Scenario Load(std::string_view text, const std::vector<std::string>& overrides = {}) {
  LoadOutcome out = LoadScenarioText(text, "dir/demo.toml", overrides);
  for (const Diagnostic& d : out.errors) MESSAGE(d.ToString());
  REQUIRE(out.scenario.has_value());
  return *out.scenario;
}

struct BadCase {
  const char* what;
  const char* toml;
  std::vector<std::string> errors;
  std::vector<std::string> overrides = {};
};

// Each case is small and mostly valid, so that exactly the listed errors are
// expected. Line 1 is the line after R"(.
const BadCase kBadCases[] = {
    {"toml syntax error",
     R"(seed = = 1
sed = 2
)",
     {"s.toml:1:8: error while parsing value: could not determine value type"}},

    {"unknown top-level key",
     R"(target = { argv = ["t"] }
phases = [{ name = "a", duration = "1s" }]
sed = 3
)",
     {"s.toml:3:1: sed: unknown key \"sed\" (did you mean \"seed\"?)"}},

    {"unknown key with no close match lists the valid keys",
     R"(target = { argv = ["t"] }
phases = [{ name = "a", duration = "1s" }]
[sampling]
every = "1s"
)",
     {"s.toml:4:1: sampling.every: unknown key \"every\" (expected one of: interval)"}},

    {"unknown target key",
     R"([target]
argv = ["t"]
agrv = ["x"]
[[phases]]
name = "a"
duration = "1s"
)",
     {"s.toml:3:1: target.agrv: unknown key \"agrv\" (did you mean \"argv\"?)"}},

    {"unknown ready key",
     R"(target = { argv = ["t"], ready = { kind = "http", pth = "/health" } }
phases = [{ name = "a", duration = "1s" }]
)",
     {"s.toml:1:51: target.ready.pth: unknown key \"pth\" (did you mean \"path\"?)"}},

    {"unknown dependency key",
     R"(target = { argv = ["t"] }
phases = [{ name = "a", duration = "1s" }]
[[dependencies]]
name = "inventory"
argv = ["stub"]
proxi = true
)",
     {"s.toml:6:1: dependencies[0].proxi: unknown key \"proxi\" (did you mean \"proxy\"?)"}},

    {"unknown variant key",
     R"(target = { argv = ["t"] }
phases = [{ name = "a", duration = "1s" }]
variants = [{ name = "a", expct = "fail" }]
)",
     {"s.toml:3:27: variants[0].expct: unknown key \"expct\" (did you mean \"expect\"?)"}},

    {"unknown load key",
     R"(target = { argv = ["t"] }
phases = [{ name = "a", duration = "1s" }]
[load]
rat = 5
)",
     {"s.toml:4:1: load.rat: unknown key \"rat\" (did you mean \"rate\"?)"}},

    {"unknown phase key, and the required key it misspells",
     R"(target = { argv = ["t"] }
phases = [{ name = "a", duraton = "1s" }]
)",
     {"s.toml:2:11: phases[0].duration: missing required key",
      "s.toml:2:25: phases[0].duraton: unknown key \"duraton\" (did you mean \"duration\"?)"}},

    {"unknown fault key",
     R"(target = { argv = ["t", "${proxy.inv}"] }
dependencies = [{ name = "inv", argv = ["d"], proxy = true }]
[[phases]]
name = "a"
duration = "1s"
[[phases.faults]]
kind = "hang"
dependency = "inv"
dependncy = "inv"
)",
     {"s.toml:9:1: phases[0].faults[0].dependncy: unknown key \"dependncy\" (did you mean "
      "\"dependency\"?)"}},

    {"unknown sampling key",
     R"(target = { argv = ["t"] }
phases = [{ name = "a", duration = "1s" }]
sampling = { interva = "1s" }
)",
     {"s.toml:3:14: sampling.interva: unknown key \"interva\" (did you mean \"interval\"?)"}},

    {"unknown check key",
     R"(target = { argv = ["t"] }
phases = [{ name = "a", duration = "1s" }]
[[checks]]
kind = "max"
metric = "threads"
limit = 10
phase = ["a"]
)",
     {"s.toml:7:1: checks[0].phase: unknown key \"phase\" (did you mean \"phases\"?)"}},

    {"wrong types",
     R"(seed = "one"
target = { argv = "t", env = { A = 1 } }
phases = [{ name = "a", duration = "1s" }]
load = { rate = "fast", max_in_flight = 2.5 }
dependencies = [{ name = "d", argv = ["d"], proxy = "yes" }]
)",
     {"s.toml:1:8: seed: expected an integer, got string \"one\"",
      "s.toml:2:19: target.argv: expected an array of strings, got string \"t\"",
      "s.toml:2:36: target.env.A: expected a string, got integer 1",
      "s.toml:4:17: load.rate: expected a number, got string \"fast\"",
      "s.toml:4:41: load.max_in_flight: expected an integer, got float 2.5",
      "s.toml:5:53: dependencies[0].proxy: expected true or false, got string \"yes\""}},

    {"wrong type inside an array and for a table",
     R"(target = { argv = ["t", 2] }
phases = [{ name = "a", duration = "1s" }]
load = 5
)",
     {"s.toml:1:25: target.argv[1]: expected a string, got integer 2",
      "s.toml:3:8: load: expected a table, got integer 5"}},

    {"bad durations",
     R"(target = { argv = ["t"], stop_grace = "-1s" }
[[phases]]
name = "a"
duration = 10
[[phases]]
name = "b"
duration = "10"
[[phases]]
name = "c"
duration = "10 seconds"
[[phases]]
name = "d"
duration = "0s"
)",
     {"s.toml:1:39: target.stop_grace: a duration must not be negative, got \"-1s\"",
      "s.toml:4:12: phases[0].duration: expected a duration string like \"2s\", got integer 10",
      "s.toml:7:12: phases[1].duration: invalid duration \"10\": missing unit in \"10\" (use ns, "
      "us, ms, s, m or h)",
      "s.toml:10:12: phases[2].duration: invalid duration \"10 seconds\": unknown duration unit \" "
      "seconds\" (use ns, us, ms, s, m or h)",
      "s.toml:13:12: phases[3].duration: must be longer than 0s, got \"0s\""}},

    {"unknown phase in check phases, after and baseline_phase",
     R"(baseline_phase = "warmup"
target = { argv = ["t"] }
phases = [{ name = "warm", duration = "1s" }, { name = "hang", duration = "1s" }]
[[checks]]
kind = "growth"
metric = "threads"
phases = ["hang", "hnag"]
limit = 10
[[checks]]
kind = "recovers"
metric = "threads"
after = "hung"
)",
     {"s.toml:1:18: baseline_phase: unknown phase \"warmup\" (did you mean \"warm\"?)",
      "s.toml:7:19: checks[0].phases[1]: unknown phase \"hnag\" (did you mean \"hang\"?)",
      "s.toml:12:9: checks[1].after: unknown phase \"hung\" (did you mean \"hang\"?)"}},

    {"unknown fault kind",
     R"(target = { argv = ["t", "${proxy.inv}"] }
dependencies = [{ name = "inv", argv = ["d"], proxy = true }]
[[phases]]
name = "hang"
duration = "1s"
faults = [{ kind = "hnag", dependency = "inv" }]
[[phases]]
name = "b"
duration = "1s"
faults = [{ kind = "explode", dependency = "inv" }]
)",
     {"s.toml:6:20: phases[0].faults[0].kind: unknown fault kind \"hnag\" (did you mean \"hang\"?)",
      "s.toml:10:20: phases[1].faults[0].kind: unknown fault kind \"explode\" (expected "
      "\"latency\", \"hang\", \"reset\" or \"refuse\")"}},

    {"fault naming an unknown dependency, or one without a proxy, or none",
     R"(target = { argv = ["t", "${proxy.inventory}"] }
dependencies = [{ name = "inventory", argv = ["d"], proxy = true },
                { name = "db", argv = ["d"] }]
[[phases]]
name = "a"
duration = "1s"
faults = [{ kind = "hang", dependency = "inventroy" },
          { kind = "reset", dependency = "db" },
          { kind = "refuse" }]
)",
     {"s.toml:7:41: phases[0].faults[0].dependency: unknown dependency \"inventroy\" (did you "
      "mean \"inventory\"?)",
      "s.toml:8:42: phases[0].faults[1].dependency: dependency \"db\" has no fault proxy (set "
      "proxy = true in its [[dependencies]] entry)",
      "s.toml:9:11: phases[0].faults[2].dependency: missing required key"}},

    {"duplicate phase, variant and process names",
     R"(target = { name = "svc", argv = ["t"] }
dependencies = [{ name = "db", argv = ["d"] }, { name = "svc", argv = ["d"] },
                { name = "db", argv = ["d"] }]
variants = [{ name = "a" }, { name = "a" }]
phases = [{ name = "p", duration = "1s" }, { name = "p", duration = "1s" }]
)",
     {"s.toml:2:57: dependencies[1].name: process name \"svc\" is already used by the target",
      "s.toml:3:26: dependencies[2].name: process name \"db\" is already used by dependencies[0]",
      "s.toml:4:38: variants[1].name: variant name \"a\" is already used by variants[0]",
      "s.toml:5:53: phases[1].name: phase name \"p\" is already used by phases[0]"}},

    {"bad expect and bad process name",
     R"(target = { argv = ["t"] }
dependencies = [{ name = "my db", argv = ["d"] }]
phases = [{ name = "a", duration = "1s" }]
variants = [{ name = "a", expect = "failure" }, { name = "b", expect = "fial" }]
)",
     {"s.toml:2:26: dependencies[0].name: invalid name \"my db\": use letters, digits, \"_\" and "
      "\"-\"",
      "s.toml:4:36: variants[0].expect: unknown expectation \"failure\" (expected \"pass\" or "
      "\"fail\")",
      "s.toml:4:72: variants[1].expect: unknown expectation \"fial\" (did you mean \"fail\"?)"}},

    {"missing target",
     R"([[phases]]
name = "a"
duration = "1s"
)",
     {"s.toml:1:1: target: missing required table [target]"}},

    {"missing argv",
     R"(phases = [{ name = "a", duration = "1s" }]
[target]
name = "svc"
)",
     {"s.toml:2:1: target.argv: missing required key"}},

    {"empty argv",
     R"(phases = [{ name = "a", duration = "1s" }]
[target]
argv = []
)",
     {"s.toml:3:8: target.argv: expected a non-empty array of strings (the program and its "
      "arguments), got an empty array"}},

    {"no phases",
     R"(target = { argv = ["t"] }
)",
     {"s.toml:1:1: phases: at least one [[phases]] entry is required"}},

    {"negative rates",
     R"(target = { argv = ["t"] }
load = { rate = -5 }
phases = [{ name = "a", duration = "1s", rate = -0.5 }]
)",
     {"s.toml:2:17: load.rate: must be >= 0, got -5",
      "s.toml:3:49: phases[0].rate: must be >= 0, got -0.5"}},

    {"unknown check kind and unknown metric",
     R"(target = { argv = ["t"] }
phases = [{ name = "a", duration = "1s" }]
[[checks]]
kind = "maximum"
metric = "threads"
limit = 1
[[checks]]
kind = "max"
metric = "thread"
limit = 1
[[checks]]
kind = "max"
metric = "goroutines"
limit = 1
)",
     {"s.toml:4:8: checks[0].kind: unknown check kind \"maximum\" (expected \"max\", \"growth\", "
      "\"rate\", \"recovers\", \"latency\" or \"error_ratio\")",
      "s.toml:9:10: checks[1].metric: unknown metric \"thread\" (did you mean \"threads\"?)",
      "s.toml:13:10: checks[2].metric: unknown metric \"goroutines\" (known metrics: threads, "
      "processes, rss_bytes, fds, cpu_percent, established, close_wait, in_flight, "
      "connections)"}},

    {"recovers without after, and keys of other kinds",
     R"(target = { argv = ["t"] }
phases = [{ name = "a", duration = "1s" }]
[[checks]]
kind = "recovers"
metric = "threads"
limit = 0
percentile = 99
phases = ["a"]
[[checks]]
kind = "latency"
metric = "threads"
limit = "200ms"
within = "1s"
)",
     {"s.toml:3:1: checks[0].after: missing required key for kind \"recovers\"",
      "s.toml:6:1: checks[0].limit: \"limit\" only applies to kinds \"max\", \"growth\", \"rate\", "
      "\"latency\" and \"error_ratio\", not \"recovers\"",
      "s.toml:7:1: checks[0].percentile: \"percentile\" only applies to kind \"latency\", not "
      "\"recovers\"",
      "s.toml:8:1: checks[0].phases: \"phases\" only applies to kinds \"max\", \"growth\", "
      "\"rate\", \"latency\" and \"error_ratio\", not \"recovers\"",
      "s.toml:11:1: checks[1].metric: \"metric\" only applies to kinds \"max\", \"growth\", "
      "\"rate\" and \"recovers\", not \"latency\"",
      "s.toml:13:1: checks[1].within: \"within\" only applies to kind \"recovers\", not "
      "\"latency\""}},

    {"limits: units by kind",
     R"(target = { argv = ["t"] }
phases = [{ name = "a", duration = "1s" }]
checks = [{ kind = "latency", limit = "20MiB" },
          { kind = "max", metric = "rss_bytes", limit = "lots" },
          { kind = "max", metric = "threads" },
          { kind = "recovers", metric = "fds", after = "a", tolerance = -1 }]
)",
     {"s.toml:3:39: checks[0].limit: expected a duration string like \"250ms\" or a number of "
      "seconds, got string \"20MiB\"",
      "s.toml:4:57: checks[1].limit: expected a number, a duration like \"2s\" or a size like "
      "\"20MiB\", got string \"lots\"",
      "s.toml:5:11: checks[2].limit: missing required key for kind \"max\"",
      "s.toml:6:73: checks[3].tolerance: must be >= 0, got -1"}},

    {"latency fault: latency missing, jitter larger, latency on a hang fault",
     R"(target = { argv = ["t", "${proxy.inv}"] }
dependencies = [{ name = "inv", argv = ["d"], proxy = true }]
[[phases]]
name = "a"
duration = "1s"
faults = [{ kind = "latency", dependency = "inv" },
          { kind = "latency", dependency = "inv", latency = "200ms", jitter = "300ms" },
          { kind = "hang", dependency = "inv", latency = "1s", direction = "both" }]
)",
     {"s.toml:6:11: phases[0].faults[0].latency: missing required key for kind \"latency\"",
      "s.toml:7:79: phases[0].faults[1].jitter: jitter 300ms is larger than latency 200ms",
      "s.toml:8:48: phases[0].faults[2].latency: \"latency\" only applies to kind \"latency\", "
      "not \"hang\"",
      "s.toml:8:64: phases[0].faults[2].direction: \"direction\" only applies to kind "
      "\"latency\", not \"hang\""}},

    {"ready keys that do not apply to the kind",
     R"(target = { argv = ["t"], ready = { path = "/health" } }
dependencies = [{ name = "d", argv = ["d"], ready = { kind = "log", port = 80 } },
                { name = "e", argv = ["d"], ready = { kind = "http", status = 42, path = "x" } }]
phases = [{ name = "a", duration = "1s" }]
)",
     {"s.toml:1:36: target.ready.path: \"path\" only applies to kind \"http\", not \"tcp\"",
      "s.toml:2:53: dependencies[0].ready.log_line: missing required key for kind \"log\"",
      "s.toml:2:69: dependencies[0].ready.port: \"port\" only applies to kinds \"tcp\" and "
      "\"http\", not \"log\"",
      "s.toml:3:79: dependencies[1].ready.status: expected an HTTP status 100..599, got 42",
      "s.toml:3:90: dependencies[1].ready.path: must start with \"/\", got \"x\""}},

    {"unknown variables",
     R"(target = { argv = ["t", "--port=${port.targt}", "${variant.name}", "${oops"] }
phases = [{ name = "a", duration = "1s" }]
load = { path = "/${variant.mode}" }
)",
     {"s.toml:1:25: target.argv[1]: unknown variable \"port.targt\" (did you mean "
      "\"port.target\"?)",
      "s.toml:1:68: target.argv[3]: unclosed \"${\" in \"${oops\"",
      "s.toml:3:17: load.path: unknown variable \"variant.mode\": no variant sets \"mode\" in "
      "vars"}},

    {"variant var missing in some variants",
     R"(target = { argv = ["t", "--mode=${variant.mode}"] }
phases = [{ name = "a", duration = "1s" }]
variants = [{ name = "naive", vars = { mode = "naive" } },
            { name = "deadline" },
            { name = "other", vars = { other = 1 } }]
)",
     {"s.toml:1:25: target.argv[1]: variable \"variant.mode\" is not defined by variants "
      "\"deadline\" and \"other\" (every variant must set \"mode\" in vars)"}},

    {"paths and methods",
     R"(target = { argv = ["t"], base_url = "https://x" }
phases = [{ name = "a", duration = "1s" }]
load = { path = "orders", method = "GET /" }
)",
     {"s.toml:1:37: target.base_url: must start with \"http://\", got \"https://x\"",
      "s.toml:3:17: load.path: must start with \"/\", got \"orders\"",
      "s.toml:3:36: load.method: expected an HTTP method like \"GET\" or \"POST\", got \"GET /\""}},

    {"percentile out of range",
     R"(target = { argv = ["t"] }
phases = [{ name = "a", duration = "1s" }]
checks = [{ kind = "latency", limit = 0.5, percentile = 100.5 },
          { kind = "latency", limit = 0.5, percentile = 0 }]
)",
     {"s.toml:3:57: checks[0].percentile: must be > 0 and <= 100, got 100.5",
      "s.toml:4:57: checks[1].percentile: must be > 0 and <= 100, got 0"}},

    {"max_in_flight 0 and a short sampling interval",
     R"(target = { argv = ["t"] }
phases = [{ name = "a", duration = "1s" }]
load = { max_in_flight = 0 }
sampling = { interval = "1ms" }
)",
     {"s.toml:3:26: load.max_in_flight: must be >= 1, got 0",
      "s.toml:4:25: sampling.interval: must be at least 10ms, got \"1ms\""}},

    {"scrape: a built-in name and a bad selector",
     R"(target = { argv = ["t"], scrape = { metrics = { threads = "go_threads", g = "go{x=" } } }
phases = [{ name = "a", duration = "1s" }]
)",
     {"s.toml:1:59: target.scrape.metrics.threads: \"threads\" is a built-in metric; choose "
      "another name",
      "s.toml:1:77: target.scrape.metrics.g: metric selector \"go{x=\": expected '\"' to open "
      "the value of label \"x\""}},

    {"scrape: no metrics, and a timeout as long as the sampling interval",
     R"(target = { argv = ["t"], scrape = { timeout = "100ms" } }
phases = [{ name = "a", duration = "1s" }]
)",
     {"s.toml:1:35: target.scrape.metrics: missing required key",
      "s.toml:1:47: target.scrape.timeout: must be shorter than sampling.interval (100ms), got "
      "100ms: a scrape must end before the next sample is due"}},

    {"unused proxy",
     R"(target = { argv = ["t", "--inventory=${port.inventory}"] }
phases = [{ name = "a", duration = "1s" }]
[[dependencies]]
name = "inventory"
argv = ["d", "${proxy.inventory}"]
proxy = true
)",
     {"s.toml:6:1: dependencies[0].proxy: the fault proxy in front of \"inventory\" is never "
      "used: reference ${proxy.inventory} in the target's argv, env or base_url"}},

    {"unknown variant in check variants",
     R"(target = { argv = ["t"] }
phases = [{ name = "a", duration = "1s" }]
variants = [{ name = "naive" }, { name = "deadline" }]
checks = [{ kind = "error_ratio", limit = 0.1, variants = ["deadline", "naïve", "x"] }]
)",
     {"s.toml:4:72: checks[0].variants[1]: unknown variant \"naïve\" (did you mean \"naive\"?)",
      "s.toml:4:81: checks[0].variants[2]: unknown variant \"x\""}},

    {"several errors, all reported in file order",
     R"(sed = 1
[target]
argv = []
[[phases]]
name = "a"
duration = "10"
faults = [{ kind = "hnag", dependency = "nope" }]
[load]
rate = -1
[[checks]]
kind = "max"
metric = "thraeds"
limit = "1GiB"
)",
     {"s.toml:1:1: sed: unknown key \"sed\" (did you mean \"seed\"?)",
      "s.toml:3:8: target.argv: expected a non-empty array of strings (the program and its "
      "arguments), got an empty array",
      "s.toml:6:12: phases[0].duration: invalid duration \"10\": missing unit in \"10\" (use ns, "
      "us, ms, s, m or h)",
      "s.toml:7:20: phases[0].faults[0].kind: unknown fault kind \"hnag\" (did you mean \"hang\"?)",
      "s.toml:7:41: phases[0].faults[0].dependency: unknown dependency \"nope\"",
      "s.toml:9:8: load.rate: must be >= 0, got -1",
      "s.toml:12:10: checks[0].metric: unknown metric \"thraeds\" (did you mean \"threads\"?)"}},

    {"--set on unknown paths",
     R"(target = { argv = ["t"] }
phases = [{ name = "warm", duration = "1s" }, { name = "hang", duration = "1s" }]
)",
     {"--set: phases.hnag.duration: no phase named \"hnag\" (did you mean \"hang\"?)",
      "--set: load.rat: unknown key \"rat\" in load (did you mean \"rate\"?)",
      "--set: phases[2].duration: no phases[2]: there are 2 phases in the file",
      "--set: target.argv.x: \"target.argv\" is a value, not a table",
      "--set: seed: expected key.path=value"},
     {"phases.hnag.duration=20s", "load.rat=5", "phases[2].duration=1s", "target.argv.x=1",
      "seed"}},

    {"--set with a value of the wrong type",
     R"(target = { argv = ["t"] }
phases = [{ name = "a", duration = "1s" }]
)",
     {"s.toml: load.rate: expected a number, got string \"fast\"",
      "s.toml: phases[0].duration: expected a duration string like \"2s\", got integer 20"},
     {"load.rate=fast", "phases.a.duration=20"}},
};

TEST_CASE("malformed scenarios report every error - word for word") {
  for (const BadCase& c : kBadCases) {
    const std::string what = c.what;
    CAPTURE(what);
    CHECK(Errors(c.toml, c.overrides) == c.errors);
  }
}

const char* kComplete = R"(# A complete scenario.
name = "orders-hang"
description = "inventory hangs"
seed = 7
baseline_phase = "warm"

[target]
name = "orders"
argv = ["orders-service", "--port=${port.orders}", "--inventory=http://127.0.0.1:${proxy.inventory}",
        "--mode=${variant.mode}"]
env = { GOMAXPROCS = "2" }
stop_grace = "1s"
base_url = "http://127.0.0.1:${port.orders}/api"
ready = { kind = "http", path = "/healthz", status = 204, timeout = "5s" }

[[dependencies]]
name = "inventory"
argv = ["stub-dependency", "--port=${port.inventory}"]
proxy = true
ready = { kind = "log", log_line = "listening", timeout = "2s" }

[[dependencies]]
name = "db"
argv = ["stub-dependency", "--port", "${port.db}"]
ready = { port = 5432 }

[[variants]]
name = "naive"
expect = "fail"
vars = { mode = "naive", budget = 0 }

[[variants]]
name = "deadline"
vars = { mode = "deadline", budget = 2.5 }

[load]
rate = 50.5
method = "POST"
path = "/orders/${variant.name}"
headers = { Content-Type = "application/json" }
body = '{"item": 1}'
timeout = "2s"
max_in_flight = 500

[[phases]]
name = "warm"
duration = "3s"

[[phases]]
name = "hang"
duration = "10s"
[[phases.faults]]
kind = "hang"
dependency = "inventory"
[[phases.faults]]
kind = "latency"
dependency = "inventory"
latency = "200ms"
jitter = "50ms"
direction = "both"

[[phases]]
name = "drain"
duration = "5s"
rate = 0

[sampling]
interval = "50ms"

[[checks]]
kind = "growth"
metric = "threads"
phases = ["hang"]
limit = 50

[[checks]]
name = "memory bounded"
kind = "max"
metric = "rss_bytes"
limit = "20MiB"
variants = ["deadline"]

[[checks]]
kind = "recovers"
metric = "upstream.inventory"
after = "hang"
within = "3s"
tolerance = "1KiB"

[[checks]]
kind = "latency"
phases = ["warm", "hang"]
percentile = 99.9
limit = "250ms"

[[checks]]
kind = "error_ratio"
limit = 0.01

[[checks]]
kind = "rate"
metric = "fds"
limit = "2s"

[[checks]]
kind = "growth"
metric = "threads"
phases = ["hang"]
limit = 60
)";

TEST_CASE("a complete scenario loads into the expected values") {
  Scenario s = Load(kComplete);
  CHECK(s.path == "dir/demo.toml");
  CHECK(s.source == kComplete);
  CHECK(s.name == "orders-hang");
  CHECK(s.description == "inventory hangs");
  CHECK(s.seed == 7);
  CHECK(s.baseline_phase == "warm");

  CHECK(s.target.name == "orders");
  CHECK(s.target.argv == std::vector<std::string>{"orders-service", "--port=${port.orders}",
                                                  "--inventory=http://127.0.0.1:${proxy.inventory}",
                                                  "--mode=${variant.mode}"});
  CHECK(s.target.env == std::map<std::string, std::string>{{"GOMAXPROCS", "2"}});
  CHECK(s.target.stop_grace == 1s);
  CHECK(s.target.base_url == "http://127.0.0.1:${port.orders}/api");
  CHECK(s.target.ready.kind == Readiness::Kind::kHttp);
  CHECK(s.target.ready.port == "${port.orders}");
  CHECK(s.target.ready.path == "/healthz");
  CHECK(s.target.ready.status == 204);
  CHECK(s.target.ready.timeout == 5s);
  CHECK_FALSE(s.target.proxy);

  REQUIRE(s.dependencies.size() == 2);
  CHECK(s.dependencies[0].name == "inventory");
  CHECK(s.dependencies[0].proxy);
  CHECK(s.dependencies[0].ready.kind == Readiness::Kind::kLogLine);
  CHECK(s.dependencies[0].ready.log_line == "listening");
  CHECK(s.dependencies[0].ready.timeout == 2s);
  CHECK(s.dependencies[0].stop_grace == 3s);
  CHECK(s.dependencies[1].name == "db");
  CHECK_FALSE(s.dependencies[1].proxy);
  CHECK(s.dependencies[1].ready.kind == Readiness::Kind::kTcp);
  CHECK(s.dependencies[1].ready.port == "5432");

  REQUIRE(s.variants.size() == 2);
  CHECK(s.variants[0].name == "naive");
  CHECK(s.variants[0].expect == Variant::Expect::kFail);
  CHECK(s.variants[0].vars ==
        std::map<std::string, std::string>{{"mode", "naive"}, {"budget", "0"}});
  CHECK(s.variants[1].expect == Variant::Expect::kPass);
  CHECK(s.variants[1].vars.at("budget") == "2.5");

  CHECK(s.load.rate == 50.5);
  CHECK(s.load.method == "POST");
  CHECK(s.load.path == "/orders/${variant.name}");
  CHECK(s.load.headers == std::map<std::string, std::string>{{"Content-Type", "application/json"}});
  CHECK(s.load.body == "{\"item\": 1}");
  CHECK(s.load.timeout == 2s);
  CHECK(s.load.max_in_flight == 500);

  REQUIRE(s.phases.size() == 3);
  CHECK(s.phases[0].name == "warm");
  CHECK(s.phases[0].duration == 3s);
  CHECK_FALSE(s.phases[0].rate.has_value());
  CHECK(s.phases[0].faults.empty());
  REQUIRE(s.phases[1].faults.size() == 2);
  CHECK(s.phases[1].faults[0].kind == FaultSpec::Kind::kHang);
  CHECK(s.phases[1].faults[0].dependency == "inventory");
  CHECK(s.phases[1].faults[1].kind == FaultSpec::Kind::kLatency);
  CHECK(s.phases[1].faults[1].latency == 200ms);
  CHECK(s.phases[1].faults[1].jitter == 50ms);
  CHECK(s.phases[1].faults[1].direction == FaultSpec::Direction::kBoth);
  REQUIRE(s.phases[2].rate.has_value());
  CHECK(*s.phases[2].rate == 0);

  CHECK(s.sampling.interval == 50ms);

  REQUIRE(s.checks.size() == 7);
  CHECK(s.checks[0].name == "growth threads over hang");
  CHECK(s.checks[0].kind == CheckSpec::Kind::kGrowth);
  CHECK(s.checks[0].phases == std::vector<std::string>{"hang"});
  CHECK(s.checks[0].limit == 50);
  CHECK(s.checks[1].name == "memory bounded");
  CHECK(s.checks[1].limit == 20.0 * 1024 * 1024);
  CHECK(s.checks[1].variants == std::vector<std::string>{"deadline"});
  CHECK(s.checks[2].name == "upstream.inventory recovers within 3s after hang");
  CHECK(s.checks[2].after == "hang");
  CHECK(s.checks[2].within == 3s);
  CHECK(s.checks[2].tolerance == 1024);
  CHECK(s.checks[3].name == "p99.9 latency over warm, hang");
  CHECK(s.checks[3].percentile == 99.9);
  CHECK(s.checks[3].limit == doctest::Approx(0.25));
  CHECK(s.checks[4].name == "error_ratio over the whole run");
  CHECK(s.checks[4].limit == 0.01);
  CHECK(s.checks[5].name == "rate fds over the whole run");
  CHECK(s.checks[5].limit == 2);
  CHECK(s.checks[6].name == "growth threads over hang (2)");
}

TEST_CASE("defaults fill in everything optional") {
  Scenario s = Load(R"(
[target]
argv = ["svc"]
[[phases]]
name = "only"
duration = "1s"
)");
  CHECK(s.name == "demo");
  CHECK(s.description.empty());
  CHECK(s.seed == 1);
  CHECK(s.baseline_phase == "only");
  CHECK(s.target.name == "target");
  CHECK(s.target.base_url == "http://127.0.0.1:${port.target}");
  CHECK(s.target.ready.kind == Readiness::Kind::kTcp);
  CHECK(s.target.ready.port == "${port.target}");
  CHECK(s.target.ready.timeout == 10s);
  CHECK(s.target.stop_grace == 3s);
  CHECK(s.dependencies.empty());
  REQUIRE(s.variants.size() == 1);
  CHECK(s.variants[0].name == "default");
  CHECK(s.variants[0].expect == Variant::Expect::kPass);
  CHECK(s.load.rate == 100);
  CHECK(s.load.method == "GET");
  CHECK(s.load.path == "/");
  CHECK(s.load.timeout == 5s);
  CHECK(s.load.max_in_flight == 10000);
  CHECK(s.sampling.interval == 100ms);
  CHECK(s.checks.empty());
}

TEST_CASE("a named target's default ports and base_url use its name") {
  Scenario s = Load(R"(
target = { name = "orders", argv = ["svc"] }
dependencies = [{ name = "db", argv = ["d"] }]
phases = [{ name = "a", duration = "1s" }]
)");
  CHECK(s.target.base_url == "http://127.0.0.1:${port.orders}");
  CHECK(s.target.ready.port == "${port.orders}");
  CHECK(s.dependencies[0].ready.port == "${port.db}");
}

const char* kForOverrides = R"(
[target]
argv = ["svc", "${proxy.inventory}", "${variant.mode}"]
[[dependencies]]
name = "inventory"
argv = ["d"]
proxy = true
[[variants]]
name = "naive"
vars = { mode = "a" }
[[phases]]
name = "warm"
duration = "1s"
[[phases]]
name = "hang"
duration = "5s"
faults = [{ kind = "hang", dependency = "inventory" }]
)";

TEST_CASE("--set addresses arrays of tables by name and by index") {
  Scenario s =
      Load(kForOverrides,
           {"phases.hang.duration=20s", "phases[0].rate=0", "variants.naive.vars.mode=naive",
            "load.rate=5", "phases.hang.faults[0].kind=reset", "seed=9", "target.env.DEBUG=1",
            "target.env.Q=\"x y\"", "description=\"a b\"",
            "checks=[{kind=\"max\", metric=\"threads\", limit=3}]"});
  CHECK(s.phases[1].duration == 20s);
  REQUIRE(s.phases[0].rate.has_value());
  CHECK(*s.phases[0].rate == 0);
  CHECK(s.variants[0].vars.at("mode") == "naive");
  CHECK(s.load.rate == 5);
  CHECK(s.phases[1].faults[0].kind == FaultSpec::Kind::kReset);
  CHECK(s.seed == 9);
  CHECK(s.target.env.at("DEBUG") == "1");
  CHECK(s.target.env.at("Q") == "x y");
  CHECK(s.description == "a b");
  REQUIRE(s.checks.size() == 1);
  CHECK(s.checks[0].limit == 3);
  CHECK(s.source == kForOverrides);
}

TEST_CASE("--set can turn a proxy off and the usual validation follows") {
  std::vector<std::string> errors = Errors(kForOverrides, {"dependencies.inventory.proxy=false"});
  CHECK(errors == std::vector<std::string>{
                      "s.toml:3:16: target.argv[1]: unknown variable \"proxy.inventory\" (did you "
                      "mean \"port.inventory\"?)",
                      "s.toml:17:41: phases[1].faults[0].dependency: dependency \"inventory\" has "
                      "no fault proxy (set proxy = true in its [[dependencies]] entry)"});
}

TEST_CASE("a file that cannot be read is one error naming it") {
  LoadOutcome out = LoadScenarioFile("/nonexistent/faultline/x.toml");
  REQUIRE(out.errors.size() == 1);
  CHECK(out.errors[0].ToString() ==
        "/nonexistent/faultline/x.toml: cannot read the file: No such file or directory");
  CHECK_FALSE(out.scenario.has_value());
}

TEST_CASE("LoadScenarioFile reads the file and names the scenario after it") {
  const std::string path =
      std::string(FAULTLINE_SOURCE_DIR) + "/harness/scenario/testdata/minimal.toml";
  LoadOutcome out = LoadScenarioFile(path);
  for (const Diagnostic& d : out.errors) MESSAGE(d.ToString());
  REQUIRE(out.scenario.has_value());
  CHECK(out.scenario->name == "minimal");
  CHECK(out.scenario->path == path);
}

TEST_CASE("metric names: builtins plus one upstream series per proxied dependency") {
  Scenario s = Load(kForOverrides);
  std::vector<std::string> names = ScenarioMetrics(s);
  CHECK(names.size() == BuiltinMetrics().size() + 1);
  CHECK(names.back() == "upstream.inventory");
}

TEST_CASE("docs/scenarios.md documents every key the loader accepts") {
  std::ifstream in(std::string(FAULTLINE_SOURCE_DIR) + "/docs/scenarios.md");
  REQUIRE(in.good());
  std::stringstream doc;
  doc << in.rdbuf();
  const std::string text = doc.str();
  const std::vector<std::string> keys = AcceptedKeyPaths();
  CHECK(keys.size() > 50);
  for (const std::string& key : keys) {
    CAPTURE(key);
    CHECK(text.find("`" + key + "`") != std::string::npos);
  }
}

TEST_CASE("AcceptedKeyPaths spells nested keys as the docs do") {
  const std::vector<std::string> keys = AcceptedKeyPaths();
  auto has = [&](const char* k) { return std::find(keys.begin(), keys.end(), k) != keys.end(); };
  CHECK(has("target.ready.timeout"));
  CHECK(has("phases[]"));
  CHECK(has("phases[].faults[].jitter"));
  CHECK(has("dependencies[].proxy"));
  CHECK(has("load.headers"));
  CHECK_FALSE(has("target.proxy"));
}

}  // namespace
