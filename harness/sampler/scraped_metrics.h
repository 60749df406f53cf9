// ScrapedMetrics: the target's custom metrics (Prometheus text over HTTP),
// on the sample timeline. For each sample row the run asks for a scrape; when
// the page arrives, each selector's value fills that row's cell of its series.
// A failed scrape, a selector that matches nothing, or one that a malformed
// line of the page may have matched (its sum would be partial), leaves the
// cell a gap (NaN) and counts a miss. The scrape's timeout is shorter than the sampling
// interval, so each one ends before the next row is due.
//
// Single-threaded, on the thread that runs the endpoint's callbacks.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "harness/common/status.h"
#include "harness/result/result.h"
#include "harness/scrape/prometheus.h"

namespace faultline {

/// Where pages come from: the real one is a Scraper (run/real_parts.cc).
class MetricsEndpoint {
 public:
  using Callback = std::function<void(StatusOr<PromParse>)>;
  /// Destroying the endpoint abandons pending scrapes: their callbacks never run.
  virtual ~MetricsEndpoint() = default;
  /// Starts one scrape; `done` runs exactly once, never inside this call.
  virtual void Scrape(Callback done) = 0;
  /// "http://127.0.0.1:PORT/metrics", for messages.
  virtual const std::string& url() const = 0;
};

class ScrapedMetrics {
 public:
  using Selectors = std::vector<std::pair<std::string, MetricSelector>>;

  /// `samples` and `stats` must outlive this object; stats->url is set here.
  ScrapedMetrics(std::unique_ptr<MetricsEndpoint> endpoint, Selectors selectors, Series* samples,
                 ScrapeStats* stats);

  /// The series names, in order: for the columns of the sample table.
  std::vector<std::string> names() const;
  /// Scrapes once and fills row `row` of `samples` when the page arrives.
  void ScrapeRow(size_t row);
  /// Scrapes started and not yet answered.
  int pending() const { return pending_; }

 private:
  std::unique_ptr<MetricsEndpoint> endpoint_;
  Selectors selectors_;
  Series* samples_;
  ScrapeStats* stats_;
  int pending_ = 0;
};

}  // namespace faultline
