#include "harness/scenario/variables.h"

#include <doctest/doctest.h>

using namespace faultline;

namespace {
const std::map<std::string, std::string> kVars = {
    {"port.target", "41000"}, {"proxy.inventory", "41002"}, {"variant.mode", "naive"}};
}

TEST_CASE("ExpandVariables replaces every reference") {
  auto out = ExpandVariables(
      "--port=${port.target} --dep=127.0.0.1:${proxy.inventory} ${variant.mode}", kVars);
  REQUIRE(out.ok());
  CHECK(*out == "--port=41000 --dep=127.0.0.1:41002 naive");
  CHECK(*ExpandVariables("no variables", kVars) == "no variables");
  CHECK(*ExpandVariables("", kVars) == "");
}

TEST_CASE("ExpandVariables: $$ is a literal $ - a lone $ is itself") {
  CHECK(*ExpandVariables("cost $$5 and $${port.target}", kVars) == "cost $5 and ${port.target}");
  CHECK(*ExpandVariables("a $ b $", kVars) == "a $ b $");
  CHECK(*ExpandVariables("$${variant.mode}=${variant.mode}", kVars) == "${variant.mode}=naive");
}

TEST_CASE("ExpandVariables rejects unknown - unclosed and empty references") {
  auto unknown = ExpandVariables("x ${port.inventry} y", kVars);
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.status().code() == Status::Code::kInvalid);
  CHECK(unknown.status().message() == "unknown variable \"port.inventry\"");

  auto unclosed = ExpandVariables("--port=${port.target", kVars);
  REQUIRE_FALSE(unclosed.ok());
  CHECK(unclosed.status().message() == "unclosed \"${\" in \"--port=${port.target\"");

  auto empty = ExpandVariables("a ${} b", kVars);
  REQUIRE_FALSE(empty.ok());
  CHECK(empty.status().message() == "empty variable name \"${}\" in \"a ${} b\"");
}

TEST_CASE("ReferencedVariables lists every well-formed reference in order") {
  CHECK(ReferencedVariables("${b} x ${a} ${b}") == std::vector<std::string>{"b", "a", "b"});
  CHECK(ReferencedVariables("$${escaped} ${real}") == std::vector<std::string>{"real"});
  CHECK(ReferencedVariables("${} ${ok} ${unclosed") == std::vector<std::string>{"ok"});
  CHECK(ReferencedVariables("plain $ text").empty());
}
