#include "reports/before_after.h"

#include <filesystem>

namespace faultline {

std::string RunLabel(const std::string& results_path, const std::string& other_path,
                     const std::string& fallback) {
  namespace fs = std::filesystem;
  auto folder = [](const std::string& p) {
    return fs::absolute(fs::path(p)).lexically_normal().parent_path().filename().string();
  };
  const std::string mine = folder(results_path);
  if (mine.empty() || mine == folder(other_path)) return fallback;
  return mine;
}

RunResult BeforeAfter(const RunResult& a, const std::string& label_a, const RunResult& b,
                      const std::string& label_b) {
  RunResult out = a;
  out.variants.clear();
  out.scenario_name = (a.scenario_name == b.scenario_name
                           ? a.scenario_name
                           : a.scenario_name + " / " + b.scenario_name) +
                      ": " + label_a + " vs " + label_b;
  out.scenario_description = "Before/after: " + label_a + " (started " + a.started_at + ") and " +
                             label_b + " (started " + b.started_at +
                             ") on the same axes; the phases shaded are " + label_a + "'s.";
  if (!a.scenario_description.empty()) out.scenario_description += "\n\n" + a.scenario_description;
  out.interrupted = a.interrupted || b.interrupted;
  out.error.clear();
  out.overrides.clear();
  for (const auto& [run, label] : {std::pair{&a, label_a}, std::pair{&b, label_b}}) {
    if (!run->error.empty())
      out.error += (out.error.empty() ? "" : "; ") + label + ": " + run->error;
    for (const auto& o : run->overrides) out.overrides.push_back(label + ": " + o);
    for (VariantResult v : run->variants) {
      v.name = label + ": " + v.name;
      out.variants.push_back(std::move(v));
    }
  }
  return out;
}

}  // namespace faultline
