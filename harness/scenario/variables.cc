#include "harness/scenario/variables.h"

#include <optional>

namespace faultline {
namespace {

// Walks `text` once. Literal runs go to `literal`, each well-formed "${name}"
// to `reference`. Returns an error message for the first malformed reference
// ("${" without "}", which swallows the rest of the text, or "${}", which is
// skipped).
template <typename Literal, typename Reference>
std::optional<std::string> Scan(std::string_view text, Literal literal, Reference reference) {
  std::optional<std::string> error;
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] != '$' || i + 1 >= text.size()) {
      literal(text.substr(i, 1));
      ++i;
      continue;
    }
    if (text[i + 1] == '$') {  // "$$" is an escaped "$"
      literal(text.substr(i, 1));
      i += 2;
      continue;
    }
    if (text[i + 1] != '{') {
      literal(text.substr(i, 1));
      ++i;
      continue;
    }
    const size_t close = text.find('}', i + 2);
    if (close == std::string_view::npos) {
      if (!error) error = "unclosed \"${\" in \"" + std::string(text) + "\"";
      break;
    }
    const std::string_view name = text.substr(i + 2, close - i - 2);
    if (name.empty()) {
      if (!error) error = "empty variable name \"${}\" in \"" + std::string(text) + "\"";
    } else {
      reference(name);
    }
    i = close + 1;
  }
  return error;
}

}  // namespace

StatusOr<std::string> ExpandVariables(std::string_view text,
                                      const std::map<std::string, std::string>& vars) {
  std::string out;
  std::optional<std::string> unknown;
  std::optional<std::string> malformed = Scan(
      text, [&](std::string_view lit) { out += lit; },
      [&](std::string_view name) {
        auto it = vars.find(std::string(name));
        if (it == vars.end()) {
          if (!unknown) unknown = std::string(name);
          return;
        }
        out += it->second;
      });
  if (unknown) return Status::Invalid("unknown variable \"" + *unknown + "\"");
  if (malformed) return Status::Invalid(*malformed);
  return out;
}

std::vector<std::string> ReferencedVariables(std::string_view text) {
  std::vector<std::string> names;
  Scan(
      text, [](std::string_view) {}, [&](std::string_view name) { names.emplace_back(name); });
  return names;
}

}  // namespace faultline
