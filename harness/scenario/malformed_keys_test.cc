// Malformed scenarios, part 1: syntax, unknown keys, types, units and
// required keys; every error word for word.
#include <doctest/doctest.h>

#include "harness/scenario/loader_test_util.h"

using namespace faultline;
using namespace faultline::testing;

namespace {

const BadCase kBadCases[] = {
    {"toml syntax error",
     R"(seed = = 1
sed = 2
)",
     {"s.toml:1:8: error while parsing value: could not determine value type"}},

    {"a syntax error quoting a newline stays on one line",
     "seed =in\n",
     {"s.toml:1:9: error while parsing floating-point: expected 'inf', saw 'in\\n'"}},

    {"[phases] twice: a syntax error with the hint",
     R"(target = { argv = ["t"] }
[phases]
name = "a"
duration = "1s"
[phases]
name = "b"
duration = "1s"
)",
     {"s.toml:5:1: error while parsing table header: cannot redefine existing table 'phases' "
      "(write [[phases]] before each entry, not [phases])"}},

    {"[checks] after [[checks]]: a syntax error with the hint",
     R"(target = { argv = ["t"] }
phases = [{ name = "a", duration = "1s" }]
[[checks]]
kind = "latency"
limit = 1
[checks]
kind = "latency"
)",
     {"s.toml:6:1: error while parsing table header: cannot redefine existing array 'checks' as "
      "table (write [[checks]] before each entry, not [checks])"}},

    {"[phases] once: the hint too",
     R"(target = { argv = ["t"] }
[phases]
name = "a"
duration = "1s"
)",
     {"s.toml:2:1: phases: expected an array of tables, got a table (write [[phases]] before "
      "each entry, not [phases])"}},

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

    {"an unknown fault key is offered the keys its kind takes",
     R"(target = { argv = ["t", "${proxy.inv}"] }
dependencies = [{ name = "inv", argv = ["d"], proxy = true }]
[[phases]]
name = "a"
duration = "1s"
[[phases.faults]]
kind = "slow_close"
dependency = "inv"
wait = "1s"
)",
     {"s.toml:6:1: phases[0].faults[0].delay: missing required key for kind \"slow_close\"",
      "s.toml:9:1: phases[0].faults[0].wait: unknown key \"wait\" (expected one of: dependency, "
      "kind, name, fraction, direction, delay, ramp, flap)"}},

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

    {"a bad dependency name or proxy value is reported once and not by what refers to it",
     R"(target = { argv = ["t", "${proxy.in v}", "${proxy.inv}"] }
dependencies = [{ name = "in v", argv = ["d"], proxy = true },
                { name = "inv", argv = ["d"], proxy = "yes" }]
[[phases]]
name = "a"
duration = "1s"
faults = [{ kind = "hang", dependency = "in v" }, { kind = "hang", dependency = "inv" }]
)",
     {"s.toml:2:26: dependencies[0].name: invalid name \"in v\": use letters, digits, \"_\" "
      "and \"-\"",
      "s.toml:3:55: dependencies[1].proxy: expected true or false, got string \"yes\""}},

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
      "\"latency\", \"bandwidth\", \"slow_close\", \"timeout\", \"reset_peer\", \"slicer\", "
      "\"limit_data\", \"hang\", \"reset\", \"refuse\", \"connect_hang\", \"abort\", \"delay\", "
      "\"slow_body\" or \"hang_request\")"}},

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

    {"a variant name that would leave the output folder",
     R"(target = { argv = ["t"] }
phases = [{ name = "a", duration = "1s" }]
variants = [{ name = "../../escaped" }, { name = "p/2s" }]
)",
     {"s.toml:3:22: variants[0].name: invalid name \"../../escaped\": use letters, digits, \"_\" "
      "and \"-\"",
      "s.toml:3:50: variants[1].name: invalid name \"p/2s\": use letters, digits, \"_\" and "
      "\"-\""}},

    {"two checks with one name",
     R"(target = { argv = ["t"] }
phases = [{ name = "a", duration = "1s" }]
[[checks]]
name = "bounded"
kind = "max"
metric = "threads"
limit = 10
[[checks]]
name = "bounded"
kind = "growth"
metric = "threads"
limit = 5
)",
     {"s.toml:9:8: checks[1].name: check name \"bounded\" is already used by checks[0]"}},

    {"a process named as a hook would share its log",
     R"(target = { argv = ["t"] }
dependencies = [{ name = "setup-1", argv = ["d"] }, { name = "teardown-12", argv = ["d"] },
  { name = "setup-db", argv = ["d"] }]
phases = [{ name = "a", duration = "1s" }]
)",
     {"s.toml:2:26: dependencies[0].name: process name \"setup-1\" is reserved for the "
      "variants' setup commands; choose another",
      "s.toml:2:62: dependencies[1].name: process name \"teardown-12\" is reserved for the "
      "variants' teardown commands; choose another"}},

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

};

TEST_CASE("malformed scenarios report every error - keys and types") { CheckBadCases(kBadCases); }

}  // namespace
