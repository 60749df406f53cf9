#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "harness/common/file.h"
#include "harness/common/test_temp_dir.h"
#include "reports/html_report.h"
#include "reports/junit_report.h"
#include "reports/markdown_report.h"
#include "reports/report_checks.h"
#include "reports/report_figures.h"
#include "reports/sample_results.h"
#include "reports/terminal.h"

using namespace faultline;
using faultline::testing::Has;
namespace fs = std::filesystem;

TEST_CASE("WriteFileAtomic replaces the file and leaves no temporary behind") {
  fs::path dir = testing::MakeTempDir("reports");
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

TEST_CASE("the summary shows metrics - requests - latency and every check") {
  std::string s = RenderSummary(testing::AbRun());
  CHECK(s.find("variant propagating (expected pass): PASS, as expected\n") != std::string::npos);
  CHECK(s.find("  threads                    6         206           6\n") != std::string::npos);
  CHECK(s.find("  close_wait               n/a           0           0\n") != std::string::npos);
  CHECK(s.find("requests 220: ok 121, 504 99, timeout 0") != std::string::npos);
  CHECK(s.find("p99 2.01s") != std::string::npos);
  CHECK(s.find("pass threads bounded") != std::string::npos);
  CHECK(s.find("FAIL threads back to baseline after the hang  observed        n/a") !=
        std::string::npos);
  CHECK(s.find("PASSED: 2 of 2 variants met their expectation") != std::string::npos);
}

// A fault flapping every 10 ms: 2,000 events made a 4,000-line summary.
TEST_CASE("the summary shows a variant's first 20 events and counts the rest") {
  RunResult r = testing::AbRun();
  r.variants[0].events.clear();
  for (int i = 0; i < 2000; ++i) r.variants[0].events.push_back({1 + i * 0.01, "faults on x"});
  const std::string s = RenderSummary(r);
  size_t lines = 0;
  for (size_t at = s.find(": faults on x\n"); at != std::string::npos;
       at = s.find(": faults on x\n", at + 1))
    ++lines;
  CHECK(lines == 20);
  CHECK(s.find("  ... and 1980 more events (all in results.json and report.html)\n") !=
        std::string::npos);
}

TEST_CASE("the summary of a variant with nothing measured shows gaps") {
  RunResult r = testing::EmptyRun();
  r.interrupted = true;
  CHECK(RenderSummary(r) ==
        "\nscenario \n\nvariant empty (expected pass): ERROR, NOT as expected\n"
        "  requests 0: ok 0, timeout 0, reset 0, connect error 0, dropped 0\n"
        "  latency  p50 n/a  p99 n/a  max n/a\n\n"
        "interrupted: the run did not finish\n"
        "INTERRUPTED: 0 of 1 variants met their expectation\n");
}

// The verdict every report shows is the exit code's: 3 (ERROR) for a
// variant that could not be judged, and no verdict at all for a copy of
// results.json written before the run ended.
TEST_CASE("the run's verdict follows the exit code and a copy written mid-run has none") {
  RunResult run = testing::AbRun();
  CHECK(RunVerdict(run) == "PASSED");
  run.variants[1].outcome = VariantOutcome::kError;  // the naive target crashed
  CHECK(RunVerdict(run) == "ERROR");
  CHECK(Has(RenderSummary(run), "\nERROR: 1 of 2 variants met their expectation\n"));

  RunResult first = testing::AbRun();
  first.variants.pop_back();  // killed while the second variant ran
  first.complete = false;
  CHECK_FALSE(first.passed());
  CHECK(RunVerdict(first) == "INCOMPLETE");
  const std::string summary = RenderSummary(first);
  CHECK(Has(summary, IncompleteNotice()));
  CHECK(Has(summary, "\nINCOMPLETE: 1 of 1 variants met their expectation\n"));
  CHECK(Has(RenderMarkdown(first), "INCOMPLETE"));
  CHECK(Has(RenderHtml(first), "<div class=\"verdict INCOMPLETE\">INCOMPLETE</div>"));
  const std::string xml = RenderJunit(first);
  CHECK(Has(xml, "name=\"run completed\""));
  CHECK(Has(xml, "type=\"incomplete\""));
}

TEST_CASE("requests in flight at an interrupt are shown beside the counts") {
  RunResult run = testing::AbRun();
  run.interrupted = true;
  run.variants[1].abandoned_requests = 43;
  const std::string note =
      "and 43 requests still in flight when the run was interrupted: no outcome, not in these "
      "counts";
  CHECK(Has(RenderSummary(run), note));
  CHECK(Has(RenderMarkdown(run), note));
  CHECK(Has(RenderHtml(run), note));
  CHECK_FALSE(Has(RenderSummary(testing::AbRun()), "still in flight"));
}

TEST_CASE("requests sent a second time are shown beside the counts") {
  RunResult run = testing::AbRun();
  for (auto& v : run.variants) v.request_summary = v.SummarizedRequests();
  run.variants[0].request_summary->retried = 3;
  const std::string note = "3 requests were sent a second time, on a new connection";
  CHECK(Has(RenderSummary(run), note));
  CHECK(Has(RenderMarkdown(run), note));
  CHECK(Has(RenderHtml(run), note));
  CHECK_FALSE(Has(RenderSummary(testing::AbRun()), "a second time"));
}

TEST_CASE("the progress line shows growth against the baseline") {
  const Progress p{.variant = "naive", .phase = "hang", .elapsed_s = 12.3, .total_s = 22, .rate = 100,
                   .in_flight = 180, .threads = 205, .threads_baseline = 5,
                   .rss_bytes = 10 * 1048576.0, .rss_baseline = 2 * 1048576.0, .has_baseline = true};
  std::string line = RenderProgress(p);
  CHECK(line.find("threads 205 (+200)") != std::string::npos);
  CHECK(line.find("rss 10.0 MiB (+8.0 MiB)") != std::string::npos);
}

TEST_CASE("the summary prints a variant's error once") {
  RunResult r = testing::EmptyRun();
  r.variants[0].error = "process \"target\" not ready after 1s";
  r.error = "variant empty: process \"target\" not ready after 1s";
  const std::string s = RenderSummary(r);
  CHECK(s.find("  error: process \"target\" not ready after 1s\n") != std::string::npos);
  CHECK(s.find("not ready") == s.rfind("not ready"));
  r.error = "internal error: boom";  // not a variant's: shown on its own line
  CHECK(RenderSummary(r).find("\nerror: internal error: boom\n") != std::string::npos);
}

TEST_CASE("the summary shows no control sequence from a log or a results file") {
  RunResult r = testing::EmptyRun();
  r.variants[0].error = "exited: boom \x1b]0;TITLE\x07\x1b[2J\x1b[31mred\xC2\x9B" "2J";
  const std::string s = RenderSummary(r);
  CHECK(s.find('\x1b') == std::string::npos);
  CHECK(s.find('\x07') == std::string::npos);
  CHECK(s.find("\xC2\x9B") == std::string::npos);
  CHECK(s.find("boom ]0;TITLE\xEF\xBF\xBD" "red\xEF\xBF\xBD" "2J") !=
        std::string::npos);
}
