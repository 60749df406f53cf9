#include "harness/sampler/scraped_metrics.h"

#include <cmath>

namespace faultline {

ScrapedMetrics::ScrapedMetrics(std::unique_ptr<MetricsEndpoint> endpoint, Selectors selectors,
                               Series* samples, ScrapeStats* stats)
    : endpoint_(std::move(endpoint)), selectors_(std::move(selectors)), samples_(samples),
      stats_(stats) {
  *stats_ = ScrapeStats{endpoint_->url(), 0, 0, ""};
}

std::vector<std::string> ScrapedMetrics::names() const {
  std::vector<std::string> out;
  for (const auto& [name, selector] : selectors_) out.push_back(name);
  return out;
}

void ScrapedMetrics::ScrapeRow(size_t row) {
  ++stats_->attempts;
  ++pending_;
  // The endpoint is destroyed with this object, so the callback never
  // outlives `this`.
  endpoint_->Scrape([this, row](StatusOr<PromParse> page) {
    --pending_;
    if (!page.ok()) {
      ++stats_->misses;
      stats_->last_error = page.status().message();
      return;
    }
    // One miss per scrape that left any series without a value, so that
    // misses <= attempts however many selectors there are.
    bool missed = false;
    for (const auto& [name, selector] : selectors_) {
      // A malformed line that may hold one of the selector's samples would
      // make the sum silently partial: a gap instead.
      if (const std::string* error = UnparsedMatch(*page, selector)) {
        missed = true;
        stats_->last_error = stats_->url + ": cannot read \"" + name + "\": " + *error;
        continue;
      }
      if (auto value = Select(*page, selector); value && !std::isfinite(*value)) {
        // A gap already means "not measured", and results.json has no infinity.
        missed = true;
        stats_->last_error = stats_->url + ": \"" + name + "\" is " +
                             (std::isnan(*value) ? "NaN" : *value > 0 ? "+Inf" : "-Inf") +
                             ", which cannot be charted or checked";
      } else if (value) {
        samples_->values[name][row] = *value;
      } else {
        missed = true;
        stats_->last_error = stats_->url + ": no sample matches \"" + name + "\"";
      }
    }
    if (missed) ++stats_->misses;
  });
}

}  // namespace faultline
