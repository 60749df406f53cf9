#include "harness/scrape/prometheus.h"

#include <cmath>
#include <limits>

#include <doctest/doctest.h>

using namespace faultline;

namespace {

// Verbatim from targets/orders-go's /metrics.
constexpr std::string_view kOrdersGoPage =
    "# HELP go_goroutines Number of goroutines that currently exist.\n"
    "# TYPE go_goroutines gauge\n"
    "go_goroutines 5\n"
    "# HELP go_threads Number of OS threads created.\n"
    "# TYPE go_threads gauge\n"
    "go_threads 8\n"
    "# HELP go_memstats_heap_inuse_bytes Number of heap bytes that are in use.\n"
    "# TYPE go_memstats_heap_inuse_bytes gauge\n"
    "go_memstats_heap_inuse_bytes 851968\n"
    "# HELP orders_in_flight_requests Number of /order requests being handled.\n"
    "# TYPE orders_in_flight_requests gauge\n"
    "orders_in_flight_requests 0\n";

// Typical prometheus/client_golang output: summary with quantiles, histogram
// with le buckets including +Inf, exponents, NaN, a label with a version.
constexpr std::string_view kClientGolangPage =
    "# HELP go_gc_duration_seconds A summary of the pause duration of garbage collection cycles.\n"
    "# TYPE go_gc_duration_seconds summary\n"
    "go_gc_duration_seconds{quantile=\"0\"} 2.3714e-05\n"
    "go_gc_duration_seconds{quantile=\"0.25\"} 3.6961e-05\n"
    "go_gc_duration_seconds{quantile=\"0.5\"} 4.8327e-05\n"
    "go_gc_duration_seconds{quantile=\"1\"} NaN\n"
    "go_gc_duration_seconds_sum 0.004506452\n"
    "go_gc_duration_seconds_count 68\n"
    "# HELP go_info Information about the Go environment.\n"
    "# TYPE go_info gauge\n"
    "go_info{version=\"go1.19.8\"} 1\n"
    "# HELP http_request_duration_seconds Request latency.\n"
    "# TYPE http_request_duration_seconds histogram\n"
    "http_request_duration_seconds_bucket{handler=\"/order\",le=\"0.1\"} 1.5e+03\n"
    "http_request_duration_seconds_bucket{handler=\"/order\",le=\"1\"} 1720\n"
    "http_request_duration_seconds_bucket{handler=\"/order\",le=\"+Inf\"} 1801\n"
    "http_request_duration_seconds_sum{handler=\"/order\"} 412.75\n"
    "http_request_duration_seconds_count{handler=\"/order\"} 1801\n"
    "# HELP http_requests_total Requests by code and method.\n"
    "# TYPE http_requests_total counter\n"
    "http_requests_total{code=\"200\",method=\"GET\"} 1027 1395066363000\n"
    "http_requests_total{code=\"200\",method=\"POST\"} 3\n"
    "http_requests_total{code=\"504\",method=\"GET\"} 12\n"
    "process_resident_memory_bytes 2.3633920e+07\n"
    "process_max_fds +Inf\n"
    "temperature_delta -Inf\n";

}  // namespace

TEST_CASE("the orders-go page parses into its four gauges") {
  PromParse page = ParsePrometheusText(kOrdersGoPage);
  CHECK(page.errors.empty());
  REQUIRE(page.samples.size() == 4);
  CHECK(page.samples[0].name == "go_goroutines");
  CHECK(page.samples[0].labels.empty());
  CHECK(page.samples[0].value == 5);
  CHECK(page.samples[2].name == "go_memstats_heap_inuse_bytes");
  CHECK(page.samples[2].value == 851968);
  CHECK(page.samples[3].name == "orders_in_flight_requests");
  CHECK(page.samples[3].value == 0);
}

TEST_CASE("client_golang output: summaries - histograms - timestamps - NaN and infinities") {
  PromParse page = ParsePrometheusText(kClientGolangPage);
  CHECK(page.errors.empty());
  REQUIRE(page.samples.size() == 18);
  const auto& s = page.samples;
  constexpr double kInf = std::numeric_limits<double>::infinity();

  CHECK(s[0].labels == std::map<std::string, std::string>{{"quantile", "0"}});
  CHECK(s[0].value == doctest::Approx(2.3714e-05));
  CHECK(std::isnan(s[3].value));
  CHECK(s[5].name == "go_gc_duration_seconds_count");
  CHECK(s[5].value == 68);
  CHECK(s[6].labels.at("version") == "go1.19.8");
  CHECK(s[7].value == 1500);
  CHECK(s[9].labels.at("le") == "+Inf");
  CHECK(s[9].labels.at("handler") == "/order");
  CHECK(s[12].name == "http_requests_total");
  CHECK(s[12].value == 1027);  // the timestamp after it is not the value
  CHECK(s[13].labels.at("method") == "POST");
  CHECK(s[15].value == 23633920);
  CHECK(s[16].value == kInf);
  CHECK(s[17].value == -kInf);
}

TEST_CASE("label values unescape quotes - backslashes and newlines and may hold commas and braces") {
  PromParse page = ParsePrometheusText(
      "msg{text=\"say \\\"hi\\\", then {leave}\",path=\"C:\\\\tmp\",lines=\"a\\nb\",} 1\n");
  CHECK(page.errors.empty());
  REQUIRE(page.samples.size() == 1);
  const auto& labels = page.samples[0].labels;
  CHECK(labels.at("text") == "say \"hi\", then {leave}");
  CHECK(labels.at("path") == "C:\\tmp");
  CHECK(labels.at("lines") == "a\nb");
  CHECK(labels.size() == 3);
}

TEST_CASE("CRLF line ends - blank lines - indentation and stray comments are accepted") {
  PromParse page = ParsePrometheusText(
      "# a free comment\r\n\r\n  up 1\r\n\t# indented comment\r\nmetric:with:colons{a=\"b\"}\t2\r\n");
  CHECK(page.errors.empty());
  REQUIRE(page.samples.size() == 2);
  CHECK(page.samples[0].name == "up");
  CHECK(page.samples[0].value == 1);
  CHECK(page.samples[1].name == "metric:with:colons");
  CHECK(page.samples[1].labels.at("a") == "b");
}

TEST_CASE("malformed lines are reported with their line number and skipped") {
  PromParse page = ParsePrometheusText(
      "ok_before 1\n"
      "no_value\n"
      "bad_number 12abc\n"
      "unclosed_brace{a=\"b\" 3\n"
      "unclosed_quote{a=\"b} 4\n"
      "9starts_with_digit 5\n"
      "bad-name 6\n"
      "bad_timestamp 7 soon\n"
      "trailing 8 123 junk\n"
      "dup{a=\"1\",a=\"2\"} 9\n"
      "no_equals{a} 10\n"
      "ok_after 11\n");
  REQUIRE(page.samples.size() == 2);
  CHECK(page.samples[0].name == "ok_before");
  CHECK(page.samples[1].name == "ok_after");
  CHECK(page.samples[1].value == 11);
  std::vector<std::string> expected = {
      "line 2: missing value after \"no_value\"",
      "line 3: bad value \"12abc\"",
      "line 4: expected ',' or '}' after label \"a\"",
      "line 5: unclosed quote in the value of label \"a\"",
      "line 6: invalid metric name \"9starts_with_digit\"",
      "line 7: invalid metric name \"bad-name\"",
      "line 8: bad timestamp \"soon\"",
      "line 9: unexpected text after the timestamp: \"junk\"",
      "line 10: duplicate label \"a\"",
      "line 11: expected '=' after label \"a\"",
  };
  CHECK(page.errors == expected);
}

TEST_CASE("OpenMetrics exemplars and fractional timestamps are accepted and dropped") {
  PromParse page = ParsePrometheusText(
      "requests_total{code=\"200\"} 11 # {trace_id=\"abc\"} 1.0\n"
      "up_since 1 1700000000.250\n"
      "latency_bucket{le=\"0.5\"} 7 1700000000.250 # {trace_id=\"d\",span_id=\"e\"} 0.31 "
      "1700000000.1\n"
      "in_ms 2 1395066363000 # {} 3\n"
      "negative_ts 3 -1.5\n");
  CHECK(page.errors.empty());
  CHECK(page.unparsed.empty());
  REQUIRE(page.samples.size() == 5);
  CHECK(page.samples[0].name == "requests_total");
  CHECK(page.samples[0].labels == std::map<std::string, std::string>{{"code", "200"}});
  CHECK(page.samples[0].value == 11);
  CHECK(page.samples[1].value == 1);
  CHECK(page.samples[2].labels == std::map<std::string, std::string>{{"le", "0.5"}});
  CHECK(page.samples[2].value == 7);
  CHECK(page.samples[3].value == 2);
  CHECK(page.samples[4].value == 3);
}

TEST_CASE("malformed exemplars and timestamps are reported with their line number") {
  PromParse page = ParsePrometheusText(
      "a 1 # trace_id=\"abc\" 1\n"
      "b 1 # {trace_id=\"abc\"\n"
      "c 1 # {trace_id=\"abc\"}\n"
      "d 1 # {trace_id=\"abc\"} x\n"
      "e 1 # {} 1 NaN\n"
      "f 1 # {} 1 2 3\n"
      "g 1 17.5.1\n"
      "h 1 Inf\n"
      "i 1 #{} 1\n"
      "j 1 2 #\n");
  CHECK(page.samples.empty());
  std::vector<std::string> expected = {
      "line 1: exemplar: expected '{' after \" # \"",
      "line 2: exemplar: unclosed label set (missing '}')",
      "line 3: exemplar: missing value",
      "line 4: exemplar: bad value \"x\"",
      "line 5: exemplar: bad timestamp \"NaN\"",
      "line 6: exemplar: unexpected text after the timestamp: \"3\"",
      "line 7: bad timestamp \"17.5.1\"",
      "line 8: bad timestamp \"Inf\"",
      "line 9: bad timestamp \"#{}\"",
      "line 10: exemplar: expected '{' after \" # \"",
  };
  CHECK(page.errors == expected);
}

TEST_CASE("each malformed line keeps what was read of it: name and complete labels") {
  PromParse page = ParsePrometheusText(
      "req{code=\"200\"} 1 soon\n"
      "req{code=\"500\" 2\n"
      "bad-name 3\n");
  REQUIRE(page.errors.size() == 3);
  REQUIRE(page.unparsed.size() == 3);
  CHECK(page.unparsed[0].name == "req");
  CHECK(page.unparsed[0].labels_read);
  CHECK(page.unparsed[0].labels == std::map<std::string, std::string>{{"code", "200"}});
  CHECK(page.unparsed[1].name == "req");
  CHECK_FALSE(page.unparsed[1].labels_read);
  CHECK(page.unparsed[2].name == "");
}

TEST_CASE("UnparsedMatch names the malformed line a selector may have summed") {
  PromParse page = ParsePrometheusText(
      "req{code=\"200\",method=\"GET\"} 4\n"
      "req{code=\"200\",method=\"POST\"} 11 junk\n"
      "req{code=\"500\"} 9 soon\n"
      "other{code=\"200\" 1\n"
      "bad-name 3\n");
  auto match = [&](std::string_view text) -> std::string {
    auto selector = ParseSelector(text);
    REQUIRE(selector.ok());
    const std::string* error = UnparsedMatch(page, *selector);
    return error ? *error : "none";
  };
  CHECK(match("req") == "line 2: bad timestamp \"junk\"");
  CHECK(match("req{code=\"200\"}") == "line 2: bad timestamp \"junk\"");
  CHECK(match("req{code=\"500\"}") == "line 3: bad timestamp \"soon\"");
  CHECK(match("req{method=\"GET\"}") == "none");  // line 2 and 3 read their labels: not GET
  CHECK(match("other{code=\"500\"}") == "line 4: expected ',' or '}' after label \"code\"");
  CHECK(match("bad") == "none");
  CHECK(match("absent") == "none");
}

TEST_CASE("a label set cut off at the end of the line is an unclosed brace") {
  PromParse page = ParsePrometheusText("cut{a=\"b\",\n");
  CHECK(page.samples.empty());
  CHECK(page.errors == std::vector<std::string>{"line 1: unclosed label set (missing '}')"});
}

TEST_CASE("selectors parse a bare name or a name with labels") {
  auto bare = ParseSelector("go_goroutines");
  REQUIRE(bare.ok());
  CHECK(bare->name == "go_goroutines");
  CHECK(bare->labels.empty());

  auto labelled = ParseSelector("http_requests_total{code=\"200\", method=\"GET\"}");
  REQUIRE(labelled.ok());
  CHECK(labelled->name == "http_requests_total");
  CHECK(labelled->labels == std::map<std::string, std::string>{{"code", "200"}, {"method", "GET"}});
}

TEST_CASE("bad selectors are Invalid and say why") {
  auto empty = ParseSelector("");
  REQUIRE_FALSE(empty.ok());
  CHECK(empty.status().code() == Status::Code::kInvalid);
  CHECK(empty.status().message() == "metric selector \"\": expected a metric name");

  auto unclosed = ParseSelector("up{job=\"x\"");
  REQUIRE_FALSE(unclosed.ok());
  CHECK(unclosed.status().message() == "metric selector \"up{job=\"x\"\": unclosed label set (missing '}')");

  auto trailing = ParseSelector("up 1");
  REQUIRE_FALSE(trailing.ok());
  CHECK(trailing.status().message() == "metric selector \"up 1\": unexpected text \"1\"");
}

TEST_CASE("Select sums the samples whose labels include the selector's") {
  PromParse page = ParsePrometheusText(kClientGolangPage);
  auto select = [&](std::string_view text) {
    auto selector = ParseSelector(text);
    REQUIRE(selector.ok());
    return Select(page, *selector);
  };
  CHECK(select("http_requests_total") == 1042.0);
  CHECK(select("http_requests_total{code=\"200\"}") == 1030.0);
  CHECK(select("http_requests_total{code=\"200\",method=\"GET\"}") == 1027.0);
  CHECK(select("http_requests_total{code=\"500\"}") == std::nullopt);
  CHECK(select("http_requests_total{host=\"a\"}") == std::nullopt);
  CHECK(select("no_such_metric") == std::nullopt);
  CHECK(select("go_gc_duration_seconds{quantile=\"0.5\"}") == doctest::Approx(4.8327e-05));

  PromParse zero = ParsePrometheusText(kOrdersGoPage);
  CHECK(Select(zero, *ParseSelector("orders_in_flight_requests")) == 0.0);  // present, zero
}

TEST_CASE("an empty label value in a selector picks the samples without that label") {
  PromParse page = ParsePrometheusText(
      "jobs{queue=\"a\"} 1\n"
      "jobs{queue=\"\"} 2\n"
      "jobs 4\n"
      "jobs{kind=\"x\"} 8\n");
  CHECK(Select(page, *ParseSelector("jobs{queue=\"\"}")) == 14.0);
  CHECK(Select(page, *ParseSelector("jobs{queue=\"a\"}")) == 1.0);
  CHECK(Select(page, *ParseSelector("jobs{queue=\"\",kind=\"x\"}")) == 8.0);
  CHECK(Select(page, *ParseSelector("jobs")) == 15.0);
}
