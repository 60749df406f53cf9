#include <doctest/doctest.h>

#include <vector>

#include "harness/scenario/loader_test_util.h"
#include "harness/scenario/metrics.h"

using namespace faultline;
using namespace faultline::testing;
using namespace std::chrono_literals;

namespace {

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
tolerance = 5

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
limit = 2

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
  CHECK(s.checks[2].tolerance == 5);
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
  Scenario s = Load(R"(
target = { argv = ["svc", "${proxy.inventory}"] }
dependencies = [{ name = "inventory", argv = ["d"], proxy = true }, { name = "db", argv = ["d"] }]
phases = [{ name = "a", duration = "1s" }]
)");
  std::vector<std::string> names = ScenarioMetrics(s);
  CHECK(names.size() == BuiltinMetrics().size() + 1);
  CHECK(names.back() == "upstream.inventory");
}

}  // namespace
