// The names of the sample series a run records; checks refer to them by
// these names (`metric = "threads"`), and the loader rejects any other.
#pragma once

#include <string>
#include <vector>

#include "harness/scenario/scenario.h"

namespace faultline {

/// The series every run samples, whatever the scenario: for the target's
/// process tree "threads", "processes", "rss_bytes", "fds", "cpu_percent",
/// "established", "close_wait"; from the load generator "in_flight" and
/// "connections".
const std::vector<std::string>& BuiltinMetrics();

/// BuiltinMetrics() plus "upstream.D" (open upstream connections of the fault
/// proxy) for every dependency D with proxy = true, in dependency order,
/// then the names of the target's scraped metrics ([target.scrape.metrics]).
std::vector<std::string> ScenarioMetrics(const Scenario& scenario);

}  // namespace faultline
