// A VariantRun on fake parts and a ManualClock, for the state machine's
// tests (test code only): the default scenario, its Plan, and the harness
// that runs it and reads the fakes' timeline.
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <sstream>
#include <string>

#include "harness/run/fake_parts.h"
#include "harness/run/variant_run.h"
#include "harness/scenario/scenario_loader.h"

namespace faultline::testing {

// Load starts at 0.2 s (each process is ready 100 ms after it starts), so
// the phases run 0.2-1.2 (baseline), 1.2-2.2 (hang) and 2.2-3.2 (drain, no load).
inline const char* kScenario = R"(
[target]
argv = ["svc", "--port", "${port.target}", "--inventory", "${proxy.inventory}"]
[[dependencies]]
name = "inventory"
argv = ["stub", "--port", "${port.inventory}"]
proxy = true
[load]
rate = 10
timeout = "2s"
[[phases]]
name = "baseline"
duration = "1s"
[[phases]]
name = "hang"
duration = "1s"
faults = [{ kind = "hang", dependency = "inventory" }]
[[phases]]
name = "drain"
duration = "1s"
rate = 0
[[checks]]
name = "threads bounded"
kind = "max"
metric = "threads"
limit = 50
)";

inline Plan PlanFor(const std::string& text) {
  LoadOutcome loaded = LoadScenarioText(text, "s.toml");
  REQUIRE(loaded.errors.empty());
  const Scenario& s = *loaded.scenario;
  StatusOr<Plan> plan = Bind(s, s.variants[0], PlaceholderPorts(s));
  REQUIRE(plan.ok());
  return *plan;
}

struct Harness {
  ManualClock clock;
  FakeWorld world{clock};
  FakeParts parts{world};
  std::ostringstream out;
  ProgressLine progress{&out, /*live=*/false};
  VariantResult result;
  std::optional<Status> done;
  std::unique_ptr<VariantRun> run;

  explicit Harness(const std::string& text = kScenario) {
    run = std::make_unique<VariantRun>(PlanFor(text), "/out", clock, parts, progress, &result,
                                       [this](Status s) { done = s; });
  }
  // Moves time to `s` seconds after the start, firing every timer on the way.
  void At(double s) { clock.AdvanceTo(world.start + FromSeconds(s)); }
  VariantRun::State state() const { return run->state(); }
  bool Logged(const std::string& line) const {
    return std::find(world.log.begin(), world.log.end(), line) != world.log.end();
  }
  // Done, with every process stopped and every part closed.
  void CheckAllStopped() {
    CHECK(state() == VariantRun::State::kDone);
    REQUIRE(done.has_value());
    CHECK(world.running.empty());
    CHECK_FALSE(world.load_exists);
    CHECK(Logged(world.log.back()));
    run.reset();
    CHECK(world.killed.empty());  // nothing was left for the destructor to kill
  }
  std::string Log() const {
    std::string s;
    for (const auto& line : world.log) s += line + "\n";
    return s;
  }
};

}  // namespace faultline::testing
