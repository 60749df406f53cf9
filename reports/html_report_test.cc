#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "harness/result/results_json.h"
#include "reports/before_after.h"
#include "reports/cancellation_report.h"
#include "reports/html_report.h"
#include "reports/text_format.h"
#include "reports/report_checks.h"
#include "reports/sample_results.h"

using namespace faultline;
using faultline::testing::CheckNone;
using faultline::testing::Count;
using faultline::testing::Has;

namespace {

// Nothing the page could fetch: no URL anywhere, no src= at all.
void CheckSelfContained(const std::string& html) {
  CheckNone(html, {"http://", "https://", "src=", "<link", "@import", "url("});
  CHECK(Has(html, "Content-Security-Policy\" content=\"default-src 'none'"));
}

}  // namespace

TEST_CASE("the HTML report shows verdict - description - a chart per metric and the checks") {
  const std::string html = RenderHtml(testing::AbRun());
  CheckSelfContained(html);
  CHECK(Has(html, "<div class=\"verdict PASSED\">PASSED</div><div><h1>hung-dependency</h1>"));
  CHECK(Has(html, "the naive one piles up a thread per request."));
  // A chart per series (custom ones too), per outcome class, and latency.
  for (const char* title : {"Threads <code>threads</code>", "Resident memory (RSS) <code>rss_bytes</code>",
                            "Open file descriptors", "TCP sockets in CLOSE_WAIT",
                            "Requests in flight", "<span>goroutines</span>",
                            "Requests per second: ok", "Requests per second: HTTP 504",
                            "Requests per second: timeout", "Latency p50 per second",
                            "Latency p99 per second"})
    CHECK_MESSAGE(Has(html, title), title);
  const size_t charts = Count(html, "<svg class=\"chart\"");
  CHECK(charts == 11);
  CHECK(Count(html, "</svg>") == charts);
  // Both variants on every chart, in their own colour, faults shaded and labelled.
  CHECK(Count(html, "<g class=\"line\" stroke=\"#0072B2\"") == charts);
  CHECK(Count(html, "<g class=\"line\" stroke=\"#D55E00\"") == charts);
  CHECK(Count(html, "<g class=\"band fault\">") == charts);
  CHECK(Has(html, "class=\"bandlabel faultlabel\">hang: hang inventory</text>"));
  CHECK(Count(html, "<polyline") >= 2 * charts);
  // Checks: observed vs limit with units, the result, and the expectation.
  CHECK(Has(html, "<td>threads bounded by rate x budget during the hang</td><td>growth of threads</td>"
                  "<td class=\"num\">950.4</td><td class=\"num\">300</td>"
                  "<td><span class=\"badge exp\">fail, as expected</span>"));
  CHECK(Has(html, "<td class=\"num\">5.3 MiB</td><td class=\"num\">64.0 MiB</td>"));
  CHECK(Has(html, "naive <span class=\"meta\">expected to fail</span>"));
  CHECK(Has(html, "FAIL, as expected"));
  // Requests by outcome, logs, source and environment.
  CHECK(Has(html, "<td>HTTP 504</td>"));
  CHECK(Has(html, "listening on 127.0.0.1:40001\nGET /order 200\n</pre>"));
  CHECK(Has(html, "name = &quot;hung-dependency&quot;\n[load]"));
  CHECK(Has(html, "<dt>kernel</dt><dd>Linux 6.1.0</dd>"));
  CHECK(Has(html, "<dt>started at</dt><dd>2026-11-25T20:00:00Z</dd>"));
  CHECK(Has(html, "<dt>faultline</dt><dd>0.1.0</dd>"));
  CHECK(Has(html, "still holds 959 threads"));
}

TEST_CASE("every string from the results is escaped in the HTML report") {
  const std::string html = RenderHtml(testing::HostileRun());
  CheckSelfContained(html);
  CheckNone(html, {"<script", "<b>", "\x1b"});
  CHECK(Count(html, "<svg") == Count(html, "</svg>"));
  CHECK(Count(html, "<svg") >= 2);
  CHECK(Count(html, "<pre>") == Count(html, "</pre>"));
  CHECK(Count(html, "<table") == Count(html, "</table>"));
  const std::string escaped =
      "&lt;script&gt;alert(&quot;x&amp;y&quot;)&lt;/script&gt;&lt;/svg&gt;&lt;b&gt;&#39;q&#39;&lt;/b&gt;";
  for (const char* where : {"<h1>name ", "description ", "variant ", "check ", "event ", "tail ",
                            "source ", "kernel ", "fault phase ", "series ", "errored ",
                            "target did not start: ", "run error "})
    CHECK_MESSAGE(Has(html, std::string(where) + escaped), where);
  CHECK(Has(html, "ERROR</div>"));
  CHECK(Has(html, "\xEF\xBF\xBD binary"));  // the log's control and invalid bytes replaced
}

TEST_CASE("the HTML report is deterministic and survives a round trip through results.json") {
  const RunResult run = testing::AbRun();
  const std::string a = RenderHtml(run);
  CHECK(a == RenderHtml(run));
  // Read back from the JSON text, requests come from the file's summary
  // instead of the run's histograms: the same bytes.
  StatusOr<RunResult> read = ResultsFromJson(nlohmann::json::parse(ResultsJsonText(run)));
  REQUIRE(read.ok());
  CHECK(a == RenderHtml(*read));
}

TEST_CASE("the harness cost section shows sample cost - loop lag and start lag apart from the metrics") {
  const std::string html = RenderHtml(testing::AbRun());
  const size_t section = html.find("<h2 id=\"harness\">Harness cost</h2>");
  REQUIRE(section != std::string::npos);
  // sample p50 / max, loop lag p99 / max, start lag p50 / p99 / max, per variant.
  CHECK(Has(html, "propagating</td><td class=\"num\">0.40ms</td><td class=\"num\">0.80ms</td>"
                  "<td class=\"num\">0.11ms</td><td class=\"num\">0.11ms</td>"));
  CHECK(Has(html, "<td class=\"num\">0.09ms</td><td class=\"num\">0.14ms</td>"
                  "<td class=\"num\">0.14ms</td></tr>"));
  // Not target metrics: no chart, no row in the baseline/peak/end table.
  CHECK_FALSE(Has(html.substr(0, section), "sample_ms"));
  CHECK_FALSE(Has(html.substr(0, section), "loop_lag_ms"));
  CHECK(Count(html, "<svg class=\"chart\"") == 11);
}

TEST_CASE("results without harness figures render exactly as before - without the section") {
  const RunResult run = testing::AbRun();
  const std::string with = RenderHtml(run);
  nlohmann::json doc = ResultsToJson(run);
  for (auto& v : doc["variants"]) {
    v["requests"].erase("start_lag_ms");
    auto& series = v["series"];
    series.erase(std::remove(series.begin(), series.end(), "sample_ms"), series.end());
    series.erase(std::remove(series.begin(), series.end(), "loop_lag_ms"), series.end());
    for (auto& row : v["samples"]) {
      row.erase("sample_ms");
      row.erase("loop_lag_ms");
    }
  }
  StatusOr<RunResult> old = ResultsFromJson(doc);
  REQUIRE(old.ok());
  const std::string without = RenderHtml(*old);
  CHECK_FALSE(Has(without, "Harness cost"));
  // The same page but for the section.
  const size_t from = with.find("<h2 id=\"harness\">");
  const size_t to = with.find("</table>\n", from) + 9;
  REQUIRE(from != std::string::npos);
  CHECK(with.substr(0, from) + with.substr(to) == without);
}

TEST_CASE("an hour at 100ms sampling renders under 2 MB and keeps a spike") {
  RunResult run = testing::AbRun(3600, 0.1);
  auto& threads = run.variants[0].samples.values.at("threads");
  REQUIRE(threads.size() == 36000);
  threads[30001] = 5000;  // one sample after the hang, deep inside a drawing bucket
  const std::string html = RenderHtml(run);
  MESSAGE("report.html for 1 h x 2 variants: " << html.size() << " bytes");
  CHECK(html.size() < 2'000'000);
  CHECK(Count(html, "<svg class=\"chart\"") == 11);
  // The hover region over the spike reports it (DownsampleMinMax's own test
  // shows the drawn line keeps it).
  CHECK(Has(html, "\npropagating: 6 to 5000\n"));
}

TEST_CASE("the audit's series are titled as requests and a proxy's as connections") {
  RunResult run = testing::AbRun(4, 0.1);
  Series& s = run.variants[0].samples;
  for (const char* name : {"upstream.inventory", "upstream.inventory.orphans"}) {
    s.names.push_back(name);
    s.values[name] = std::vector<double>(s.t_s.size(), 1);
  }
  const std::string html = RenderHtml(run);
  CHECK(Has(html, "Proxy connections to inventory<"));
  CHECK(Has(html, "Requests to inventory still open after their caller left (orphans)"));
  CHECK_FALSE(Has(html, "Proxy connections to inventory.orphans"));
}

TEST_CASE("a run with nothing measured still renders") {
  RunResult run = testing::EmptyRun();
  run.variants[0].phases = {{"hang", 0, 0, 0, {"hang x"}}};
  const std::string html = RenderHtml(run);
  CHECK(Has(html, "FAILED"));
  CHECK(Has(html, "no checks were evaluated"));
  CHECK(Has(html, ">no data</text>"));
  CHECK(Has(html, "</html>"));
}

TEST_CASE("a chart of values too large to step through still ends") {
  RunResult run = testing::AbRun(2, 0.5);
  for (auto& x : run.variants[0].samples.values.at("threads")) x = -1e17;
  for (auto& x : run.variants[1].samples.values.at("threads")) x = -1e17;
  CHECK(Has(RenderHtml(run), "</html>"));
}

TEST_CASE("the HTML report marks every event and failed check on the charts") {
  const RunResult run = testing::AbRun();
  const std::string html = RenderHtml(run);
  size_t charts = Count(html, "<svg class=\"chart\"");
  size_t events = 0, failed = 0;
  for (const auto& v : run.variants) {
    events += v.events.size();
    for (const auto& c : v.checks) failed += c.passed ? 0 : 1;
  }
  REQUIRE(events > 0);
  REQUIRE(failed > 0);
  // On every chart: a marker per event and per failed check.
  CHECK(Count(html, "<g class=\"marker\"") == charts * events);
  CHECK(Count(html, "<g class=\"marker failure\"") == charts * failed);
  CHECK(Has(html, "<title>naive · 15.3s · process &quot;target&quot; still holds 959 threads</title>"));
  CHECK(Has(html, "naive · check failed (as expected): threads bounded by rate x budget during "
                  "the hang: observed "));
  // A new kind of event is drawn like any other, and hostile text is escaped.
  RunResult hostile = testing::HostileRun();
  const std::string h = RenderHtml(hostile);
  CHECK(Count(h, "<g class=\"marker") > 0);
  CheckSelfContained(h);
}

// A variant that crashed ran fewer phases, its last cut short: the bands
// are not taken from it because it came first.
TEST_CASE("phase bands come from the variant that ran the most phases") {
  RunResult run = testing::AbRun();
  const size_t charts = Count(RenderHtml(run), "<svg class=\"chart\"");
  REQUIRE(charts > 0);
  REQUIRE(Count(RenderHtml(run), "<title>recovery</title>") == charts);
  auto& phases = run.variants[0].phases;
  phases.pop_back();  // recovery never ran
  phases.back().end_s = phases.back().start_s + 1.65;
  run.variants[0].outcome = VariantOutcome::kError;
  const std::string html = RenderHtml(run);
  CHECK(Count(html, "<title>recovery</title>") == charts);
  CHECK(Count(html, "<title>hang: hang inventory</title>") == charts);
}

namespace {

// AbRun with a cancellation audit of inventory: the propagating variant
// forwards traceparent and leaves nothing behind, the naive one does not
// forward it.
RunResult AuditedRun() {
  RunResult r = testing::AbRun();
  CancellationSummary clean;
  clean.forwarded = true;
  clean.gave_up = 3;
  clean.ended_before = 3;
  clean.outlived = LatencySummary{0, 0, 0};
  clean.outlived_histogram = {{0, 3}, {10, 0}, {INFINITY, 0}};
  r.variants[0].cancellation["inventory"] = clean;
  std::vector<double> zeros(r.variants[0].samples.t_s.size(), 0);
  r.variants[0].samples.AddName("upstream.inventory.orphans");
  r.variants[0].samples.values["upstream.inventory.orphans"] = zeros;
  CancellationSummary leaky;
  leaky.forwarded = false;
  leaky.gave_up = 40;
  leaky.open_at_end = 41;
  leaky.orphans = 38;
  r.variants[1].cancellation["inventory"] = leaky;
  return r;
}

}  // namespace

TEST_CASE("the cancellation section shows the audit per dependency and says when traceparent is not forwarded") {
  const std::string html = RenderHtml(AuditedRun());
  CheckSelfContained(html);
  CHECK(Has(html, "<h2 id=\"cancellation\">Cancellation</h2>"));
  CHECK(Has(html, "<h3>inventory</h3>"));
  CHECK(Has(html, "target does not forward traceparent: 41 upstream requests open at the end"));
  CHECK(Has(html, "aria-label=\"outlived the caller by, inventory\""));
  CHECK(Has(html, "orphans on inventory over time"));
  // Without an audit the section is absent.
  CHECK_FALSE(Has(RenderHtml(testing::AbRun()), "id=\"cancellation\""));

  const RunResult r = AuditedRun();
  CHECK(CancellationLines(r.variants[0]) ==
        "  inventory: 3 gave up; their upstream requests ended 3 before, 0 after, 0 never; "
        "outlived p99 " + FormatMeasure(0, Unit::kSeconds) + "; 0 orphans at the end\n");
  CHECK(CancellationLines(r.variants[1]) ==
        "  inventory: target does not forward traceparent; 41 upstream requests open at the end "
        "(0 client requests in flight); 38 orphans\n");
  CHECK(CancellationLines(testing::AbRun().variants[0]).empty());
}

// The page of `report --compare` says the phases shaded are run A's; they
// were those of whichever variant of either run had the most, so a phase
// only run B ran was shaded as if A had.
TEST_CASE("report --compare shades run A's phases as its page says") {
  RunResult a = testing::AbRun();
  RunResult b = testing::AbRun();
  for (auto& v : b.variants) v.phases.push_back({"extra", 22, 30, 100, {"hang inventory"}});
  const std::string html = RenderHtml(BeforeAfter(a, "before", b, "after"));
  CHECK(html.find("the phases shaded are before&#39;s") != std::string::npos);
  CHECK(html.find("extra: hang inventory") == std::string::npos);
  CHECK(RenderHtml(b).find("extra: hang inventory") != std::string::npos);
}
