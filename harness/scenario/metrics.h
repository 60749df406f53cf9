// The names of the sample series a run records; checks refer to them by
// these names (`metric = "threads"`), and the loader rejects any other.
// Adding a built-in metric: a row in BuiltinMetricTable() (metrics.cc), its
// sampler, and its tests; the reference in docs/scenarios.md follows.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "harness/scenario/scenario.h"

namespace faultline {

/// A series every run samples, with one line of documentation.
struct BuiltinMetric {
  std::string name;  // "threads"
  std::string doc;   // "threads of the target's whole process tree"
};

/// The series every run samples, whatever the scenario, in report order.
const std::vector<BuiltinMetric>& BuiltinMetricTable();

/// The names of BuiltinMetricTable(): for the target's process tree
/// "threads", "processes", "rss_bytes", "fds", "cpu_percent",
/// "established", "close_wait"; from the load generator "in_flight" and
/// "connections".
const std::vector<std::string>& BuiltinMetrics();

/// "upstream.D": open upstream connections of the fault proxy in front of
/// dependency D.
std::string UpstreamMetric(std::string_view dependency);

/// True for a name a scraped series may not take: a built-in metric's, or
/// one starting with "upstream.".
bool IsReservedMetricName(std::string_view name);

/// BuiltinMetrics() plus UpstreamMetric(D) for every dependency D with
/// proxy = true, in dependency order, then the names of the target's scraped
/// metrics ([target.scrape.metrics]).
std::vector<std::string> ScenarioMetrics(const Scenario& scenario);

}  // namespace faultline
