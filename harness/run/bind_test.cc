#include "harness/run/bind.h"

#include <doctest/doctest.h>

#include <functional>

#include "harness/scenario/scenario_loader.h"

using namespace faultline;
using namespace std::chrono_literals;

namespace {

// A scenario that uses every kind of variable in every place one may appear.
Scenario Everything() {
  Scenario s;
  s.name = "all";
  ProcessSpec db;
  db.name = "db";
  db.argv = {"stub", "--port", "${port.db}", "--name", "${variant.name}"};
  db.env = {{"DB_MODE", "${variant.mode}"}};
  db.ready.port = "${port.db}";
  db.proxy = true;
  s.dependencies.push_back(db);
  s.target.name = "target";
  s.target.argv = {"svc", "--port", "${port.target}", "--db", "127.0.0.1:${proxy.db}"};
  s.target.env = {{"MODE", "${variant.mode}"}, {"PRICE", "$$5"}};
  s.target.ready.kind = Readiness::Kind::kHttp;
  s.target.ready.port = "${port.target}";
  s.target.ready.path = "/healthz";
  s.target.base_url = "http://localhost:${port.target}/api";
  s.target.scrape = ScrapeSpec{"${port.target}", "/metrics", 50ms,
                               {{"ok", "http_requests_total{code=\"200\"}"}}};
  s.variants = {{"fast", Variant::Expect::kPass, {{"mode", "propagate"}}},
                {"slow", Variant::Expect::kFail, {{"mode", "naive"}}}};
  s.load.rate = 20;
  s.load.path = "/order?mode=${variant.mode}";
  s.load.headers = {{"X-Variant", "${variant.name}"}};
  s.load.body = "{\"db\": ${port.db}}";
  s.load.timeout = 2s;
  FaultSpec hang;
  hang.kind = FaultSpec::Kind::kHang;
  hang.dependency = "db";
  s.phases = {{"baseline", 1s, std::nullopt, {}}, {"hang", 2s, 50.0, {hang}}, {"drain", 1s, 0.0, {}}};
  s.baseline_phase = "baseline";
  CheckSpec all, only_slow;
  all.name = "threads bounded";
  only_slow.name = "slow only";
  only_slow.variants = {"slow"};
  s.checks = {all, only_slow};
  s.sampling.interval = 200ms;
  s.seed = 9;
  return s;
}

Ports Fixed() { return Ports{{{"db", 5001}, {"target", 5002}}, {{"db", 6001}}}; }

}  // namespace

TEST_CASE("Bind expands every variable kind into a concrete plan") {
  const Scenario s = Everything();
  auto plan = Bind(s, s.variants[1], Fixed());
  REQUIRE(plan.ok());
  CHECK(plan->variant == "slow");
  CHECK(plan->expect == Expectation::kFail);

  REQUIRE(plan->processes.size() == 2);
  const ProcessPlan& db = plan->processes[0];
  CHECK(db.name == "db");
  CHECK(db.argv == std::vector<std::string>{"stub", "--port", "5001", "--name", "slow"});
  CHECK(db.env.at("DB_MODE") == "naive");
  CHECK(db.ready.kind == Readiness::Kind::kTcp);
  CHECK(db.ready.port == 5001);
  CHECK(db.log_file == "logs/slow/db.log");

  const ProcessPlan& target = plan->target();
  CHECK(target.name == "target");
  CHECK(target.argv == std::vector<std::string>{"svc", "--port", "5002", "--db", "127.0.0.1:6001"});
  CHECK(target.env.at("MODE") == "naive");
  CHECK(target.env.at("PRICE") == "$5");
  CHECK(target.ready.kind == Readiness::Kind::kHttp);
  CHECK(target.ready.port == 5002);
  CHECK(target.ready.path == "/healthz");

  REQUIRE(plan->proxies.size() == 1);
  CHECK(plan->proxies[0].dependency == "db");
  CHECK(plan->proxies[0].listen_port == 6001);
  CHECK(plan->proxies[0].upstream_port == 5001);

  CHECK(plan->load.url.host == "127.0.0.1");
  CHECK(plan->load.url.port == 5002);
  CHECK(plan->load.target == "/api/order?mode=naive");
  CHECK(plan->load.headers.at("X-Variant") == "slow");
  CHECK(plan->load.body == "{\"db\": 5001}");
  CHECK(plan->load.timeout == 2s);

  REQUIRE(plan->scrape.has_value());
  CHECK(plan->scrape->port == 5002);
  REQUIRE(plan->scrape->selectors.size() == 1);
  CHECK(plan->scrape->selectors[0].first == "ok");
  CHECK(plan->scrape->selectors[0].second.labels.at("code") == "200");

  REQUIRE(plan->phases.size() == 3);
  CHECK(plan->phases[0].rate == 20);  // load.rate
  CHECK(plan->phases[0].faults.empty());
  CHECK(plan->phases[1].rate == 50);
  REQUIRE(plan->phases[1].faults.at("db").size() == 1);
  CHECK(plan->phases[1].faults.at("db")[0].kind == FaultSpec::Kind::kHang);
  CHECK(plan->phases[1].faults.at("db")[0].name == "hang");
  REQUIRE(plan->proxies.size() == 1);
  CHECK(plan->proxies[0].upstream_host == "127.0.0.1");
  CHECK(plan->proxies[0].seed == ProxySeed(9, "db"));
  CHECK(plan->phases[1].descriptions == std::vector<std::string>{"hang db"});
  CHECK(plan->phases[2].rate == 0);
  CHECK(plan->baseline_phase == "baseline");
  CHECK(plan->sampling_interval == 200ms);
  CHECK(plan->seed == 9);
  CHECK(plan->checks.size() == 2);

  auto fast = Bind(s, s.variants[0], Fixed());
  REQUIRE(fast.ok());
  REQUIRE(fast->checks.size() == 1);  // "slow only" does not apply
  CHECK(fast->checks[0].name == "threads bounded");
  CHECK(fast->target().env.at("MODE") == "propagate");
}

TEST_CASE("Bind errors name the key they come from") {
  struct Case {
    std::string what;
    std::function<void(Scenario&)> change;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"unknown variable in an argv", [](Scenario& s) { s.dependencies[0].argv.push_back("${port.dbb}"); },
       "dependencies[0].argv: unknown variable \"port.dbb\""},
      {"unknown variable in an env", [](Scenario& s) { s.target.env["X"] = "${variant.nope}"; },
       "target.env.X: unknown variable \"variant.nope\""},
      {"unknown variable in a header", [](Scenario& s) { s.load.headers["H"] = "${proxy.target}"; },
       "load.headers.H: unknown variable \"proxy.target\""},
      {"non-numeric ready port", [](Scenario& s) { s.target.ready.port = "${variant.mode}"; },
       "target.ready.port: expected a port number 1..65535, got \"naive\" (from "
       "\"${variant.mode}\")"},
      {"out-of-range scrape port", [](Scenario& s) { s.target.scrape->port = "${port.target}00"; },
       "target.scrape.port: expected a port number 1..65535, got \"500200\" (from "
       "\"${port.target}00\")"},
      {"base_url off this machine",
       [](Scenario& s) { s.target.base_url = "http://10.0.0.1:${port.target}"; },
       "target.base_url \"http://10.0.0.1:5002\": host \"10.0.0.1\" is not a loopback address "
       "(127.0.0.0/8, ::1 or localhost); faultline sends load only to this machine"},
      {"census profile off this machine",
       [](Scenario& s) { s.target.census.url = "http://10.0.0.2:${port.target}/debug/pprof"; },
       "target.census.url \"http://10.0.0.2:5002/debug/pprof\": host \"10.0.0.2\" is not a "
       "loopback address (127.0.0.0/8, ::1 or localhost)"},
      {"unknown variable in base_url", [](Scenario& s) { s.target.base_url = "http://${host}"; },
       "target.base_url: unknown variable \"host\""},
      {"bad selector", [](Scenario& s) { s.target.scrape->metrics["bad"] = "x{"; },
       "target.scrape.metrics.bad: "},
      {"a ready probe on another process's port",
       [](Scenario& s) { s.target.ready.port = "${port.db}"; },
       "target.ready.port: 5001 is the port of the process \"db\": the probe would wait for it, "
       "not for \"target\""},
      {"a ready probe on a proxy's port",
       [](Scenario& s) { s.target.ready.port = "${proxy.db}"; },
       "target.ready.port: 6001 is the port of the fault proxy in front of \"db\": the probe "
       "would wait for it, not for \"target\""},
      // The loader checks the path and the headers as written; a variable
      // must not smuggle a second request or header in.
      {"a path that a variable ends early",
       [](Scenario& s) { s.variants[1].vars["mode"] = "7 HTTP/1.1\r\nX-Evil: 1\r\n\r\nGET /x"; },
       "load.path: with its variables expanded, \"/api/order?mode=7 HTTP/1.1\\r\\nX-Evil: "
       "1\\r\\n\\r\\nGET /x\" holds a space or a control character (encode a space as %20)"},
      {"a header value that a variable splits",
       [](Scenario& s) { s.load.headers["X-Id"] = "${variant.mode}\r\nX-Evil: 2"; },
       "load.headers.X-Id: with its variables expanded, \"naive\\r\\nX-Evil: 2\" holds CR, LF or "
       "NUL"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.what);
    Scenario s = Everything();
    c.change(s);
    auto plan = Bind(s, s.variants[1], Fixed());
    REQUIRE_FALSE(plan.ok());
    CHECK(plan.status().code() == Status::Code::kInvalid);
    CHECK(plan.status().message().rfind(c.message, 0) == 0);
    if (c.message.back() != ' ') CHECK(plan.status().message() == c.message);
  }
}

TEST_CASE("Bind reports every error of a variant one per line in the order of the scenario") {
  Scenario s = Everything();
  s.target.base_url = "http://10.0.0.1:${port.target}";
  s.target.env["X"] = "${variant.nope}";
  s.load.headers["H"] = "${proxy.target}";
  auto plan = Bind(s, s.variants[1], Fixed());
  REQUIRE_FALSE(plan.ok());
  CHECK(plan.status().message() ==
        "target.base_url \"http://10.0.0.1:5002\": host \"10.0.0.1\" is not a loopback address "
        "(127.0.0.0/8, ::1 or localhost); faultline sends load only to this machine\n"
        "target.env.X: unknown variable \"variant.nope\"\n"
        "load.headers.H: unknown variable \"proxy.target\"");
}

// Only a port the scenario names (a variable) or fixes (listen, an external
// address) is known to be another's: an allocated one is free when chosen,
// so a literal that happens to equal it (validate's placeholders) is no error.
TEST_CASE("a ready port that only happens to equal an allocated one binds") {
  Scenario s = Everything();
  s.target.ready.port = "5001";  // db's allocated port in Fixed(), written as a number
  CHECK(Bind(s, s.variants[0], Fixed()).ok());
}

TEST_CASE("placeholder ports bind a loaded scenario as validate does") {
  auto loaded = LoadScenarioText(R"(
[target]
argv = ["svc", "--port", "${port.target}", "--inventory", "${proxy.inventory}"]
ready = { kind = "tcp", port = "${variant.port}" }
[[dependencies]]
name = "inventory"
argv = ["stub", "--port", "${port.inventory}"]
proxy = true
[[variants]]
name = "good"
vars = { port = "8080" }
[[variants]]
name = "bad"
vars = { port = "eighty" }
[[phases]]
name = "only"
duration = "1s"
)",
                                 "s.toml");
  REQUIRE(loaded.errors.empty());
  const Scenario& s = *loaded.scenario;
  const Ports ports = PlaceholderPorts(s);
  CHECK(ports.processes.size() == 2);
  CHECK(ports.proxies.size() == 1);
  auto good = Bind(s, s.variants[0], ports);
  REQUIRE(good.ok());
  CHECK(good->target().ready.port == 8080);
  auto bad = Bind(s, s.variants[1], ports);
  CHECK(bad.status().message() ==
        "target.ready.port: expected a port number 1..65535, got \"eighty\" (from "
        "\"${variant.port}\")");
}

TEST_CASE("each variant's load gets its own trace seed from the scenario seed and its name") {
  const Scenario s = Everything();
  auto a = Bind(s, s.variants[0], Fixed());
  auto b = Bind(s, s.variants[1], Fixed());
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(a->load.trace_seed == ProxySeed(s.seed, s.variants[0].name));
  CHECK(a->load.trace_seed != b->load.trace_seed);
}
