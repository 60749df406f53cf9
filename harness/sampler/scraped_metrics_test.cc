#include "harness/sampler/scraped_metrics.h"

#include <doctest/doctest.h>

#include <cmath>
#include <memory>
#include <vector>

using namespace faultline;

namespace {

// Hands every scrape's callback to the test, which answers it.
class HeldEndpoint final : public MetricsEndpoint {
 public:
  explicit HeldEndpoint(std::vector<Callback>* held) : held_(held) {}
  ~HeldEndpoint() override { held_->clear(); }  // abandoned: never run
  void Scrape(Callback done) override { held_->push_back(std::move(done)); }
  const std::string& url() const override { return url_; }

 private:
  std::vector<Callback>* held_;
  std::string url_ = "http://127.0.0.1:9/metrics";
};

ScrapedMetrics::Selectors Selectors() {
  return {{"goroutines", *ParseSelector("go_goroutines")},
          {"ok", *ParseSelector("http_requests_total{code=\"200\"}")}};
}

Series TwoRows() {
  Series s;
  s.AddName("threads");
  s.AddName("goroutines");
  s.AddName("ok");
  s.Append(0, {{"threads", 1}});
  s.Append(0.1, {{"threads", 1}});
  return s;
}

// Scraped metrics over two sample rows, with the endpoint's callbacks held.
struct Fixture {
  std::vector<MetricsEndpoint::Callback> held;
  Series samples = TwoRows();
  ScrapeStats stats;
  std::unique_ptr<ScrapedMetrics> metrics = std::make_unique<ScrapedMetrics>(
      std::make_unique<HeldEndpoint>(&held), Selectors(), &samples, &stats);
};

}  // namespace

TEST_CASE("a scraped page fills its row and leaves other rows alone") {
  Fixture f;
  auto& [held, samples, stats, m] = f;
  CHECK(m->names() == std::vector<std::string>{"goroutines", "ok"});
  CHECK(stats.url == "http://127.0.0.1:9/metrics");
  m->ScrapeRow(1);
  CHECK(m->pending() == 1);
  held[0](ParsePrometheusText("go_goroutines 12\nhttp_requests_total{code=\"200\"} 3\n"
                              "http_requests_total{code=\"500\"} 9\n"));
  CHECK(m->pending() == 0);
  CHECK(samples.values["goroutines"][1] == 12);
  CHECK(samples.values["ok"][1] == 3);
  CHECK(std::isnan(samples.values["goroutines"][0]));
  CHECK(stats.attempts == 1);
  CHECK(stats.misses == 0);
}

TEST_CASE("a failed scrape or a missing sample leaves a gap and counts a miss") {
  Fixture f;
  auto& [held, samples, stats, m] = f;
  m->ScrapeRow(0);
  m->ScrapeRow(1);
  held[0](Status::Unavailable("http://127.0.0.1:9/metrics: timed out after 40ms"));
  CHECK(stats.misses == 1);
  CHECK(stats.last_error == "http://127.0.0.1:9/metrics: timed out after 40ms");
  held[1](ParsePrometheusText("go_goroutines 4\n"));
  CHECK(samples.values["goroutines"][1] == 4);
  CHECK(std::isnan(samples.values["ok"][1]));
  CHECK(stats.attempts == 2);
  CHECK(stats.misses == 2);
  CHECK(stats.last_error == "http://127.0.0.1:9/metrics: no sample matches \"ok\"");
}

TEST_CASE("a scrape that leaves several series without a value is one miss") {
  Fixture f;
  auto& [held, samples, stats, m] = f;
  m->ScrapeRow(0);
  held[0](ParsePrometheusText("process_open_fds 3\n"));  // neither selector matches
  CHECK(std::isnan(samples.values["goroutines"][0]));
  CHECK(std::isnan(samples.values["ok"][0]));
  CHECK(stats.attempts == 1);
  CHECK(stats.misses == 1);  // misses never exceed attempts
  CHECK(stats.last_error == "http://127.0.0.1:9/metrics: no sample matches \"ok\"");
}

TEST_CASE("a scraped NaN or infinity leaves a gap and counts a miss that names it") {
  Fixture f;
  auto& [held, samples, stats, m] = f;
  m->ScrapeRow(0);
  m->ScrapeRow(1);
  held[0](ParsePrometheusText("go_goroutines NaN\nhttp_requests_total{code=\"200\"} 3\n"));
  CHECK(std::isnan(samples.values["goroutines"][0]));
  CHECK(samples.values["ok"][0] == 3);
  CHECK(stats.misses == 1);
  CHECK(stats.last_error ==
        "http://127.0.0.1:9/metrics: \"goroutines\" is NaN, which cannot be charted or checked");
  held[1](ParsePrometheusText("go_goroutines 1\nhttp_requests_total{code=\"200\"} +Inf\n"));
  CHECK(std::isnan(samples.values["ok"][1]));
  CHECK(stats.misses == 2);
  CHECK(stats.last_error ==
        "http://127.0.0.1:9/metrics: \"ok\" is +Inf, which cannot be charted or checked");
}

TEST_CASE("a malformed line a selector may have summed leaves a gap and counts a miss") {
  Fixture f;
  auto& [held, samples, stats, m] = f;
  m->ScrapeRow(1);
  // The 200 line with an unreadable timestamp would have added 11 to "ok";
  // the 500 line cannot be "ok"'s (its labels were read) and "goroutines"
  // has nothing to do with either.
  held[0](
      ParsePrometheusText("go_goroutines 12\n"
                          "http_requests_total{code=\"200\",method=\"GET\"} 4\n"
                          "http_requests_total{code=\"200\",method=\"POST\"} 11 later\n"
                          "http_requests_total{code=\"500\"} 9 later\n"));
  CHECK(samples.values["goroutines"][1] == 12);
  CHECK(std::isnan(samples.values["ok"][1]));  // not the partial sum, 4
  CHECK(stats.attempts == 1);
  CHECK(stats.misses == 1);
  CHECK(stats.last_error ==
        "http://127.0.0.1:9/metrics: cannot read \"ok\": line 3: bad timestamp \"later\"");
}

TEST_CASE("exemplars and fractional timestamps in a scraped page are read") {
  Fixture f;
  auto& [held, samples, stats, m] = f;
  m->ScrapeRow(0);
  held[0](
      ParsePrometheusText("go_goroutines 7 1700000000.250\n"
                          "http_requests_total{code=\"200\"} 11 # {trace_id=\"abc\"} 1.0\n"
                          "http_requests_total{code=\"200\",method=\"POST\"} 4\n"));
  CHECK(samples.values["goroutines"][0] == 7);
  CHECK(samples.values["ok"][0] == 15);
  CHECK(stats.misses == 0);
  CHECK(stats.last_error == "");
}

TEST_CASE("destroying the metrics abandons pending scrapes") {
  Fixture f;
  f.metrics->ScrapeRow(0);
  CHECK(f.held.size() == 1);
  f.metrics.reset();
  CHECK(f.held.empty());
}
