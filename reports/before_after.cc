#include "reports/before_after.h"

#include <filesystem>
#include <vector>

namespace faultline {

std::string RunLabel(const std::string& results_path, const std::string& other_path,
                     const std::string& fallback) {
  namespace fs = std::filesystem;
  // The folders from the file's up: baseline/hung-dependency/results.json
  // gives hung-dependency, baseline, ...
  auto folders = [](const std::string& p) {
    std::vector<std::string> out;
    fs::path dir = fs::absolute(fs::path(p)).lexically_normal().parent_path();
    for (; !dir.filename().empty(); dir = dir.parent_path()) out.push_back(dir.filename());
    return out;
  };
  const std::vector<std::string> mine = folders(results_path), other = folders(other_path);
  for (size_t i = 0; i < mine.size() && i < other.size(); ++i) {
    if (mine[i] != other[i]) return mine[i];
  }
  return fallback;
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
  out.complete = a.complete && b.complete;
  // What differs between the runs is shown for both, labelled.
  auto both = [&](const std::string& x, const std::string& y) {
    return x == y ? x : label_a + ": " + x + "; " + label_b + ": " + y;
  };
  out.started_at = both(a.started_at, b.started_at);
  out.faultline_version = both(a.faultline_version, b.faultline_version);
  for (const auto& [key, value] : b.environment) {
    auto it = a.environment.find(key);
    out.environment[key] = both(it == a.environment.end() ? "(not recorded)" : it->second, value);
  }
  for (auto& [key, value] : out.environment)
    if (!b.environment.contains(key)) value = both(value, "(not recorded)");
  if (a.scenario_source != b.scenario_source)
    out.scenario_source = "# " + label_a + ": " + a.scenario_path + "\n" + a.scenario_source +
                          "\n# " + label_b + ": " + b.scenario_path + "\n" + b.scenario_source;
  out.error.clear();
  out.overrides.clear();
  out.not_run.clear();
  out.band_variants = a.variants.size();  // the phases shaded are A's
  for (const auto& [run, label] : {std::pair{&a, label_a}, std::pair{&b, label_b}}) {
    if (!run->error.empty())
      out.error += (out.error.empty() ? "" : "; ") + label + ": " + run->error;
    for (const auto& o : run->overrides) out.overrides.push_back(label + ": " + o);
    for (const auto& n : run->not_run) out.not_run.push_back(label + ": " + n);
    for (VariantResult v : run->variants) {
      v.name = label + ": " + v.name;
      out.variants.push_back(std::move(v));
    }
  }
  return out;
}

}  // namespace faultline
