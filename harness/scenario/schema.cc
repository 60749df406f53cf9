#include "harness/scenario/schema.h"

#include <algorithm>

#include "harness/scenario/diagnostics.h"
#include "harness/scenario/scenario_loader.h"

namespace faultline {
namespace schema {

std::string Render(const std::string& v) { return Quote(v); }
std::string Render(double v) { return FormatNumber(v); }
std::string Render(int v) { return std::to_string(v); }
std::string Render(uint64_t v) { return std::to_string(v); }
std::string Render(bool v) { return v ? "true" : "false"; }
std::string Render(Duration v) { return Quote(FormatDuration(v)); }

std::string Render(const std::map<std::string, std::string>& v) {
  std::string out;
  for (const auto& [key, value] : v) {
    out += (out.empty() ? "{ " : ", ") + JoinKey("", key) + " = " + Quote(value);
  }
  return out.empty() ? "{}" : out + " }";
}

std::string Render(const std::vector<std::string>& v) {
  std::string out;
  for (const std::string& s : v) out += (out.empty() ? "[" : ", ") + Quote(s);
  return out.empty() ? "[]" : out + "]";
}

std::string Render(const std::vector<std::vector<std::string>>& v) {
  std::string out;
  for (const auto& argv : v) out += (out.empty() ? "[" : ", ") + Render(argv);
  return out.empty() ? "[]" : out + "]";
}

std::vector<std::string> KeyNames(const TableSchema& schema, std::optional<int> kind) {
  std::vector<std::string> names;
  for (const Key& k : schema.keys) {
    if (std::find(schema.unlisted.begin(), schema.unlisted.end(), k.name) != schema.unlisted.end())
      continue;
    if (kind && !Contains(k.applies, *kind)) continue;
    names.emplace_back(k.name);
  }
  return names;
}

const Key* FindKey(const TableSchema& schema, std::string_view name) {
  for (const Key& k : schema.keys) {
    if (k.name == name) return &k;
  }
  return nullptr;
}

const Choice* FindChoice(const ChoiceList& list, int value) {
  for (const Choice& c : list.choices) {
    if (c.value == value) return &c;
  }
  return nullptr;
}

const Choice* FindChoice(const ChoiceList& list, std::string_view name) {
  for (const Choice& c : list.choices) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

std::string KindPhrase(const ChoiceList& kinds, KindSet set) {
  std::vector<std::string> names;
  for (const Choice& c : kinds.choices) {
    if (Contains(set, c.value)) names.push_back(Quote(c.name));
  }
  std::string out = names.size() == 1 ? "kind " : "kinds ";
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += i + 1 == names.size() ? " and " : ", ";
    out += names[i];
  }
  return out;
}

namespace {

const char* BaseTypeText(Type type) {
  switch (type) {
    case Type::kString:
      return "string";
    case Type::kNonEmptyString:
      return "non-empty string";
    case Type::kName:
      return "name: letters, digits, `_`, `-`";
    case Type::kHttpPath:
      return "string starting with `/`";
    case Type::kInteger:
      return "integer";
    case Type::kNumber:
      return "number";
    case Type::kNonNegativeNumber:
      return "number >= 0";
    case Type::kFraction:
      return "number 0..1";
    case Type::kRate:
      return "rate: size per second, `\"1MB/s\"`";
    case Type::kSize:
      return "size: bytes, `1500` or `\"64KiB\"`";
    case Type::kFaultValue:
      return "the kind's main value: duration, rate or size";
    case Type::kBool:
      return "boolean";
    case Type::kDuration:
      return "duration";
    case Type::kPositiveDuration:
      return "duration > 0";
    case Type::kStrings:
      return "array of strings";
    case Type::kStringTable:
      return "table of strings";
    case Type::kScalarTable:
      return "table of strings, numbers or booleans";
    case Type::kEnum:
      return "string, one of the allowed values";
    case Type::kPort:
      return "port";
    case Type::kLimit:
      return "number, duration or size";
    case Type::kTolerance:
      return "number >= 0, duration or size";
    case Type::kTable:
      return "table";
    case Type::kTables:
      return "array of tables";
    case Type::kCommands:
      return "array of commands (arrays of strings)";
  }
  return "?";
}

}  // namespace

std::string TypeText(const Key& key) {
  std::string out = BaseTypeText(key.type);
  if (key.min) out += " >= " + std::to_string(*key.min);
  if (key.max) out += ", at most " + std::to_string(*key.max);
  if (!key.type_note.empty()) {
    out += key.type_note.front() == ',' ? "" : " ";
    out += key.type_note;
  }
  return out;
}

std::string DefaultText(const Key& key, const ChoiceList* kinds) {
  if (key.required == kAllKinds) return "required";
  if (key.required != 0 && kinds) return "required for " + KindPhrase(*kinds, key.required);
  if (key.def) return "`" + key.def() + "`";
  if (!key.def_note.empty()) return std::string(key.def_note);
  return "none";
}

namespace {

void AddKeyPaths(const TableSchema& schema, const std::string& prefix,
                 std::vector<std::string>* out) {
  for (const Key& k : schema.keys) {
    const std::string path = prefix + std::string(k.name);
    if (k.type == Type::kTables) {
      out->push_back(path + "[]");
      AddKeyPaths(*k.sub, path + "[].", out);
    } else {
      out->push_back(path);
      if (k.type == Type::kTable) AddKeyPaths(*k.sub, path + ".", out);
    }
  }
}

}  // namespace
}  // namespace schema

std::vector<std::string> AcceptedKeyPaths() {
  std::vector<std::string> paths;
  schema::AddKeyPaths(schema::kScenarioSchema, "", &paths);
  return paths;
}

}  // namespace faultline
