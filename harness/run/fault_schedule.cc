#include "harness/run/fault_schedule.h"

#include <algorithm>
#include <set>

namespace faultline {
namespace {

// d x i / n without overflow, for 0 <= i <= n.
Duration Part(Duration d, int64_t i, int64_t n) {
  const int64_t ns = d.count();
  return Duration(ns / n * i + ns % n * i / n);
}

// The ramp step under way at `offset`: the last i with Part(duration, i, steps) <= offset.
int64_t StepAt(const FaultRamp& ramp, Duration offset, Duration duration) {
  if (duration.count() <= 0) return 0;
  const int64_t n = ramp.steps;
  auto i = static_cast<int64_t>(static_cast<long double>(offset.count()) * n / duration.count());
  i = std::clamp<int64_t>(i, 0, n - 1);
  while (i > 0 && Part(duration, i, n) > offset) --i;
  while (i + 1 < n && Part(duration, i + 1, n) <= offset) ++i;
  return i;
}

bool Active(const FaultFlap& flap, Duration offset) {
  const Duration period = flap.on + flap.off;
  return period.count() <= 0 || offset % period < flap.on;
}

}  // namespace

std::vector<FaultSpec> FaultsAt(const std::vector<FaultSpec>& faults, Duration offset,
                                Duration duration) {
  std::vector<FaultSpec> out;
  for (const FaultSpec& f : faults) {
    if (f.flap && !Active(*f.flap, offset)) continue;
    FaultSpec now = f;
    if (f.ramp) {
      const int64_t i = StepAt(*f.ramp, offset, duration);
      const auto span = static_cast<long double>(f.ramp->to) - f.ramp->from;
      now.SetMain(f.ramp->from + static_cast<int64_t>(span * i / (f.ramp->steps - 1)));
    }
    now.ramp.reset();
    now.flap.reset();
    out.push_back(std::move(now));
  }
  return out;
}

std::vector<FaultChange> FaultSchedule(const std::map<std::string, std::vector<FaultSpec>>& faults,
                                       Duration duration) {
  std::vector<FaultChange> out;
  for (const auto& [dependency, list] : faults) {
    std::set<Duration> moments;
    for (const FaultSpec& f : list) {
      if (f.ramp) {
        for (int64_t i = 1; i < f.ramp->steps; ++i) moments.insert(Part(duration, i, f.ramp->steps));
      }
      if (f.flap && (f.flap->on + f.flap->off).count() > 0) {
        for (Duration t{0}; t < duration; t += f.flap->on + f.flap->off) {
          moments.insert(t);
          moments.insert(t + f.flap->on);
        }
      }
    }
    std::vector<FaultSpec> previous = FaultsAt(list, Duration(0), duration);
    for (Duration t : moments) {
      if (t.count() <= 0 || t >= duration) continue;
      std::vector<FaultSpec> now = FaultsAt(list, t, duration);
      if (now == previous) continue;
      previous = now;
      out.push_back(FaultChange{t, dependency, std::move(now)});
    }
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const FaultChange& a, const FaultChange& b) { return a.at < b.at; });
  return out;
}

}  // namespace faultline
