#include "harness/sampler/sampler.h"

namespace faultline {

Sampler::Sampler(Clock& clock, ProcFs& procfs, SamplerOptions options, Gauges gauges, Sink sink)
    : clock_(clock), procfs_(procfs), options_(options), gauges_(std::move(gauges)),
      sink_(std::move(sink)), timer_(clock.NewTimer()) {}

Sampler::~Sampler() = default;

void Sampler::Start() {
  running_ = true;
  Take();
  Schedule();
}

void Sampler::Stop() {
  running_ = false;
  timer_->Cancel();
}

void Sampler::Schedule() {
  ++slot_;
  timer_->At(options_.epoch + options_.interval * slot_, [this] {
    if (!running_) return;
    // Skip slots missed while the loop was busy rather than bunching samples.
    while (options_.epoch + options_.interval * (slot_ + 1) < clock_.Now()) ++slot_;
    Take();
    Schedule();
  });
}

void Sampler::Take() {
  const TimePoint now = clock_.Now();
  SampleRow row;
  if (auto tree = SampleProcessTree(procfs_, options_.pid, options_.ticks_per_second)) {
    row["threads"] = static_cast<double>(tree->threads);
    row["processes"] = static_cast<double>(tree->processes);
    row["rss_bytes"] = static_cast<double>(tree->rss_bytes);
    row["fds"] = static_cast<double>(tree->fds);
    row["established"] = static_cast<double>(tree->tcp_established);
    row["close_wait"] = static_cast<double>(tree->tcp_close_wait);
    if (last_cpu_) {
      const double dt = ToSeconds(now - last_cpu_->first);
      if (dt > 0) row["cpu_percent"] = 100.0 * (tree->cpu_seconds - last_cpu_->second) / dt;
    }
    last_cpu_ = std::make_pair(now, tree->cpu_seconds);
  }
  if (gauges_) gauges_(&row);
  sink_(ToSeconds(now - options_.epoch), row);
}

}  // namespace faultline
