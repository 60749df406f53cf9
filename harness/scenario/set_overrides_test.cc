#include <doctest/doctest.h>

#include "harness/scenario/loader_test_util.h"

using namespace faultline;
using namespace faultline::testing;

namespace {

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
                      "s.toml:3:16: target.argv[1]: unknown variable \"proxy.inventory\": "
                      "dependency \"inventory\" has no fault proxy (set proxy = true in its "
                      "[[dependencies]] entry)",
                      "s.toml:17:41: phases[1].faults[0].dependency: dependency \"inventory\" has "
                      "no fault proxy (set proxy = true in its [[dependencies]] entry)"});
}

TEST_CASE("--set errors name the valid choices when no name is close") {
  CHECK(Errors(kForOverrides, {"phases.zzz.duration=1s", "load.zzzzzz=1"}) ==
        std::vector<std::string>{
            "--set: phases.zzz.duration: no phase named \"zzz\" (expected one of: warm, hang)",
            "--set: load.zzzzzz: unknown key \"zzzzzz\" in load (expected one of: rate, method, "
            "path, headers, body, timeout, max_in_flight)"});
}

// phases.hang[7].duration once set hang's duration, the [7] ignored.
TEST_CASE("--set refuses an index on an element picked by its name") {
  CHECK(Errors(kForOverrides, {"phases.hang[7].duration=5s", "variants.naive[0].expect=fail"}) ==
        std::vector<std::string>{
            "--set: phases.hang[7].duration: malformed key path: phase \"hang\" is picked by its "
            "name, so it takes no [index]",
            "--set: variants.naive[0].expect: malformed key path: variant \"naive\" is picked by "
            "its name, so it takes no [index]"});
}

// A variable's value goes in as written (one pass): one that holds a
// variable would reach the target literally, so it is refused.
TEST_CASE("a variant's vars hold no variables and numbers keep their shortest text") {
  CHECK(Errors(kForOverrides, {"variants.naive.vars.mode=\"${variant.name}\""}) ==
        std::vector<std::string>{
            "s.toml: variants[0].vars.mode: a variable's value is used as written, variables in "
            "it are not expanded: \"${variant.name}\""});
  Scenario s = Load(kForOverrides, {"variants.naive.vars={mode=\"a\", g=0.1, f=1e20, h=-0.5}"});
  CHECK(s.variants[0].vars.at("g") == "0.1");
  CHECK(s.variants[0].vars.at("f") == "1e+20");
  CHECK(s.variants[0].vars.at("h") == "-0.5");
}

TEST_CASE("an error inside a table or array given by --set has no place in the file") {
  CHECK(Errors(kForOverrides, {"load={rat=5}",
                               "phases.hang.faults=[{kind=\"hang\",dependency=\"inventory\","
                               "latency=\"5ms\"}]"}) ==
        std::vector<std::string>{
            "s.toml: load.rat: unknown key \"rat\" (did you mean \"rate\"?)",
            "s.toml: phases[1].faults[0].latency: \"latency\" only applies to kind "
            "\"latency\", not \"hang\""});
}

}  // namespace
