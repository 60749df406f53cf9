#include "harness/scenario/metrics.h"

namespace faultline {

const std::vector<std::string>& BuiltinMetrics() {
  static const std::vector<std::string> names = {
      "threads",     "processes",  "rss_bytes", "fds",         "cpu_percent",
      "established", "close_wait", "in_flight", "connections",
  };
  return names;
}

std::vector<std::string> ScenarioMetrics(const Scenario& scenario) {
  std::vector<std::string> names = BuiltinMetrics();
  for (const ProcessSpec& dep : scenario.dependencies) {
    if (dep.proxy) names.push_back("upstream." + dep.name);
  }
  if (scenario.target.scrape) {
    for (const auto& [name, selector] : scenario.target.scrape->metrics) names.push_back(name);
  }
  return names;
}

}  // namespace faultline
