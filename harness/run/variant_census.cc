// VariantRun's censuses (harness/run/variant_run.h): taken at the moments
// of [[census]] and at the end, off the loop (the target is paused by the
// census taker, not by the run), one at a time, each recorded as an event.
#include "harness/run/variant_run.h"

#include <cstdio>

namespace faultline {

void VariantRun::NextCensusMoment() {
  if (next_census_ == census_moments_.size()) return;
  census_timer_->At(census_moments_[next_census_].first, [this] {
    const std::string at = census_moments_[next_census_++].second;
    TakeCensus(at, [] {});
    NextCensusMoment();
  });
}

void VariantRun::TakeCensus(const std::string& at, std::function<void()> then) {
  if (census_busy_) {
    census_queue_.emplace_back(at, std::move(then));
    return;
  }
  census_busy_ = true;
  auto census = std::make_shared<Census>();
  const double t_s = ToSeconds(clock_.Now() - epoch_);
  CensusTaker* taker = census_taker_.get();
  census_reads_->Run([census, taker, plan = plan_.census, pid = target_pid_] {
    *census = taker->Take(plan, pid);
  }, [this, census, at, t_s, then = std::move(then)] {
    if (destroying_) return;
    census->at = at;
    census->t_s = t_s;
    CensusTaken(*census);
    census_busy_ = false;
    if (!census_queue_.empty()) {
      auto [next_at, next_then] = std::move(census_queue_.front());
      census_queue_.erase(census_queue_.begin());
      TakeCensus(next_at, std::move(next_then));
    }
    then();
  });
}

void VariantRun::CensusTaken(const Census& census) {
  std::string msg = "census \"" + census.at + "\": " + std::to_string(census.total) +
                    (census.source == "go" ? " goroutines" : " threads");
  if (!census.groups.empty()) {
    msg += ", " + std::to_string(census.groups.front().count) + " in " +
           StackLine(census.groups.front(), 3);
  }
  char pause[32];
  snprintf(pause, sizeof pause, "; paused %.3f s", census.pause_s);
  msg += pause;
  if (census.partial) msg += "; partial: " + census.reason;
  vr_.events.push_back({census.t_s, msg});
  progress_.Note("[" + vr_.name + "] " + msg);
  vr_.census.push_back(census);
}

}  // namespace faultline
