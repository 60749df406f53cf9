// ResultsToJson: the one results.json writer.
#include "harness/result/results_json.h"

#include <cmath>

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

json Requests(const VariantResult& v) {
  const RequestSummary summary = v.SummarizedRequests();
  json per_second = json::array();
  for (const auto& second : summary.per_second) {
    json row = Counts(second.counts);
    row["t_s"] = second.t_s;
    row["p50_ms"] = Number(second.p50_ms);
    row["p99_ms"] = Number(second.p99_ms);
    per_second.push_back(std::move(row));
  }
  auto ms = [](const LatencySummary& l) {
    return json{{"p50", Number(l.p50_ms)}, {"p99", Number(l.p99_ms)}, {"max", Number(l.max_ms)}};
  };
  json requests = Counts(summary.counts);
  requests["latency_ms"] = ms(summary.latency);
  requests["start_lag_ms"] = ms(summary.start_lag);
  requests["abandoned"] = v.abandoned_requests;
  requests["retried"] = summary.retried;
  requests["per_second"] = std::move(per_second);
  return requests;
}

// The cancellation audit per dependency (an empty object when none ran).
json Cancellation(const VariantResult& v) {
  json out = json::object();
  for (const auto& [dependency, c] : v.cancellation) {
    json histogram = json::array();
    for (const auto& [bound, n] : c.outlived_histogram)
      histogram.push_back({{"le_ms", Number(bound)}, {"count", n}});
    out[dependency] = {
        {"forwarded", c.forwarded},
        {"upstream_requests", c.upstream_requests},
        {"gave_up", c.gave_up},
        {"ended_before", c.ended_before},
        {"ended_after", c.ended_after},
        {"never_ended", c.never_ended},
        {"untraced", c.untraced},
        {"outlived_ms",
         {{"p50", Number(c.outlived.p50_ms)},
          {"p99", Number(c.outlived.p99_ms)},
          {"max", Number(c.outlived.max_ms)}}},
        {"orphans", c.orphans},
        {"open_at_end", c.open_at_end},
        {"client_in_flight_at_end", c.client_in_flight_at_end},
        {"outlived_histogram", std::move(histogram)}};
  }
  return out;
}

json CensusList(const std::vector<Census>& list) {
  json out = json::array();
  for (const Census& c : list) {
    json groups = json::array();
    for (const CensusGroup& g : c.groups)
      groups.push_back({{"count", g.count}, {"state", g.state}, {"syscall", g.syscall},
                        {"frames", g.frames}});
    out.push_back({{"at", c.at}, {"t_s", Number(c.t_s)}, {"pause_s", Number(c.pause_s)},
                   {"source", c.source}, {"total", c.total}, {"partial", c.partial},
                   {"reason", c.reason.empty() ? json(nullptr) : json(c.reason)},
                   {"groups", std::move(groups)}});
  }
  return out;
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

  json checks = json::array();
  for (const auto& c : v.checks)
    checks.push_back({{"name", c.name}, {"kind", ToString(c.kind)}, {"metric", c.metric},
                      {"passed", c.passed}, {"observed", Number(c.observed)},
                      {"limit", Number(c.limit)}, {"unit", ToString(c.unit)}, {"detail", c.detail},
                      {"computed", c.computed},
                      {"limit_expression",
                       c.limit_expression.empty() ? json(nullptr) : json(c.limit_expression)},
                      {"window_start_s", Number(c.window_start_s)},
                      {"window_end_s", Number(c.window_end_s)}, {"at_s", Number(c.at_s)}});

  json events = json::array();
  for (const auto& e : v.events) events.push_back({{"t_s", e.t_s}, {"message", e.message}});
  json logs = json::array();
  for (const auto& l : v.logs)
    logs.push_back({{"name", l.name}, {"path", l.path}, {"tail", l.tail}});

  json scrape = nullptr;
  if (v.scrape)
    scrape = {{"url", v.scrape->url},
              {"attempts", v.scrape->attempts},
              {"misses", v.scrape->misses},
              {"last_error",
               v.scrape->last_error.empty() ? json(nullptr) : json(v.scrape->last_error)}};

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
          {"requests", Requests(v)},
          {"checks", checks},
          {"events", events},
          {"logs", logs},
          {"scrape", scrape},
          {"cancellation", Cancellation(v)},
          {"census", CensusList(v.census)}};
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
          {"complete", r.complete},
          {"error", r.error.empty() ? json(nullptr) : json(r.error)},
          {"variants", variants},
          {"not_run", r.not_run}};
}

std::string ResultsJsonText(const RunResult& result) {
  return ResultsToJson(result).dump(1, ' ', false, json::error_handler_t::replace) + "\n";
}

}  // namespace faultline
