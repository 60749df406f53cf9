// Malformed scenarios, part 2: kinds, references, variables, values out of
// range and --set; every error word for word.
#include <doctest/doctest.h>

#include "harness/scenario/loader_test_util.h"

using namespace faultline;
using namespace faultline::testing;

namespace {

const BadCase kBadValueCases[] = {
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
      "\"rate\", \"recovers\", \"latency\", \"error_ratio\", \"outlived\", \"orphans\" or \"held\")",
      "s.toml:9:10: checks[1].metric: unknown metric \"thread\" (did you mean \"threads\"?)",
      "s.toml:13:10: checks[2].metric: unknown metric \"goroutines\" (known metrics: threads, "
      "rss_bytes, fds, cpu_percent, processes, established, close_wait, in_flight, "
      "connections, sample_ms, loop_lag_ms)"}},

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
      "\"latency\", \"error_ratio\", \"outlived\", \"orphans\" and \"held\", not \"recovers\"",
      "s.toml:7:1: checks[0].percentile: \"percentile\" only applies to kinds \"latency\" and "
      "\"outlived\", not \"recovers\"",
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
      "s.toml:6:73: checks[3].tolerance: a tolerance must be >= 0, got -1"}},

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
      "s.toml:8:64: phases[0].faults[2].direction: \"direction\" only applies to kinds "
      "\"latency\", \"bandwidth\", \"slow_close\", \"timeout\", \"reset_peer\", \"slicer\" and "
      "\"limit_data\", not \"hang\""}},

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

    {"a value with a newline in an error stays on one line",
     R"(target = { argv = ["t", "a ${b\nc"] }
phases = [{ name = "a", duration = "1s" }]
)",
     {"s.toml:1:25: target.argv[1]: unclosed \"${\" in \"a ${b\\nc\""}},

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

    {"paths and headers that would not make one well-formed request",
     R"(target = { argv = ["t"] }
phases = [{ name = "a", duration = "1s" }]
load = { path = "/a b", headers = { "X-A" = "a\r\nX-Injected: 1", "Bad Name" = "v", ok = "v\tw" } }
)",
     {"s.toml:3:17: load.path: a path must not hold spaces or control characters (encode a "
      "space as %20), got \"/a b\"",
      "s.toml:3:45: load.headers.X-A: a header value must not hold CR, LF or NUL, got "
      "\"a\\r\\nX-Injected: 1\"",
      "s.toml:3:80: load.headers.\"Bad Name\": invalid header name \"Bad Name\": use letters, "
      "digits and -"}},

    {"limits below 0 - an error ratio above 1",
     R"(target = { argv = ["t"] }
phases = [{ name = "a", duration = "1s" }]
checks = [{ kind = "latency", limit = -1 },
          { kind = "error_ratio", limit = 2 },
          { kind = "error_ratio", limit = "0.5 * 3" },
          { kind = "max", metric = "threads", limit = -0.5 }]
)",
     {"s.toml:3:39: checks[0].limit: a limit must be >= 0, got -1",
      "s.toml:4:43: checks[1].limit: an error ratio is at most 1 (every request), got 2: the "
      "check could never fail",
      "s.toml:5:43: checks[2].limit: an error ratio is at most 1 (every request), got 1.5: the "
      "check could never fail",
      "s.toml:6:55: checks[3].limit: a limit must be >= 0, got -0.5"}},

    {"outlived and orphans: dependency missing or unknown - a limit of the wrong kind - keys of others",
     R"(target = { argv = ["t", "${proxy.inventory}"] }
dependencies = [{ name = "inventory", argv = ["d"], proxy = true, protocol = "http" }]
phases = [{ name = "a", duration = "1s" }]
checks = [{ kind = "outlived", limit = "20MiB" },
          { kind = "orphans", dependency = "inventroy", limit = "2s", percentile = 99 },
          { kind = "outlived", dependency = "inventory", limit = "1s", open_for = "1s" },
          { kind = "orphans", dependency = "inventory", limit = 0, phases = ["a"] }]
)",
     {"s.toml:4:11: checks[0].dependency: missing required key for kind \"outlived\"",
      "s.toml:4:40: checks[0].limit: expected a duration string like \"250ms\" or a number of "
      "seconds, got string \"20MiB\"",
      "s.toml:5:44: checks[1].dependency: unknown dependency \"inventroy\" (did you mean "
      "\"inventory\"?)",
      "s.toml:5:65: checks[1].limit: expected a number of requests, got string \"2s\"",
      "s.toml:5:71: checks[1].percentile: \"percentile\" only applies to kinds \"latency\" and "
      "\"outlived\", not \"orphans\"",
      "s.toml:6:72: checks[2].open_for: \"open_for\" only applies to kind \"orphans\", not "
      "\"outlived\"",
      "s.toml:7:68: checks[3].phases: \"phases\" only applies to kinds \"max\", \"growth\", "
      "\"rate\", \"latency\" and \"error_ratio\", not \"orphans\""}},

    {"outlived and orphans: the dependency needs an HTTP-aware proxy",
     R"(target = { argv = ["t", "${proxy.inventory}"] }
dependencies = [{ name = "inventory", argv = ["d"], proxy = true },
                { name = "db", argv = ["d"] }]
phases = [{ name = "a", duration = "1s" }]
checks = [{ name = "no orphans", kind = "orphans", dependency = "inventory", limit = 0 },
          { kind = "outlived", dependency = "db", limit = "1s" }]
)",
     {"s.toml:5:65: checks[0].dependency: the \"orphans\" check \"no orphans\" audits the upstream "
      "requests to dependency \"inventory\", whose fault proxy does not parse HTTP: set "
      "protocol = \"http\" in its [[dependencies]] entry",
      "s.toml:6:45: checks[1].dependency: the \"outlived\" check audits the upstream requests to "
      "dependency \"db\", which has no fault proxy: set proxy = true and protocol = \"http\" in "
      "its [[dependencies]] entry"}},

    {"a mistyped protocol is reported once - not again by the HTTP fault and check on it",
     R"(target = { argv = ["t", "${proxy.inventory}"] }
dependencies = [{ name = "inventory", argv = ["d"], proxy = true, protocol = "htp" }]
phases = [{ name = "a", duration = "1s", faults = [{ kind = "abort", status = 503, dependency = "inventory" }] }]
checks = [{ kind = "orphans", dependency = "inventory", limit = 0 }]
)",
     {"s.toml:2:78: dependencies[0].protocol: unknown protocol \"htp\" (did you mean \"http\"?)"}},

    {"percentile out of range",
     R"(target = { argv = ["t"] }
phases = [{ name = "a", duration = "1s" }]
checks = [{ kind = "latency", limit = 0.5, percentile = 100.5 },
          { kind = "latency", limit = 0.5, percentile = 0 }]
)",
     {"s.toml:3:57: checks[0].percentile: must be > 0 and <= 100, got 100.5",
      "s.toml:4:57: checks[1].percentile: must be > 0 and <= 100, got 0"}},

    {"phases that together last longer than a run can",
     R"(target = { argv = ["t"] }
phases = [{ name = "a", duration = "200000h" }, { name = "b", duration = "200000h" }]
)",
     {"s.toml:2:74: phases[1].duration: the phases last 1440000000 s in all, more than a "
      "run can last (1e9 s, about 31 years)"}},

    {"a value just out of range prints as written - not rounded into range",
     R"(target = { argv = ["t"] }
phases = [{ name = "a", duration = "1s" }]
checks = [{ kind = "latency", limit = 0.5, percentile = 100.0000001 }]
)",
     {"s.toml:3:57: checks[0].percentile: must be > 0 and <= 100, got 100.0000001"}},

    {"a request rate beyond what any load generator sends (a typo) is refused",
     R"(target = { argv = ["t"] }
phases = [{ name = "a", duration = "1s", rate = 2e6 }]
load = { rate = 1e12 }
)",
     {"s.toml:2:49: phases[0].rate: must be <= 1000000, got 2000000",
      "s.toml:3:17: load.rate: must be <= 1000000, got 1000000000000"}},

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
     {"s.toml:1:59: target.scrape.metrics.threads: \"threads\" is a built-in metric or a "
      "results.json key; choose another name",
      "s.toml:1:77: target.scrape.metrics.g: metric selector \"go{x=\": expected '\"' to open "
      "the value of label \"x\""}},

    {"two proxies on one listen port - an empty program",
     R"(target = { argv = ["", "${proxy.b}"] }
phases = [{ name = "a", duration = "1s" }]
[[dependencies]]
name = "a"
argv = ["d"]
proxy = true
listen = 20555
[[dependencies]]
name = "b"
argv = ["d"]
proxy = true
listen = 20555
)",
     {"s.toml:1:20: target.argv[0]: the program is empty: name it (\"orders-service\", "
      "\"python3\", a path)",
      "s.toml:12:10: dependencies[1].listen: listen = 20555 is the port of dependency \"a\"'s "
      "fault proxy too: each proxy needs a port of its own"}},

    {"names shown on one line hold no control characters",
     R"(target = { argv = ["t"], scrape = { metrics = { "a\nb" = "up" } } }
phases = [{ name = "a", duration = "1s" }]
checks = [{ name = "bounded\n\nPASSED", kind = "max", metric = "threads", limit = 5 }]
)",
     {"s.toml:1:58: target.scrape.metrics.\"a\\nb\": a series name is one line of text, without "
      "control characters: \"a\\nb\"",
      "s.toml:3:20: checks[0].name: a check's name is one line of text, without control "
      "characters: \"bounded\\n\\nPASSED\""}},

    {"scrape: t_s is every sample row's time in results.json",
     R"(target = { argv = ["t"], scrape = { metrics = { t_s = "up" } } }
phases = [{ name = "a", duration = "1s" }]
)",
     {"s.toml:1:55: target.scrape.metrics.t_s: \"t_s\" is a built-in metric or a results.json "
      "key; choose another name"}},

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

TEST_CASE("malformed scenarios report every error - kinds and references") {
  CheckBadCases(kBadValueCases);
}

}  // namespace
