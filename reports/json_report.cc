#include "reports/json_report.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>

namespace faultline {
namespace {

using nlohmann::json;

// NaN and infinities are not JSON: they become null.
json Number(double v) {
  if (!std::isfinite(v)) return nullptr;
  return v;
}

json Counts(const OutcomeCounts& c) {
  json status = json::object();
  for (const auto& [code, n] : c.status) status[std::to_string(code)] = n;
  return {{"total", c.total()},         {"ok", c.ok},           {"status", status},
          {"connect_error", c.connect_error}, {"reset", c.reset}, {"timeout", c.timeout},
          {"dropped", c.dropped}};
}

json Latency(const LatencyHistogram& h) {
  if (h.count() == 0) return {{"p50", nullptr}, {"p99", nullptr}, {"max", nullptr}};
  return {{"p50", h.Percentile(50) * 1e3}, {"p99", h.Percentile(99) * 1e3}, {"max", h.max() * 1e3}};
}

json Variant(const VariantResult& v) {
  json phases = json::array();
  for (const auto& p : v.phases)
    phases.push_back({{"name", p.name}, {"start_s", p.start_s}, {"end_s", p.end_s},
                      {"rate", p.rate}, {"faults", p.faults}});

  json samples = json::array();
  for (size_t i = 0; i < v.samples.t_s.size(); ++i) {
    json row = {{"t_s", std::round(v.samples.t_s[i] * 1000) / 1000}};
    for (const auto& name : v.samples.names) row[name] = Number(v.samples.values.at(name)[i]);
    samples.push_back(std::move(row));
  }

  json baseline = json::object();
  for (const auto& [k, val] : v.baseline) baseline[k] = Number(val);

  json per_second = json::array();
  const auto& buckets = v.requests.per_second();
  for (size_t i = 0; i < buckets.size(); ++i) {
    const auto& b = buckets[i];
    json row = Counts(b.counts);
    row["t_s"] = static_cast<double>(i);
    json lat = Latency(b.latency);
    row["p50_ms"] = lat["p50"];
    row["p99_ms"] = lat["p99"];
    per_second.push_back(std::move(row));
  }
  const RequestBucket total = v.requests.Total();
  json requests = Counts(total.counts);
  requests["latency_ms"] = Latency(total.latency);
  requests["abandoned"] = v.abandoned_requests;
  requests["per_second"] = std::move(per_second);

  json checks = json::array();
  for (const auto& c : v.checks)
    checks.push_back({{"name", c.name}, {"kind", ToString(c.kind)}, {"metric", c.metric},
                      {"passed", c.passed}, {"observed", Number(c.observed)},
                      {"limit", Number(c.limit)}, {"unit", ToString(c.unit)}, {"detail", c.detail},
                      {"computed", c.computed}});

  json events = json::array();
  for (const auto& e : v.events) events.push_back({{"t_s", e.t_s}, {"message", e.message}});
  json logs = json::array();
  for (const auto& l : v.logs) logs.push_back({{"name", l.name}, {"path", l.path}, {"tail", l.tail}});

  json scrape = nullptr;
  if (v.scrape)
    scrape = {{"url", v.scrape->url}, {"attempts", v.scrape->attempts},
              {"misses", v.scrape->misses},
              {"last_error", v.scrape->last_error.empty() ? json(nullptr) : json(v.scrape->last_error)}};

  return {{"name", v.name},
          {"expect", ToString(v.expect)},
          {"outcome", ToString(v.outcome)},
          {"met_expectation", v.met_expectation()},
          {"error", v.error.empty() ? json(nullptr) : json(v.error)},
          {"duration_s", v.duration_s},
          {"phases", phases},
          {"series", v.samples.names},
          {"baseline", baseline},
          {"samples", samples},
          {"requests", requests},
          {"checks", checks},
          {"events", events},
          {"logs", logs},
          {"scrape", scrape}};
}

}  // namespace

nlohmann::json ResultsToJson(const RunResult& r) {
  json variants = json::array();
  for (const auto& v : r.variants) variants.push_back(Variant(v));
  return {{"schema_version", kResultsSchemaVersion},
          {"faultline_version", r.faultline_version},
          {"scenario",
           {{"name", r.scenario_name},
            {"path", r.scenario_path},
            {"description", r.scenario_description},
            {"overrides", r.overrides},
            {"source", r.scenario_source}}},
          {"started_at", r.started_at},
          {"environment", r.environment},
          {"passed", r.passed()},
          {"interrupted", r.interrupted},
          {"error", r.error.empty() ? json(nullptr) : json(r.error)},
          {"variants", variants}};
}


StatusOr<nlohmann::json> ReadResultsJson(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::Invalid(path + ": cannot open: " + std::strerror(errno));
  std::stringstream ss;
  ss << in.rdbuf();
  json doc = json::parse(ss.str(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return Status::Invalid(path + ": not valid JSON");
  if (!doc.is_object() || !doc.contains("schema_version") ||
      !doc["schema_version"].is_number_integer())
    return Status::Invalid(path + ": not a faultline results file (no schema_version)");
  if (doc["schema_version"].get<int>() != kResultsSchemaVersion)
    return Status::Invalid(path + ": schema_version " + doc["schema_version"].dump() +
                           " is not supported (this faultline reads version " +
                           std::to_string(kResultsSchemaVersion) + ")");
  return doc;
}

}  // namespace faultline
