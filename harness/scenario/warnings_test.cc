// Warnings: valid scenarios whose checks or phases cannot discriminate; each
// warning word for word, and none for the scenarios that can.
#include "harness/scenario/warnings.h"

#include <doctest/doctest.h>

#include "harness/scenario/loader_test_util.h"

using namespace faultline;
using namespace faultline::testing;

namespace {

// The warnings of loading `text` as "s.toml", which must have no errors.
std::vector<std::string> Warnings(std::string_view text) {
  LoadOutcome out = LoadScenarioText(text, "s.toml");
  for (const Diagnostic& d : out.errors) MESSAGE(d.ToString());
  REQUIRE(out.errors.empty());
  std::vector<std::string> lines;
  for (const Diagnostic& d : out.warnings) {
    CHECK(d.severity == Diagnostic::Severity::kWarning);
    lines.push_back(d.ToString());
  }
  return lines;
}

constexpr const char* kPhases = R"(target = { argv = ["t"] }
[[phases]]
name = "baseline"
duration = "2s"
[[phases]]
name = "hang"
duration = "3s"
[[phases]]
name = "drain"
duration = "2s"
rate = 0
)";

// Each case: checks appended to kPhases, and every warning, word for word.
const BadCase kWarnCases[] = {
    {"recovers after the last phase",
     R"([[checks]]
kind = "recovers"
metric = "threads"
after = "drain"
)",
     {"s.toml:15:9: warning: checks[0].after: phase \"drain\" is the last phase: "
      "nothing follows it, so only the last sample is judged and within 5s has no "
      "effect; add a phase after it (e.g. a drain with rate = 0) at least 5s long"}},

    {"recovers within longer than the phases after",
     R"([[checks]]
kind = "recovers"
metric = "threads"
after = "hang"
within = "5s"
)",
     {"s.toml:16:10: warning: checks[0].within: within 5s is longer than the 2s of "
      "phases after \"hang\": a recovery later than 2s is never seen; lengthen the "
      "phases after \"hang\" or shorten within"}},

    {"a bare-number latency limit above 60 seconds",
     R"([[checks]]
kind = "latency"
limit = 1500
[[checks]]
kind = "latency"
limit = "1500ms"
)",
     {"s.toml:14:9: warning: checks[0].limit: a bare number is read as seconds: 1500 "
      "means 1500 s, not ms; write \"1500ms\" if you meant milliseconds"}},

    {"a growth check over the baseline phase",
     R"([[checks]]
kind = "growth"
metric = "threads"
phases = ["baseline"]
limit = 5
)",
     {"s.toml:15:10: warning: checks[0].phases: the window is the baseline phase "
      "\"baseline\" itself: growth over its own mean shows only noise; set phases to "
      "the phases after the baseline"}},

    {"a latency check over a phase that sends nothing",
     R"([[checks]]
kind = "latency"
phases = ["drain"]
limit = "1s"
[[checks]]
kind = "error_ratio"
phases = ["hang", "drain"]
limit = 0.1
)",
     {"s.toml:14:10: warning: checks[0].phases: no request is sent in it (rate 0): the check "
      "would have nothing to judge and the run would end in an error (exit 3); set phases to "
      "phases with load"}},

    {"a check whose variants list excludes every variant",
     R"([[checks]]
kind = "max"
metric = "threads"
limit = 5
variants = []
)",
     {"s.toml:16:12: warning: checks[0].variants: an empty list excludes every variant "
      "but is read as no restriction: the check applies to every variant; remove the "
      "key, or name the variants it is for"}},
};

}  // namespace

TEST_CASE("a sound scenario has no warnings") {
  CHECK(Warnings(std::string(kPhases) + R"([[checks]]
kind = "recovers"
metric = "threads"
after = "hang"
within = "2s"
[[checks]]
kind = "growth"
metric = "threads"
phases = ["hang"]
limit = 5
[[checks]]
kind = "latency"
limit = 2
variants = ["default"]
)")
            .empty());
}

TEST_CASE("each warning for a check that cannot tell") {
  for (const BadCase& c : kWarnCases) {
    const std::string what = c.what;
    CAPTURE(what);
    CHECK(Warnings(std::string(kPhases) + c.toml) == c.errors);
  }
}

// protocol is read by the fault proxy only; an error like listen's would
// make `--set dependencies.D.proxy=false` unusable on an HTTP dependency.
TEST_CASE("warning: protocol on a dependency without a fault proxy") {
  CHECK(Warnings(std::string(kPhases) + R"([[dependencies]]
name = "inv"
argv = ["d"]
protocol = "http"
[[checks]]
kind = "max"
metric = "threads"
limit = 5
)") == std::vector<std::string>{"s.toml:15:12: warning: dependencies[0].protocol: \"protocol\" "
                                "is what dependency \"inv\"'s fault proxy reads: without "
                                "proxy = true it has no effect"});
}

TEST_CASE("warning: a check for none of the variants --variant runs") {
  Scenario s = Load(std::string(kPhases) + R"([[variants]]
name = "fast"
[[variants]]
name = "slow"
[[checks]]
name = "slow only"
kind = "max"
metric = "threads"
limit = 5
variants = ["slow"]
)");
  CHECK(SelectionWarnings(s, {}).empty());
  CHECK(SelectionWarnings(s, {"slow"}).empty());
  const std::vector<Diagnostic> w = SelectionWarnings(s, {"fast"});
  REQUIRE(w.size() == 1);
  CHECK(w[0].ToString() ==
        "dir/demo.toml: warning: checks[0].variants: check \"slow only\" is for slow, none of "
        "which --variant runs: it judges nothing");
}

TEST_CASE("warning: a phase shorter than two sampling intervals") {
  CHECK(Warnings(R"(target = { argv = ["t"] }
[[phases]]
name = "blip"
duration = "150ms"
[[phases]]
name = "long"
duration = "1s"
[sampling]
interval = "100ms"
[[checks]]
kind = "max"
metric = "threads"
limit = 5
)") == std::vector<std::string>{
           "s.toml:4:12: warning: phases[0].duration: phase \"blip\" lasts 150ms, less than "
           "two sampling intervals (2 x 100ms): checks over it see one sample or none; make "
           "it longer or lower sampling.interval"});
}

TEST_CASE("warning: a traceparent header set in the load") {
  CHECK(Warnings(R"(target = { argv = ["t"] }
phases = [{ name = "a", duration = "1s" }]
load = { headers = { TraceParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" } }
[[checks]]
kind = "max"
metric = "threads"
limit = 5
)") == std::vector<std::string>{
           "s.toml:3:36: warning: load.headers.TraceParent: every request then carries this "
           "one trace id and the load generator stamps none of its own, so the cancellation "
           "audit of an HTTP dependency cannot tell requests apart; leave traceparent to "
           "faultline"});
}

// A scenario without checks passed CI whatever it measured, also --strict.
TEST_CASE("warning: a scenario with no checks") {
  CHECK(Warnings(R"(target = { argv = ["t"] }
phases = [{ name = "a", duration = "1s" }]
)") == std::vector<std::string>{
           "s.toml:1:1: warning: checks: no [[checks]]: every variant passes whatever it "
           "measures (as long as its processes stay up), and one with expect = \"fail\" cannot "
           "be met; add checks, or run it as an experiment, not as a gate"});
}

TEST_CASE("no warnings are looked for when there are errors") {
  LoadOutcome out = LoadScenarioText(std::string(kPhases) + R"([[checks]]
kind = "recovers"
metric = "thread"
after = "drain"
)",
                                     "s.toml");
  CHECK(out.errors.size() == 1);
  CHECK(out.warnings.empty());
}
