// Loading in three steps: parse the text into a toml::table, apply --set
// overrides to that table (set_overrides.h), then read it section by section
// through the schema (scenario_reader.h), collecting every problem.
#include "harness/scenario/scenario_loader.h"

#include <toml++/toml.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "harness/common/file.h"
#include "harness/scenario/scenario_reader.h"
#include "harness/scenario/set_overrides.h"

namespace faultline {

std::optional<std::string> TomlSyntaxError(std::string_view text, const std::string& path) {
  try {
    (void)toml::parse(text, std::string_view(path));
  } catch (const toml::parse_error& e) {
    return SyntaxError(e, path).ToString();
  }
  return std::nullopt;
}

LoadOutcome LoadScenarioText(std::string_view text, const std::string& path,
                             const std::vector<std::string>& overrides) {
  LoadOutcome outcome;
  toml::table root;
  try {
    root = toml::parse(text, std::string_view(path));
  } catch (const toml::parse_error& e) {
    // Nothing after a syntax error can be trusted, so it is reported alone.
    outcome.errors.push_back(SyntaxError(e, path));
    return outcome;
  }

  Reporter reporter(path);
  for (const std::string& o : overrides) ApplyOverride(&root, o, &reporter);

  Scenario scenario;
  scenario.path = path;
  scenario.source = std::string(text);
  scenario.name = std::filesystem::path(path).stem().string();
  ScenarioReader(reporter, &scenario).Read(root);
  outcome.warnings = reporter.TakeWarnings();

  if (reporter.empty()) {
    outcome.scenario = std::move(scenario);
  } else {
    outcome.errors = std::move(reporter).Sorted();
  }
  return outcome;
}

LoadOutcome LoadScenarioFile(const std::string& path, const std::vector<std::string>& overrides) {
  StatusOr<std::string> text = ReadInputFile(path, kMaxScenarioBytes);
  if (!text.ok()) {
    LoadOutcome outcome;
    outcome.errors.push_back(
        Diagnostic{path.empty() ? "\"\"" : path, 0, 0, "", text.status().message()});
    return outcome;
  }
  return LoadScenarioText(*text, path, overrides);
}

}  // namespace faultline
