// The census keys (issue 14): [target.census], [[census]], held checks.
#include <doctest/doctest.h>

#include "harness/scenario/loader_test_util.h"

using namespace faultline;
using namespace faultline::testing;
using namespace std::chrono_literals;

namespace {

const char* kCensus = R"([target]
argv = ["t"]
[target.census]
url = "http://127.0.0.1:${port.target}/debug/pprof/goroutine?debug=1"
timeout = "1s"
[[phases]]
name = "hang"
duration = "10s"
[[census]]
at = "hang+8s"
[[census]]
at = "hang"
[[checks]]
kind = "held"
frames = "GetStock"
at = "hang+8s"
limit = 0
[[checks]]
kind = "held"
frames = "*poll*"
at_least = true
limit = 100
)";

}  // namespace

TEST_CASE("census keys load into the scenario") {
  Scenario s = Load(kCensus);
  CHECK(s.target.census.url == "http://127.0.0.1:${port.target}/debug/pprof/goroutine?debug=1");
  CHECK(s.target.census.timeout == 1s);
  CHECK(s.target.census.at_end);
  REQUIRE(s.census.size() == 2);
  CHECK(s.census[0].at == "hang+8s");
  CHECK(s.census[0].phase == "hang");
  CHECK(s.census[0].offset == 8s);
  CHECK(s.census[1].phase == "hang");
  CHECK(s.census[1].offset == 0s);
  REQUIRE(s.checks.size() == 2);
  CHECK(s.checks[0].kind == CheckKind::kHeld);
  CHECK(s.checks[0].frames == "GetStock");
  CHECK(s.checks[0].at == "hang+8s");
  CHECK(s.checks[0].name == "held \"GetStock\" at hang+8s");
  CHECK(s.checks[1].at == "end");
  CHECK(s.checks[1].at_least);
}

// A phase named "slow+1s" is valid; a census at it once looked for "slow".
TEST_CASE("a census names a phase with a + in its name whole") {
  std::string text = kCensus;
  text.replace(text.find("name = \"hang\""), 13, "name = \"hang+1s\"");
  text.replace(text.find("at = \"hang+8s\""), 14, "at = \"hang+1s+8s\"");
  text.replace(text.find("at = \"hang\""), 11, "at = \"hang+1s\"");
  text.replace(text.find("at = \"hang+8s\""), 14, "at = \"hang+1s+8s\"");
  Scenario s = Load(text);
  REQUIRE(s.census.size() == 2);
  CHECK(s.census[0].phase == "hang+1s");
  CHECK(s.census[0].offset == 8s);
  CHECK(s.census[1].phase == "hang+1s");
  CHECK(s.census[1].offset == 0s);
}

TEST_CASE("census keys name their errors") {
  const char* bad = R"(target = { argv = ["t"], census = { url = "ftp://x", at_end = false } }
[[phases]]
name = "hang"
duration = "10s"
[[census]]
at = "hnag+1s"
[[census]]
at = "hang+10s"
[[census]]
at = "hang+x"
[[checks]]
kind = "held"
limit = 0
[[checks]]
kind = "held"
frames = "f"
limit = 0
)";
  CHECK(Errors(bad) ==
        std::vector<std::string>{
            "s.toml:1:43: target.census.url: must start with \"http://\", got \"ftp://x\"",
            "s.toml:6:6: census[0].at: unknown phase \"hnag\" (did you mean \"hang\"?)",
            "s.toml:8:6: census[1].at: offset 10s is not within phase \"hang\" (10s)",
            "s.toml:10:6: census[2].at: expected \"PHASE+DURATION\" like \"hang+8s\" or \"PHASE\", "
            "got \"hang+x\": invalid duration \"x\": expected a number with a unit, like \"2s\" or "
            "\"64KiB\"",
            "s.toml:11:1: checks[0].frames: missing required key for kind \"held\"",
            "s.toml:11:1: checks[0].at: no census \"end\"; censuses: \"hang+10s\" or \"hnag+1s\"",
            "s.toml:14:1: checks[1].at: no census \"end\"; censuses: \"hang+10s\" or \"hnag+1s\"",
        });
}
