#include "harness/sampler/sampler.h"

namespace faultline {

Sampler::Sampler(Clock& clock, ProcFs& procfs, std::unique_ptr<SampleReads> reads,
                 SamplerOptions options, Gauges gauges, Sink sink)
    : clock_(clock),
      options_(options),
      tree_(procfs, options.pid, options.page_size),
      gauges_(std::move(gauges)),
      sink_(std::move(sink)),
      timer_(clock.NewTimer()),
      reads_(std::move(reads)) {}

Sampler::~Sampler() {
  deliver_ = false;  // the sink's owner may be half destroyed
  Stop();
}

void Sampler::Start() {
  running_ = true;
  Take();
}

void Sampler::Stop() {
  running_ = false;
  timer_->Cancel();
  reads_->Stop();
}

void Sampler::Schedule() {
  ++slot_;
  timer_->At(options_.epoch + options_.interval * slot_, [this] {
    if (!running_) return;
    // Skip slots missed while the loop was busy rather than bunching samples.
    while (options_.epoch + options_.interval * (slot_ + 1) < clock_.Now()) ++slot_;
    Take();
  });
}

void Sampler::Take() {
  auto reading = std::make_shared<Reading>();
  // On the reads' thread: only procfs_, clock_.Now() and the options are touched.
  reads_->Run(
      [this, reading] {
        reading->start = clock_.Now();
        reading->tree = tree_.Read();
        reading->end = clock_.Now();
      },
      [this, reading] {
        if (!deliver_) return;
        Deliver(*reading);  // also the read Stop() waited for
        if (running_) Schedule();
      });
}

void Sampler::Deliver(const Reading& reading) {
  SampleRow row;
  if (const auto& tree = reading.tree) {
    row["threads"] = static_cast<double>(tree->threads);
    row["processes"] = static_cast<double>(tree->processes);
    row["rss_bytes"] = static_cast<double>(tree->rss_bytes);
    row["fds"] = static_cast<double>(tree->fds);
    if (tree->sockets_known) {  // otherwise null: not measured, not zero
      row["established"] = static_cast<double>(tree->tcp_established);
      row["close_wait"] = static_cast<double>(tree->tcp_close_wait);
    }
    // The counters are read at the end of the reads (process_tree.h): a
    // read slowed by a starved thread or a long dump must not divide the
    // CPU its stall let pass by the time from start to start. After a
    // failed read, the counters start again.
    if (last_cpu_ && tree->cpu_continues) {
      const double dt = ToSeconds(reading.end - last_cpu_->first);
      if (dt > 0) row["cpu_percent"] = 100.0 * (tree->cpu_seconds - last_cpu_->second) / dt;
    }
    last_cpu_ = std::make_pair(reading.end, tree->cpu_seconds);
    row["sample_ms"] = ToSeconds(reading.end - reading.start) * 1000.0;
  }
  if (gauges_) gauges_(&row);
  sink_(ToSeconds(reading.start - options_.epoch), row);
}

}  // namespace faultline
