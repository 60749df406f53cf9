#include "harness/scenario/metrics.h"

#include <algorithm>

namespace faultline {
namespace {

constexpr std::string_view kUpstreamPrefix = "upstream.";

}  // namespace

const std::vector<BuiltinMetric>& BuiltinMetricTable() {
  static const std::vector<BuiltinMetric> table = {
      {"threads", "threads of the target's whole process tree"},
      {"rss_bytes", "resident memory of the tree, bytes"},
      {"fds", "open file descriptors of the tree"},
      {"cpu_percent", "CPU use of the tree, percent of one core"},
      {"processes", "processes in the target's tree"},
      {"established", "the tree's TCP sockets in ESTABLISHED"},
      {"close_wait",
       "the tree's TCP sockets in CLOSE_WAIT (growing: the target never noticed its client "
       "left)"},
      {"in_flight", "requests the load generator has in flight"},
      {"connections", "the load generator's open connections"},
      {"sample_ms", "how long the sampler's reads of the tree took, ms (the harness's own cost)"},
      {"loop_lag_ms", "the event loop's worst lateness since the previous sample, ms"},
  };
  return table;
}

const std::vector<std::string>& BuiltinMetrics() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const BuiltinMetric& m : BuiltinMetricTable()) out.push_back(m.name);
    return out;
  }();
  return names;
}

std::string UpstreamMetric(std::string_view dependency) {
  return std::string(kUpstreamPrefix) + std::string(dependency);
}

bool IsReservedMetricName(std::string_view name) {
  const auto& builtin = BuiltinMetrics();
  return name == "t_s" ||  // every sample row's time (results.json)
         std::find(builtin.begin(), builtin.end(), name) != builtin.end() ||
         name.substr(0, kUpstreamPrefix.size()) == kUpstreamPrefix;
}

std::vector<std::string> ScenarioMetrics(const Scenario& scenario) {
  std::vector<std::string> names = BuiltinMetrics();
  for (const ProcessSpec& dep : scenario.dependencies) {
    if (dep.proxy) names.push_back(UpstreamMetric(dep.name));
    if (dep.proxy && dep.protocol == ProcessSpec::Protocol::kHttp) {
      for (const char* series : {".in_flight", ".abandoned", ".orphans"})
        names.push_back(UpstreamMetric(dep.name) + series);
    }
  }
  if (scenario.target.scrape) {
    for (const auto& [name, selector] : scenario.target.scrape->metrics) names.push_back(name);
  }
  return names;
}

}  // namespace faultline
