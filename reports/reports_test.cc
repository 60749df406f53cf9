#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "reports/json_report.h"
#include "reports/terminal.h"

using namespace faultline;
namespace fs = std::filesystem;

namespace {

RunResult Sample() {
  RunResult r;
  r.faultline_version = "0.1.0";
  r.scenario_name = "demo";
  VariantResult v;
  v.name = "propagating";
  v.expect = Expectation::kPass;
  v.outcome = VariantOutcome::kPass;
  v.phases = {{"baseline", 0, 1, 100, {}}, {"hang", 1, 2, 100, {"hang inventory"}}};
  v.samples.Append(0, {{"threads", 5}, {"rss_bytes", 1048576}});
  v.samples.Append(0.1, {{"threads", 7}});
  v.baseline = {{"threads", 5}, {"rss_bytes", 1048576}};
  v.requests.Add({Outcome::kOk, 200, 0.2, 0.004});
  v.requests.Add({Outcome::kHttpStatus, 504, 1.2, 2.0});
  v.checks.push_back({"threads bounded", CheckKind::kGrowth, "threads", true, 2, 300, Unit::kNone, "peak 7 - baseline 5"});
  r.variants.push_back(v);
  return r;
}

fs::path TempDir() {
  char tmpl[] = "/tmp/faultline-reports-XXXXXX";
  REQUIRE(::mkdtemp(tmpl) != nullptr);
  return tmpl;
}

}  // namespace

TEST_CASE("results.json carries the documented fields") {
  auto j = ResultsToJson(Sample());
  CHECK(j["schema_version"] == 1);
  CHECK(j["passed"] == true);
  const auto& v = j["variants"][0];
  CHECK(v["name"] == "propagating");
  CHECK(v["outcome"] == "pass");
  CHECK(v["phases"][1]["name"] == "hang");
  CHECK(v["phases"][1]["start_s"] == 1.0);
  CHECK(v["samples"][1]["threads"] == 7.0);
  CHECK(v["samples"][1]["rss_bytes"].is_null());  // a gap, not a zero
  CHECK(v["requests"]["total"] == 2);
  CHECK(v["requests"]["status"]["504"] == 1);
  CHECK(v["requests"]["latency_ms"]["max"].get<double>() == doctest::Approx(2000));
  CHECK(v["checks"][0]["observed"] == 2.0);
  CHECK(v["checks"][0]["limit"] == 300.0);
}

TEST_CASE("a variant that missed its expectation fails the run") {
  RunResult r = Sample();
  r.variants[0].outcome = VariantOutcome::kFail;
  CHECK_FALSE(r.passed());
  r.variants[0].expect = Expectation::kFail;
  CHECK(r.passed());
  r.interrupted = true;
  CHECK_FALSE(r.passed());
}

TEST_CASE("WriteFileAtomic replaces the file and leaves no temporary behind") {
  fs::path dir = TempDir();
  std::string path = (dir / "results.json").string();
  REQUIRE(WriteFileAtomic(path, "first").ok());
  REQUIRE(WriteFileAtomic(path, "second").ok());
  std::ifstream in(path);
  std::string s((std::istreambuf_iterator<char>(in)), {});
  CHECK(s == "second");
  CHECK(std::distance(fs::directory_iterator(dir), fs::directory_iterator()) == 1);
  Status bad = WriteFileAtomic((dir / "missing" / "x.json").string(), "x");
  CHECK(bad.code() == Status::Code::kUnavailable);
  fs::remove_all(dir);
}

TEST_CASE("ReadResultsJson rejects what is not a results file") {
  fs::path dir = TempDir();
  std::string path = (dir / "r.json").string();
  REQUIRE(WriteFileAtomic(path, "{not json").ok());
  CHECK(ReadResultsJson(path).status().message() == path + ": not valid JSON");
  REQUIRE(WriteFileAtomic(path, R"({"schema_version": 99})").ok());
  CHECK(ReadResultsJson(path).status().message() ==
        path + ": schema_version 99 is not supported (this faultline reads version 1)");
  REQUIRE(WriteFileAtomic(path, ResultsToJson(Sample()).dump()).ok());
  auto ok = ReadResultsJson(path);
  REQUIRE(ok.ok());
  CHECK((*ok)["scenario"]["name"] == "demo");
  fs::remove_all(dir);
}

TEST_CASE("the summary shows metrics - requests - latency and every check") {
  std::string s = RenderSummary(ResultsToJson(Sample()));
  CHECK(s.find("variant propagating (expected pass): PASS, as expected") != std::string::npos);
  CHECK(s.find("threads") != std::string::npos);
  CHECK(s.find("requests 2: ok 1, 504 1, timeout 0") != std::string::npos);
  CHECK(s.find("p99 2.00s") != std::string::npos);
  CHECK(s.find("pass threads bounded") != std::string::npos);
  CHECK(s.find("PASSED: 1 of 1 variants met their expectation") != std::string::npos);
}

TEST_CASE("the progress line shows growth against the baseline") {
  Progress p;
  p.variant = "naive";
  p.phase = "hang";
  p.elapsed_s = 12.3;
  p.total_s = 22;
  p.rate = 100;
  p.in_flight = 180;
  p.threads = 205;
  p.threads_baseline = 5;
  p.rss_bytes = 10 * 1048576.0;
  p.rss_baseline = 2 * 1048576.0;
  p.has_baseline = true;
  std::string line = RenderProgress(p);
  CHECK(line.find("threads 205 (+200)") != std::string::npos);
  CHECK(line.find("rss 10.0 MiB (+8.0 MiB)") != std::string::npos);
}
