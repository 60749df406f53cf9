#include "harness/scenario/reference.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "harness/scenario/check_names.h"
#include "harness/scenario/metrics.h"
#include "harness/scenario/scenario_loader.h"
#include "harness/scenario/schema.h"

using namespace faultline;

namespace {

std::string ReadDoc() {
  std::ifstream in(std::string(FAULTLINE_SOURCE_DIR) + "/docs/scenarios.md");
  REQUIRE(in.good());
  std::stringstream doc;
  doc << in.rdbuf();
  return doc.str();
}

TEST_CASE("every toml block in the docs is valid TOML") {
  size_t blocks = 0;
  for (const char* name : {"README.md", "docs/scenarios.md", "docs/proxy.md", "docs/faults.md",
                           "docs/tutorial.md", "docs/recipes.md", "docs/census.md",
                           "docs/ci.md", "docs/scale.md", "docs/reports.md"}) {
    std::ifstream in(std::string(FAULTLINE_SOURCE_DIR) + "/" + name);
    REQUIRE_MESSAGE(in.good(), name);
    std::string line;
    int number = 0;
    int start = 0;  // the line of the block's first TOML line; 0 outside a block
    std::string block;
    while (std::getline(in, line)) {
      ++number;
      if (!start && line == "```toml") {
        start = number + 1;
        block.clear();
      } else if (start > 0 && line.starts_with("```")) {
        ++blocks;
        // The block's lines are numbered from its start in the doc.
        const std::string where = std::string(name) + " (block at line " +
                                  std::to_string(start) + ")";
        std::optional<std::string> error = TomlSyntaxError(block, where);
        CHECK_MESSAGE(!error, error.value_or(""));
        start = 0;
      } else if (start > 0) {
        block += line + "\n";
      }
    }
  }
  CHECK(blocks > 20);
}

TEST_CASE("docs/scenarios.md holds the reference generated from the schema") {
  const std::string doc = ReadDoc();
  StatusOr<std::string> regenerated = RegenerateScenarioReference(doc);
  REQUIRE_MESSAGE(regenerated.ok(), regenerated.status().message());
  const bool up_to_date = *regenerated == doc;
  CHECK_MESSAGE(up_to_date,
                "docs/scenarios.md is out of date with harness/scenario/schema.h: run "
                "`build/bin/scenario_reference docs/scenarios.md` and commit the result");
}

TEST_CASE("docs/scenarios.md documents every key the loader accepts") {
  const std::string text = ReadDoc();
  const std::vector<std::string> keys = AcceptedKeyPaths();
  CHECK(keys.size() > 50);
  for (const std::string& key : keys) {
    CAPTURE(key);
    CHECK(text.find("`" + key + "`") != std::string::npos);
  }
}

TEST_CASE("AcceptedKeyPaths spells nested keys as the docs do") {
  const std::vector<std::string> keys = AcceptedKeyPaths();
  auto has = [&](const char* k) { return std::find(keys.begin(), keys.end(), k) != keys.end(); };
  CHECK(has("target.ready.timeout"));
  CHECK(has("phases[]"));
  CHECK(has("phases[].faults[].jitter"));
  CHECK(has("dependencies[].proxy"));
  CHECK(has("load.headers"));
  CHECK_FALSE(has("target.proxy"));
}

TEST_CASE("a key's row shows its type and the default of a default-constructed struct") {
  const std::string load = RenderKeyTable(schema::kLoadSchema);
  CHECK(load.find("| `load.rate` | number >= 0, at most 1000000 | `100` |") != std::string::npos);
  CHECK(load.find("| `load.timeout` | duration > 0 | `\"5s\"` |") != std::string::npos);
  CHECK(load.find("| `load.max_in_flight` | integer >= 1 | `10000` |") != std::string::npos);
  const std::string target = RenderKeyTable(schema::kTargetSchema);
  CHECK(target.find("| `target.name` | name: letters, digits, `_`, `-` | `\"target\"` |") !=
        std::string::npos);
  CHECK(target.find("`\"http://127.0.0.1:${port.target}\"`") != std::string::npos);
  const std::string fault = RenderKeyTable(schema::kFaultSchema);
  CHECK(fault.find("| `phases[].faults[].latency` | duration | required for kind \"latency\" |  "
                   "| `latency` |") != std::string::npos);
  CHECK(fault.find("`\"downstream\"` |") != std::string::npos);
  const std::string ready = RenderKeyTable(schema::kReadySchema);
  CHECK(ready.find("| `target.ready.kind`, `dependencies[].ready.kind` |") != std::string::npos);
}

TEST_CASE("the reference lists every built-in metric") {
  const std::string metrics = RenderMetricTable();
  for (const std::string& name : BuiltinMetrics()) {
    CAPTURE(name);
    CHECK(metrics.find("| `" + name + "` |") != std::string::npos);
  }
  CHECK(IsReservedMetricName("threads"));
  CHECK(IsReservedMetricName("upstream.x"));
  CHECK_FALSE(IsReservedMetricName("goroutines"));
}

TEST_CASE("regenerating reports unknown and missing blocks and keeps the prose") {
  CHECK(RegenerateScenarioReference("<!-- generated: keys nope -->\n<!-- end generated -->\n")
            .status()
            .message() == "unknown generated block \"keys nope\"");
  CHECK(RegenerateScenarioReference("text\n").status().message().find("no generated block") == 0);
  const std::string doc = ReadDoc();
  const size_t row = doc.find("| `load.rate`");
  const std::string stale = doc.substr(0, row) + "| stale |\n" +
                            doc.substr(doc.find("<!-- end generated -->", row));
  StatusOr<std::string> fixed = RegenerateScenarioReference(stale);
  REQUIRE_MESSAGE(fixed.ok(), fixed.status().message());
  CHECK(*fixed == doc);
}

TEST_CASE("every enumerator has its spelling among the schema's allowed values") {
  for (int k = 0; k <= static_cast<int>(CheckSpec::Kind::kErrorRatio); ++k) {
    CHECK(std::string(ToString(static_cast<CheckSpec::Kind>(k))) != "?");
  }
  for (int k = 0; k <= static_cast<int>(FaultSpec::Kind::kRefuse); ++k) {
    CHECK(std::string(ToString(static_cast<FaultSpec::Kind>(k))) != "?");
  }
  CHECK(std::string(ToString(Readiness::Kind::kLogLine)) == "log");
  CHECK(std::string(ToString(FaultSpec::Direction::kBoth)) == "both");
  CHECK(std::string(ToString(Variant::Expect::kFail)) == "fail");
}

TEST_CASE("the schema spells check kinds as the result model does") {
  // ToString(CheckKind) (harness/result) writes results.json; the schema reads scenarios.
  for (const schema::Choice& c : schema::kCheckKinds.choices)
    CHECK(std::string(ToString(static_cast<CheckKind>(c.value))) == c.name);
}

TEST_CASE("every check kind's label makes a default name") {
  for (const schema::Choice& c : schema::kCheckKinds.choices) {
    CheckSpec check;
    check.kind = static_cast<CheckSpec::Kind>(c.value);
    check.metric = "threads";
    check.after = "hang";
    check.dependency = "inventory";
    const std::string name = DefaultCheckName(check);
    CAPTURE(name);
    CHECK(name.find('{') == std::string::npos);
    if (check.kind == CheckKind::kHeld) continue;  // no window: a census ("held \"\" at end")
    const bool says_where = name.find("the whole run") != std::string::npos ||
                            name.find("after hang") != std::string::npos ||
                            name.find("on inventory") != std::string::npos;
    CHECK(says_where);
  }
}

}  // namespace
