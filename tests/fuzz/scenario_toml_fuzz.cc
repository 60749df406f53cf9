// Fuzz target: the scenario loader on TOML text (LoadScenarioText), the
// path `faultline run` and `faultline validate` take for a scenario file.
// Contract checked: it never throws, and it returns either a scenario or
// at least one error, never both; every error formats on one line.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "harness/scenario/scenario_loader.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  faultline::LoadOutcome outcome = faultline::LoadScenarioText(text, "fuzz.toml");
  FUZZ_CHECK(outcome.scenario.has_value() == outcome.errors.empty());
  for (const faultline::Diagnostic& d : outcome.errors) {
    FUZZ_CHECK(!d.message.empty());
    FUZZ_CHECK(!d.ToString().empty());
    FUZZ_CHECK(d.ToString().find('\n') == std::string::npos);  // one error, one line
  }
  return 0;
}
