// Fuzz target: the scenario loader's --set path. The input is split at
// '\n' into up to 16 "key.path=value" overrides, applied by
// LoadScenarioText to a fixed scenario that has every kind of table the
// overrides can address (arrays of tables by index and by name, string
// tables, inline tables, arrays). Same contract as scenario_toml_fuzz.cc.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "harness/scenario/scenario_loader.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

constexpr std::string_view kBase = R"toml(
name = "base"
seed = 7

[target]
argv = ["orders-service", "--port", "${port.target}",
        "--inventory", "http://127.0.0.1:${proxy.inventory}", "--mode", "${variant.mode}"]
ready = { kind = "http", path = "/healthz", timeout = "10s" }
env = { DEBUG = "1" }

[target.scrape]
timeout = "1s"
metrics = { widgets = "widgets_total", ok = 'http_requests_total{code="200"}' }

[[dependencies]]
name = "inventory"
argv = ["stub-dependency", "--port", "${port.inventory}", "--latency", "5ms"]
ready = { kind = "http", path = "/healthz" }
proxy = true

[[variants]]
name = "propagating"
expect = "pass"
vars = { mode = "propagate" }

[[variants]]
name = "naive"
expect = "fail"
vars = { mode = "naive" }

[load]
rate = 100
path = "/order?id=42"
timeout = "5s"
headers = { "X-Test" = "1" }

[[phases]]
name = "baseline"
duration = "2s"

[[phases]]
name = "hang"
duration = "3s"
faults = [{ kind = "hang", dependency = "inventory" },
          { kind = "latency", dependency = "inventory", delay = "10ms", jitter = "1ms" }]

[[phases]]
name = "drain"
duration = "1s"
rate = 0

[sampling]
interval = "100ms"

[[checks]]
name = "threads bounded"
kind = "growth"
metric = "threads"
phases = ["hang"]
limit = 300

[[checks]]
kind = "recovers"
metric = "threads"
after = "hang"
within = "1s"
tolerance = 10

[[checks]]
kind = "latency"
percentile = 99
limit = "2.5s"
)toml";

constexpr size_t kMaxOverrides = 16;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> overrides;
  while (overrides.size() < kMaxOverrides) {
    const size_t end = input.find('\n');
    overrides.emplace_back(input.substr(0, end));
    if (end == std::string_view::npos) break;
    input.remove_prefix(end + 1);
  }
  faultline::LoadOutcome outcome = faultline::LoadScenarioText(kBase, "base.toml", overrides);
  FUZZ_CHECK(outcome.scenario.has_value() == outcome.errors.empty());
  for (const faultline::Diagnostic& d : outcome.errors) {
    FUZZ_CHECK(!d.message.empty());
    FUZZ_CHECK(!d.ToString().empty());
  }
  return 0;
}
