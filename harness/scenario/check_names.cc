#include "harness/scenario/check_names.h"

#include <set>

#include "harness/scenario/diagnostics.h"
#include "harness/scenario/schema.h"

namespace faultline {

std::string DefaultCheckName(const CheckSpec& check) {
  std::string window;
  for (const std::string& p : check.phases) window += (window.empty() ? "" : ", ") + p;
  if (window.empty()) window = "the whole run";
  const std::map<std::string, std::string> values = {
      {"kind", ToString(check.kind)},
      {"metric", check.metric},
      {"window", window},
      {"after", check.after},
      {"within", FormatDuration(check.within)},
      {"percentile", FormatNumber(check.percentile)},
      {"dependency", check.dependency},
      {"open_for", FormatDuration(check.open_for)},
      {"frames", Quote(check.frames)},
      {"at", check.at},
  };
  const schema::Choice* kind =
      schema::FindChoice(schema::kCheckKinds, static_cast<int>(check.kind));
  const std::string_view label = kind ? kind->label : "{kind}";
  std::string out;
  for (size_t i = 0; i < label.size(); ++i) {
    const size_t close = label.find('}', i);
    if (label[i] == '{' && close != std::string_view::npos) {
      out += values.at(std::string(label.substr(i + 1, close - i - 1)));
      i = close;
    } else {
      out += label[i];
    }
  }
  return out;
}

void NameChecks(std::vector<CheckSpec>* checks, const std::vector<bool>& named) {
  std::set<std::string> taken;
  for (size_t i = 0; i < checks->size(); ++i) {
    if (named[i]) taken.insert((*checks)[i].name);
  }
  for (size_t i = 0; i < checks->size(); ++i) {
    if (named[i]) continue;
    const std::string name = DefaultCheckName((*checks)[i]);
    std::string unique = name;
    for (int n = 2; taken.count(unique); ++n) unique = name + " (" + std::to_string(n) + ")";
    taken.insert(unique);
    (*checks)[i].name = unique;
  }
}

}  // namespace faultline
