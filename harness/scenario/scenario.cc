#include "harness/scenario/scenario.h"

#include "harness/scenario/schema.h"

namespace faultline {
namespace {

// The spelling of `value` among the schema's allowed values.
const char* Spell(const schema::ChoiceList& list, int value) {
  const schema::Choice* c = schema::FindChoice(list, value);
  return c ? c->name.data() : "?";  // the names are string literals
}

}  // namespace

std::string PortVariable(std::string_view process) {
  return "${port." + std::string(process) + "}";
}

std::string DefaultBaseUrl(std::string_view target) {
  return "http://127.0.0.1:" + PortVariable(target);
}

const char* ToString(FaultSpec::Kind kind) {
  return Spell(schema::kFaultKinds, static_cast<int>(kind));
}

const char* ToString(Variant::Expect expect) {
  return Spell(schema::kExpectations, static_cast<int>(expect));
}

const char* ToString(Readiness::Kind kind) {
  return Spell(schema::kReadyKinds, static_cast<int>(kind));
}

const char* ToString(FaultSpec::Direction direction) {
  return Spell(schema::kDirections, static_cast<int>(direction));
}

}  // namespace faultline
