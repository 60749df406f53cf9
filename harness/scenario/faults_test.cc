// Faults in scenarios: every kind with its keys, fraction, ramp and flap,
// names, and external dependencies; good files and every error word for word.
#include <doctest/doctest.h>

#include "harness/scenario/loader_test_util.h"

using namespace faultline;
using namespace faultline::testing;
using namespace std::chrono_literals;

namespace {

const std::string kHead = R"(target = { argv = ["t", "${proxy.inv}"] }
dependencies = [{ name = "inv", argv = ["d"], proxy = true }]
[[phases]]
name = "a"
duration = "10s"
)";

}  // namespace

TEST_CASE("every fault kind reads with its keys and units") {
  Scenario s = Load(kHead + R"(
faults = [
  { kind = "latency", dependency = "inv", latency = "100ms", jitter = "10ms", direction = "both", fraction = 0.5 },
  { kind = "bandwidth", dependency = "inv", rate = "1MB/s", name = "bw1" },
  { kind = "bandwidth", dependency = "inv", rate = "64KiB/s", direction = "upstream" },
  { kind = "slow_close", dependency = "inv", delay = "2s" },
  { kind = "timeout", dependency = "inv", timeout = "0s" },
  { kind = "reset_peer", dependency = "inv", fraction = 0.3 },
  { kind = "slicer", dependency = "inv", size = 64, size_variation = 16, delay = "1ms" },
  { kind = "limit_data", dependency = "inv", bytes = "1KiB" },
  { kind = "connect_hang", dependency = "inv", name = "ch" },
]
)");
  const auto& f = s.phases[0].faults;
  REQUIRE(f.size() == 9);
  CHECK(f[0].kind == FaultSpec::Kind::kLatency);
  CHECK(f[0].latency == 100ms);
  CHECK(f[0].fraction == 0.5);
  CHECK(f[0].direction == FaultSpec::Direction::kBoth);
  CHECK(f[0].EffectiveName() == "latency");
  CHECK(f[1].rate == 1000000);
  CHECK(f[1].EffectiveName() == "bw1");
  CHECK(f[1].fraction == 1);
  CHECK(f[2].rate == 65536);
  CHECK(f[3].kind == FaultSpec::Kind::kSlowClose);
  CHECK(f[3].delay == 2s);
  CHECK(f[4].timeout == 0s);
  CHECK(f[5].kind == FaultSpec::Kind::kResetPeer);
  CHECK(f[5].timeout == 0s);
  CHECK(f[5].fraction == doctest::Approx(0.3));
  CHECK(f[6].size == 64);
  CHECK(f[6].size_variation == 16);
  CHECK(f[6].delay == 1ms);
  CHECK(f[7].bytes == 1024);
  CHECK(f[8].kind == FaultSpec::Kind::kConnectHang);
  CHECK_FALSE(f[0].ramp.has_value());
}

TEST_CASE("ramp and flap read in the unit of the kind's main value") {
  Scenario s = Load(kHead + R"(
faults = [
  { kind = "latency", dependency = "inv", ramp = { from = "0ms", to = "400ms", steps = 5 } },
  { kind = "bandwidth", dependency = "inv", ramp = { from = "1MB/s", to = "10KB/s" } },
  { kind = "limit_data", dependency = "inv", ramp = { from = 100, to = "1KB", steps = 3 } },
  { kind = "hang", dependency = "inv", name = "h", flap = { on = "2s", off = "3s" } },
]
)");
  const auto& f = s.phases[0].faults;
  REQUIRE(f.size() == 4);
  REQUIRE(f[0].ramp.has_value());
  CHECK(f[0].ramp->from == 0);
  CHECK(f[0].ramp->to == 400'000'000);
  CHECK(f[0].ramp->steps == 5);
  CHECK(f[0].latency == 0ms);  // the ramp's start
  CHECK(f[1].ramp->from == 1000000);
  CHECK(f[1].ramp->to == 10000);
  CHECK(f[1].ramp->steps == 2);
  CHECK(f[1].rate == 1000000);
  CHECK(f[2].ramp->to == 1000);
  REQUIRE(f[3].flap.has_value());
  CHECK(f[3].flap->on == 2s);
  CHECK(f[3].flap->off == 3s);
}

TEST_CASE("malformed faults report every error") {
  const BadCase cases[] = {
      {"a typo and a key on the wrong kind",
       R"(target = { argv = ["t", "${proxy.inv}"] }
dependencies = [{ name = "inv", argv = ["d"], proxy = true }]
[[phases]]
name = "a"
duration = "1s"
faults = [{ kind = "bandwidth", dependency = "inv", rat = "1MB/s" },
          { kind = "hang", dependency = "inv", rate = "1MB/s", direction = "both" },
          { kind = "slicr", dependency = "inv" }]
)",
       {"s.toml:6:11: phases[0].faults[0].rate: missing required key for kind \"bandwidth\"",
        "s.toml:6:53: phases[0].faults[0].rat: unknown key \"rat\" (did you mean \"rate\"?)",
        "s.toml:7:48: phases[0].faults[1].rate: \"rate\" only applies to kinds \"bandwidth\" and "
        "\"slow_body\", not \"hang\"",
        "s.toml:7:64: phases[0].faults[1].direction: \"direction\" only applies to kinds "
        "\"latency\", \"bandwidth\", \"slow_close\", \"timeout\", \"reset_peer\", \"slicer\" and "
        "\"limit_data\", not \"hang\"",
        "s.toml:8:20: phases[0].faults[2].kind: unknown fault kind \"slicr\" (did you mean "
        "\"slicer\"?)"}},
      {"bad values",
       R"(target = { argv = ["t", "${proxy.inv}"] }
dependencies = [{ name = "inv", argv = ["d"], proxy = true }]
[[phases]]
name = "a"
duration = "1s"
faults = [{ kind = "bandwidth", dependency = "inv", rate = "1MB", fraction = 1.5 },
          { kind = "bandwidth", dependency = "inv", rate = "0B/s", name = "b" },
          { kind = "slicer", dependency = "inv", size = 0 },
          { kind = "slicer", dependency = "inv", size = 10, size_variation = "10B", name = "s" },
          { kind = "limit_data", dependency = "inv", bytes = -1 },
          { kind = "timeout", dependency = "inv", timeout = "soon" }]
)",
       {"s.toml:6:60: phases[0].faults[0].rate: invalid rate \"1MB\": expected a size per "
        "second like \"1MB/s\"",
        "s.toml:6:78: phases[0].faults[0].fraction: must be between 0 and 1, got 1.5",
        "s.toml:7:60: phases[0].faults[1].rate: a rate must be more than 0 bytes per second, got "
        "\"0B/s\"",
        "s.toml:8:57: phases[0].faults[2].size: must be at least 1 byte, got 0",
        "s.toml:9:78: phases[0].faults[3].size_variation: size_variation 10 must be less than "
        "size 10",
        "s.toml:10:62: phases[0].faults[4].bytes: a size must not be negative, got -1",
        "s.toml:11:61: phases[0].faults[5].timeout: invalid duration \"soon\": expected a number "
        "with a unit, like \"2s\" or \"64KiB\""}},
      {"ramps and flaps",
       R"(target = { argv = ["t", "${proxy.inv}"] }
dependencies = [{ name = "inv", argv = ["d"], proxy = true }]
[[phases]]
name = "a"
duration = "1s"
faults = [{ kind = "latency", dependency = "inv", latency = "1s", ramp = { from = "0s", to = "1s" } },
          { kind = "latency", dependency = "inv", name = "l2", ramp = { from = "1MB/s", to = "1s", steps = 1 } },
          { kind = "hang", dependency = "inv", ramp = { from = "1s", to = "2s" } },
          { kind = "reset", dependency = "inv", flap = { on = "0s" } },
          { kind = "latency", dependency = "inv", name = "l3", jitter = "5ms", ramp = { from = "10ms", to = "1ms" } }]
)",
       {"s.toml:6:51: phases[0].faults[0].latency: give either \"latency\" or a ramp, not both",
        "s.toml:7:80: phases[0].faults[1].ramp.from: invalid duration \"1MB/s\": unknown duration unit "
        "\"MB/s\" (use ns, us, ms, s, m or h)",
        "s.toml:7:108: phases[0].faults[1].ramp.steps: must be >= 2, got 1",
        "s.toml:8:48: phases[0].faults[2].ramp: \"ramp\" only applies to kinds \"latency\", "
        "\"bandwidth\", \"slow_close\", \"timeout\", \"reset_peer\", \"slicer\" and "
        "\"limit_data\", not \"hang\"",
        "s.toml:9:56: phases[0].faults[3].flap.off: missing required key",
        "s.toml:9:63: phases[0].faults[3].flap.on: must be longer than 0s, got \"0s\"",
        "s.toml:10:73: phases[0].faults[4].jitter: jitter 5ms is larger than the ramp's latency "
        "1ms"}},
      {"ramps and flaps that would change the faults too often",
       R"(target = { argv = ["t", "${proxy.inv}"] }
dependencies = [{ name = "inv", argv = ["d"], proxy = true }]
[[phases]]
name = "a"
duration = "20s"
faults = [{ kind = "hang", dependency = "inv", flap = { on = "1ms", off = "1ms" } }]
[[phases]]
name = "b"
duration = "1h"
faults = [{ kind = "latency", dependency = "inv", ramp = { from = "1ms", to = "5ms", steps = 10001 } }]
[[phases]]
name = "c"
duration = "1h"
faults = [{ kind = "latency", dependency = "inv", ramp = { from = "1ms", to = "5ms", steps = 5000 } },
          { kind = "reset", dependency = "inv", flap = { on = "0.5s", off = "0.5s" } }]
)",
       {"s.toml:6:10: phases[0].faults: its ramps and flaps change the faults about 20000 times "
        "in 20s, more than 10000: use fewer ramp steps or longer flap periods",
        "s.toml:10:94: phases[1].faults[0].ramp.steps: must be <= 10000, got 10001",
        "s.toml:14:10: phases[2].faults: its ramps and flaps change the faults about 12199 times "
        "in 1h, more than 10000: use fewer ramp steps or longer flap periods"}},
      {"two faults with one name on one dependency",
       R"(target = { argv = ["t", "${proxy.inv}"] }
dependencies = [{ name = "inv", argv = ["d"], proxy = true }]
[[phases]]
name = "a"
duration = "1s"
faults = [{ kind = "latency", dependency = "inv", latency = "1s", name = "slow" },
          { kind = "hang", dependency = "inv", name = "slow" }]
)",
       {"s.toml:7:55: phases[0].faults[1].name: fault name \"slow\" is already used on \"inv\" by "
        "phases[0].faults[0]: give one of them a distinct `name`"}},
  };
  CheckBadCases(cases);
}

TEST_CASE("faults without a name get unique ones") {
  std::vector<FaultSpec> faults(4);
  faults[0].kind = FaultSpec::Kind::kLatency;
  faults[1].kind = FaultSpec::Kind::kLatency;
  faults[2].kind = FaultSpec::Kind::kHang;
  faults[2].name = "latency_2";
  faults[3].kind = FaultSpec::Kind::kLatency;
  NameFaults(&faults);
  CHECK(faults[0].name == "latency");
  CHECK(faults[1].name == "latency_3");
  CHECK(faults[2].name == "latency_2");
  CHECK(faults[3].name == "latency_4");
}

TEST_CASE("an external dependency has an address and no argv") {
  Scenario s = Load(R"(target = { argv = ["t", "${proxy.db}", "${port.db}"] }
phases = [{ name = "a", duration = "1s" }]
[[dependencies]]
name = "db"
address = "127.0.0.1:5432"
proxy = true
)");
  REQUIRE(s.dependencies.size() == 1);
  CHECK(s.dependencies[0].external());
  CHECK(s.dependencies[0].argv.empty());
  CHECK_FALSE(s.dependencies[0].check_ready);
  Scenario r = Load(R"(target = { argv = ["t"] }
dependencies = [{ name = "db", address = "[::1]:80", ready = { kind = "http", path = "/h" } }]
phases = [{ name = "a", duration = "1s" }]
)");
  CHECK(r.dependencies[0].check_ready);

  const BadCase cases[] = {
      {"argv and address, neither, a bad address, keys that do not apply",
       R"(target = { argv = ["t"] }
dependencies = [{ name = "a", argv = ["d"], address = "127.0.0.1:1" },
                { name = "b" },
                { name = "c", address = "db.example:5432" },
                { name = "d", address = "127.0.0.1:0" },
                { name = "e", address = "127.0.0.1:9", env = { A = "1" }, ready = { kind = "log", log_line = "x" } }]
phases = [{ name = "p", duration = "1s" }]
)",
       {"s.toml:2:55: dependencies[0].address: dependency \"a\" has both argv and address: give "
        "argv to start it, or address to use one already running",
        "s.toml:3:17: dependencies[1]: dependency \"b\" needs argv (a program to start) or address "
        "(\"host:port\" of one already running)",
        "s.toml:4:41: dependencies[2].address: host \"db.example\" in \"db.example:5432\" is not "
        "an IP address (write IPv6 as \"[::1]:port\"; names other than localhost are not looked "
        "up)",
        "s.toml:5:41: dependencies[3].address: bad port \"0\" in \"127.0.0.1:0\": expected "
        "1..65535",
        "s.toml:6:62: dependencies[4].env: \"env\" only applies to a dependency started from "
        "argv, not to dependency \"e\" at an address",
        "s.toml:6:83: dependencies[4].ready: dependency \"e\" is external: it has no output to "
        "read, so its ready kind must be \"tcp\" or \"http\""}},
  };
  CheckBadCases(cases);
}

TEST_CASE("http faults read on a dependency with protocol http") {
  Scenario s = Load(R"(target = { argv = ["t", "${proxy.inv}"] }
dependencies = [{ name = "inv", argv = ["d"], proxy = true, protocol = "http" }]
[[phases]]
name = "a"
duration = "10s"
faults = [
  { kind = "abort", dependency = "inv", status = 503, fraction = 0.05, match = { method = "GET", path_prefix = "/stock", headers = { X-User = "a" } } },
  { kind = "delay", dependency = "inv", delay = "1s", on = "response" },
  { kind = "slow_body", dependency = "inv", rate = "10KB/s" },
  { kind = "hang_request", dependency = "inv" },
]
)");
  CHECK(s.dependencies[0].protocol == ProcessSpec::Protocol::kHttp);
  const auto& f = s.phases[0].faults;
  REQUIRE(f.size() == 4);
  CHECK(f[0].kind == FaultSpec::Kind::kAbort);
  CHECK(f[0].status == 503);
  CHECK(f[0].body == "fault filter abort");
  CHECK(f[0].fraction == doctest::Approx(0.05));
  CHECK(f[0].match.method == "GET");
  CHECK(f[0].match.path_prefix == "/stock");
  CHECK(f[0].match.headers.at("X-User") == "a");
  CHECK(f[1].kind == FaultSpec::Kind::kDelay);
  CHECK(f[1].delay == 1s);
  CHECK(f[1].on == FaultSpec::On::kResponse);
  CHECK(f[2].rate == 10000);
  CHECK(f[3].kind == FaultSpec::Kind::kHangRequest);
  CHECK(f[3].match == FaultSpec::Match{});
}

TEST_CASE("malformed http faults report every error") {
  const BadCase cases[] = {
      {"an http fault on a tcp dependency and bad values",
       R"(target = { argv = ["t", "${proxy.inv}"] }
dependencies = [{ name = "inv", argv = ["d"], proxy = true }]
[[phases]]
name = "a"
duration = "1s"
faults = [{ kind = "abort", dependency = "inv", status = 99 },
          { kind = "delay", dependency = "inv", on = "reply", match = { path_prefix = "stock" } }]
)",
       {"s.toml:6:20: phases[0].faults[0].kind: the HTTP fault \"abort\" needs an HTTP-aware "
        "proxy: set protocol = \"http\" on dependency \"inv\"",
        "s.toml:6:58: phases[0].faults[0].status: expected an HTTP status 200..599, got 99",
        "s.toml:7:11: phases[0].faults[1].delay: missing required key for kind \"delay\"",
        "s.toml:7:20: phases[0].faults[1].kind: the HTTP fault \"delay\" needs an HTTP-aware "
        "proxy: set protocol = \"http\" on dependency \"inv\"",
        "s.toml:7:54: phases[0].faults[1].on: unknown delay target \"reply\" (expected "
        "\"request\" or \"response\")",
        "s.toml:7:87: phases[0].faults[1].match.path_prefix: must start with \"/\", got \"stock\""}},
  };
  CheckBadCases(cases);
}
