// Helpers shared by the scenario loader's tests.
#pragma once

#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <vector>

#include "harness/scenario/scenario_loader.h"

// Prints a failed comparison of diagnostic lists one per line.
namespace doctest {
template <>
struct StringMaker<std::vector<std::string>> {
  static String convert(const std::vector<std::string>& lines) {
    std::string out = "{";
    for (const std::string& l : lines) out += "\n  " + l;
    return String((out + "\n}").c_str());
  }
};
}  // namespace doctest

namespace faultline::testing {

/// The diagnostics of loading `text` as "s.toml", one string each.
inline std::vector<std::string> Errors(std::string_view text,
                                       const std::vector<std::string>& overrides = {}) {
  LoadOutcome out = LoadScenarioText(text, "s.toml", overrides);
  std::vector<std::string> lines;
  for (const Diagnostic& d : out.errors) lines.push_back(d.ToString());
  CHECK(out.scenario.has_value() == out.errors.empty());
  return lines;
}

/// `text` loaded as "dir/demo.toml"; fails the test when it has errors.
inline Scenario Load(std::string_view text, const std::vector<std::string>& overrides = {}) {
  LoadOutcome out = LoadScenarioText(text, "dir/demo.toml", overrides);
  for (const Diagnostic& d : out.errors) MESSAGE(d.ToString());
  REQUIRE(out.scenario.has_value());
  return *out.scenario;
}

/// A malformed scenario and every error it must report, word for word.
/// Each case is small and mostly valid, so that exactly the listed errors
/// are expected. Line 1 is the line after R"(.
struct BadCase {
  const char* what;
  const char* toml;
  std::vector<std::string> errors;
  std::vector<std::string> overrides = {};
};

template <size_t N>
void CheckBadCases(const BadCase (&cases)[N]) {
  for (const BadCase& c : cases) {
    const std::string what = c.what;
    CAPTURE(what);
    CHECK(Errors(c.toml, c.overrides) == c.errors);
  }
}

}  // namespace faultline::testing
