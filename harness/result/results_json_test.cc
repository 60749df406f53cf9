#include "harness/result/results_json.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "harness/common/file.h"
#include "harness/common/test_temp_dir.h"

using namespace faultline;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

RunResult Sample() {
  RunResult r;
  r.faultline_version = "0.1.0";
  r.scenario_name = "demo";
  r.overrides = {"load.rate=5"};
  r.environment = {{"cores", "2"}};
  VariantResult v;
  v.name = "propagating";
  v.expect = Expectation::kPass;
  v.outcome = VariantOutcome::kPass;
  v.duration_s = 2;
  v.phases = {{"baseline", 0, 1, 100, {}}, {"hang", 1, 2, 100, {"hang inventory"}}};
  v.samples.Append(0, {{"threads", 5}, {"rss_bytes", 1048576}});
  v.samples.Append(0.1, {{"threads", 7}});
  v.baseline = {{"threads", 5}, {"rss_bytes", 1048576}, {"fds", NAN}};
  v.requests.Add({Outcome::kOk, 200, 0.2, 0.004, 0.0002, "", /*retried=*/true});
  v.requests.Add({Outcome::kHttpStatus, 504, 1.2, 2.0, 0.003});
  v.requests.Add({Outcome::kDropped, 0, 1.3, 0, 0});  // never sent: no start lag
  v.abandoned_requests = 3;
  v.checks.push_back({"threads bounded", CheckKind::kGrowth, "threads", true, 2, 300, Unit::kNone,
                      "peak 7 - baseline 5"});
  v.checks.push_back(
      {"p99", CheckKind::kLatency, "", false, NAN, 1, Unit::kSeconds, "no data", false});
  v.events.push_back({1.5, "event"});
  v.logs.push_back({"target", "logs/target.log", "tail\n"});
  v.scrape = ScrapeStats{"http://127.0.0.1:1/metrics", 20, 1, "timed out"};
  v.census.push_back(Census{"end", 21.5, 0.012, "native", 12, true, "2 threads exited during the census",
                            {{10, "S", "poll", {"__poll", "held::WaitInPoll (held_threads.cc:38)"}},
                             {2, "S", "futex", {}}}});
  r.variants.push_back(v);
  return r;
}

}  // namespace

TEST_CASE("results.json carries the documented fields") {
  auto j = ResultsToJson(Sample());
  CHECK(j["not_run"] == json::array());
  RunResult stopped = Sample();
  stopped.not_run = {"later"};
  CHECK(ResultsToJson(stopped)["not_run"] == json::array({"later"}));
  CHECK(ResultsToJson(stopped)["passed"] == false);
  CHECK(j["schema_version"] == 1);
  CHECK(j["passed"] == true);
  CHECK(j["complete"] == true);
  const auto& v = j["variants"][0];
  CHECK(v["name"] == "propagating");
  CHECK(v["outcome"] == "pass");
  CHECK(v["phases"][1]["name"] == "hang");
  CHECK(v["phases"][1]["start_s"] == 1.0);
  CHECK(v["samples"][1]["threads"] == 7.0);
  CHECK(v["samples"][1]["rss_bytes"].is_null());  // a gap, not a zero
  CHECK(v["requests"]["total"] == 3);
  CHECK(v["requests"]["dropped"] == 1);
  CHECK(v["requests"]["start_lag_ms"]["max"].get<double>() == doctest::Approx(3));
  CHECK(v["requests"]["start_lag_ms"]["p50"].get<double>() == doctest::Approx(0.2).epsilon(0.04));
  CHECK(v["requests"]["status"]["504"] == 1);
  CHECK(v["requests"]["latency_ms"]["max"].get<double>() == doctest::Approx(2000));
  CHECK(v["requests"]["abandoned"] == 3);
  CHECK(v["requests"]["retried"] == 1);
  CHECK(v["requests"]["per_second"][1]["t_s"] == 1.0);
  CHECK(v["checks"][0]["observed"] == 2.0);
  CHECK(v["checks"][0]["limit"] == 300.0);
  CHECK(v["checks"][1]["observed"].is_null());
  CHECK(v["census"][0]["at"] == "end");
  CHECK(v["census"][0]["pause_s"] == 0.012);
  CHECK(v["census"][0]["partial"] == true);
  CHECK(v["census"][0]["groups"][0]["count"] == 10);
  CHECK(v["census"][0]["groups"][0]["syscall"] == "poll");
  CHECK(v["census"][0]["groups"][0]["frames"][1] == "held::WaitInPoll (held_threads.cc:38)");
}

TEST_CASE("a variant that missed its expectation fails the run") {
  RunResult r = Sample();
  r.variants[0].outcome = VariantOutcome::kFail;
  CHECK_FALSE(r.passed());
  r.variants[0].expect = Expectation::kFail;
  CHECK(r.passed());
  r.interrupted = true;
  CHECK_FALSE(r.passed());
  r.interrupted = false;
  r.not_run = {"later"};  // the run stopped before a variant
  CHECK_FALSE(r.passed());
  r.not_run.clear();
  r.complete = false;  // a copy written while the run went on
  CHECK_FALSE(r.passed());
  CHECK(ResultsToJson(r)["passed"] == false);
  CHECK(ResultsToJson(r)["complete"] == false);
  StatusOr<RunResult> read = ResultsFromJson(ResultsToJson(r));
  REQUIRE(read.ok());
  CHECK_FALSE(read->complete);
}

TEST_CASE("what the reader reads the writer writes again byte for byte") {
  RunResult sample = Sample();
  sample.not_run = {"later"};
  const json written = ResultsToJson(sample);
  StatusOr<RunResult> read = ResultsFromJson(written);
  REQUIRE_MESSAGE(read.ok(), read.status().message());
  const VariantResult& v = read->variants[0];
  REQUIRE(v.request_summary);
  CHECK(v.request_summary->counts.status.at(504) == 1);
  CHECK(v.request_summary->per_second.size() == 2);
  CHECK(v.requests.per_second().empty());  // no histograms in the file
  CHECK(std::isnan(v.checks[1].observed));
  CHECK_FALSE(v.checks[1].computed);
  CHECK(v.scrape->last_error == "timed out");
  CHECK(v.request_summary->retried == 1);
  CHECK(read->not_run == std::vector<std::string>{"later"});
  CHECK(ResultsJsonText(*read) == ResultsJsonText(sample));
}

TEST_CASE("the reader ignores unknown fields and defaults fields older files lack") {
  json doc = ResultsToJson(Sample());
  doc["written_by"] = "a newer faultline";
  doc["variants"][0]["heap_profile"] = json::array({1, 2});  // "census" became a field (issue 14)
  doc["variants"][0].erase("census");  // files before issue 14 have none
  doc["variants"][0]["checks"][0]["window"] = "hang";
  // The first schema_version 1 writer had no scrape, abandoned or computed.
  doc["variants"][0].erase("scrape");
  doc["variants"][0]["requests"].erase("abandoned");
  doc["variants"][0]["requests"].erase("retried");
  doc.erase("complete");
  doc.erase("not_run");  // files before 28 Nov 2026
  doc["variants"][0]["checks"][1].erase("computed");
  // Files before issue 8 have no start lag.
  doc["variants"][0]["requests"].erase("start_lag_ms");
  StatusOr<RunResult> read = ResultsFromJson(doc);
  REQUIRE_MESSAGE(read.ok(), read.status().message());
  CHECK(std::isnan(read->variants[0].request_summary->start_lag.p99_ms));
  CHECK_FALSE(read->variants[0].scrape);
  CHECK(read->variants[0].abandoned_requests == 0);
  CHECK(read->variants[0].request_summary->retried == 0);
  CHECK(read->complete);
  CHECK(read->not_run.empty());
  CHECK(read->variants[0].checks[1].computed);
}

TEST_CASE("the reader names the field it cannot read by its path") {
  json doc = ResultsToJson(Sample());
  doc["variants"].push_back(doc["variants"][0]);
  doc["variants"][1].erase("outcome");
  CHECK(ResultsFromJson(doc).status().message() == "variants[1].outcome: missing required field");
  doc["variants"][1]["outcome"] = "passs";
  CHECK(ResultsFromJson(doc).status().message() ==
        "variants[1].outcome: \"passs\" is not one of \"pass\", \"fail\", \"error\" or "
        "\"interrupted\"");
  doc["variants"][1]["outcome"] = "pass";
  doc["variants"][1]["baseline"]["upstream.inventory"] = "6";
  CHECK(ResultsFromJson(doc).status().message() ==
        "variants[1].baseline[\"upstream.inventory\"]: expected a number, got string");
}

TEST_CASE("ReadResultsFile rejects what is not a results file") {
  fs::path dir = testing::MakeTempDir("results-json");
  std::string path = (dir / "r.json").string();
  REQUIRE(WriteFileAtomic(path, "{not json").ok());
  CHECK(ReadResultsFile(path).status().message() == path + ": not valid JSON");
  REQUIRE(WriteFileAtomic(path, R"({"schema_version": 99})").ok());
  CHECK(ReadResultsFile(path).status().message() ==
        path + ": schema_version 99 is not supported (this faultline reads version 1)");
  REQUIRE(WriteFileAtomic(path, R"({"schema_version": "1"})").ok());
  CHECK(ReadResultsFile(path).status().message() ==
        path + ": schema_version: expected an integer, got \"1\"");
  REQUIRE(WriteFileAtomic(path, R"({"variants": []})").ok());
  CHECK(ReadResultsFile(path).status().message() ==
        path + ": not a faultline results file (no schema_version)");
  REQUIRE(WriteFileAtomic(path, R"({"schema_version": 1, "variants": [{"name": 1}]})").ok());
  CHECK(ReadResultsFile(path).status().message() ==
        path + ": variants[0].name: expected a string, got number");
  REQUIRE(WriteFileAtomic(path, ResultsJsonText(Sample())).ok());
  auto ok = ReadResultsFile(path);
  REQUIRE(ok.ok());
  CHECK(ok->scenario_name == "demo");
  fs::remove_all(dir);
}

TEST_CASE("the request summary has a row per second and no latency where nothing was sent") {
  RequestStats stats;
  stats.Add({Outcome::kOk, 200, 0.5, 0.010});
  stats.Add({Outcome::kDropped, 0, 2.5, 0});
  const RequestSummary s = Summarize(stats);
  CHECK(s.counts.total() == 2);
  CHECK(s.latency.max_ms == doctest::Approx(10));
  REQUIRE(s.per_second.size() == 3);
  CHECK(s.per_second[2].t_s == 2);
  CHECK(s.per_second[2].counts.dropped == 1);
  CHECK(std::isnan(s.per_second[1].p50_ms));
  CHECK(std::isnan(s.per_second[2].p99_ms));  // dropped requests have no latency
  CHECK(std::isnan(Summarize(RequestStats{}).latency.p50_ms));
}

TEST_CASE("the cancellation audit per dependency round-trips through results.json") {
  RunResult r = Sample();
  CancellationSummary c;
  c.forwarded = true;
  c.upstream_requests = 40;
  c.gave_up = 12;
  c.ended_before = 2;
  c.ended_after = 3;
  c.never_ended = 7;
  c.untraced = 4;
  c.outlived = LatencySummary{250, 1900, 2000};
  c.orphans = 9;
  c.open_at_end = 10;
  c.client_in_flight_at_end = 1;
  c.outlived_histogram = {{0, 2}, {250, 1}, {2000, 2}, {INFINITY, 0}};
  c.outlived_s = {0, 0, 0.25, 1.9, 2};  // in memory only
  r.variants[0].cancellation["inventory"] = c;
  r.variants[0].cancellation["cache"] = CancellationSummary{};  // not forwarded, nothing seen

  const json j = ResultsToJson(r);
  const json& inv = j["variants"][0]["cancellation"]["inventory"];
  CHECK(inv["forwarded"] == true);
  CHECK(inv["gave_up"] == 12);
  CHECK(inv["ended_before"] == 2);
  CHECK(inv["ended_after"] == 3);
  CHECK(inv["never_ended"] == 7);
  CHECK(inv["untraced"] == 4);
  CHECK(inv["outlived_ms"]["p99"] == 1900.0);
  CHECK(inv["orphans"] == 9);
  CHECK(inv["outlived_histogram"][3]["le_ms"].is_null());  // +infinity
  CHECK(j["variants"][0]["cancellation"]["cache"]["outlived_ms"]["p50"].is_null());
  CHECK(ResultsToJson(Sample())["variants"][0]["cancellation"] == json::object());

  StatusOr<RunResult> read = ResultsFromJson(j);
  REQUIRE_MESSAGE(read.ok(), read.status().message());
  const CancellationSummary& back = read->variants[0].cancellation.at("inventory");
  CHECK(back.orphans == 9);
  CHECK(back.untraced == 4);
  CHECK(back.outlived.max_ms == 2000);
  CHECK(std::isinf(back.outlived_histogram.back().first));
  CHECK(back.outlived_s.empty());
  CHECK(ResultsJsonText(*read) == ResultsJsonText(r));

  // Files before issue 10 have none.
  json old = j;
  old["variants"][0].erase("cancellation");
  StatusOr<RunResult> older = ResultsFromJson(old);
  REQUIRE(older.ok());
  CHECK(older->variants[0].cancellation.empty());
  old["variants"][0]["cancellation"] = {{"inventory", 3}};
  CHECK(ResultsFromJson(old).status().message() ==
        "variants[0].cancellation.inventory: expected an object, got number");
}

TEST_CASE("a check's window - failure time and limit expression round-trip and may be absent") {
  RunResult run = Sample();
  CheckResult& c = run.variants[0].checks[0];
  c.limit_expression = "1.5 * ${load.rate} * 2s";
  c.window_start_s = 1;
  c.window_end_s = 2;
  c.at_s = 1.4;
  const json doc = ResultsToJson(run);
  const json& written = doc["variants"][0]["checks"];
  CHECK(written[0]["limit_expression"] == "1.5 * ${load.rate} * 2s");
  CHECK(written[0]["window_start_s"] == 1.0);
  CHECK(written[0]["window_end_s"] == 2.0);
  CHECK(written[0]["at_s"] == 1.4);
  CHECK(written[1]["limit_expression"].is_null());  // written as a value
  CHECK(written[1]["at_s"].is_null());               // not measured: null, never 0
  StatusOr<RunResult> read = ResultsFromJson(doc);
  REQUIRE_MESSAGE(read.ok(), read.status().message());
  CHECK(read->variants[0].checks[0].limit_expression == "1.5 * ${load.rate} * 2s");
  CHECK(read->variants[0].checks[0].at_s == 1.4);
  CHECK(ResultsJsonText(*read) == ResultsJsonText(run));

  // Files written before issue 12 have none of them.
  json old = doc;
  for (const char* key : {"limit_expression", "window_start_s", "window_end_s", "at_s"})
    old["variants"][0]["checks"][0].erase(key);
  read = ResultsFromJson(old);
  REQUIRE_MESSAGE(read.ok(), read.status().message());
  const CheckResult& o = read->variants[0].checks[0];
  CHECK(o.limit_expression.empty());
  CHECK(std::isnan(o.window_start_s));
  CHECK(std::isnan(o.window_end_s));
  CHECK(std::isnan(o.at_s));
}
