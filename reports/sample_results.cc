#include "reports/sample_results.h"

#include <algorithm>
#include <cmath>

namespace faultline::testing {

RunResult AbRun(double duration_s, double interval_s) {
  RunResult r;
  r.faultline_version = "0.1.0";
  r.scenario_name = "hung-dependency";
  r.scenario_path = "scenarios/hung-dependency.toml";
  r.scenario_description =
      "The inventory dependency hangs for a while. The propagating service turns the hang "
      "into timeouts with bounded threads; the naive one piles up a thread per request.";
  r.scenario_source = "name = \"hung-dependency\"\n[load]\nrate = 100\n";
  r.started_at = "2026-11-25T20:00:00Z";
  r.environment = {{"kernel", "Linux 6.1.0"}, {"machine", "x86_64"}, {"cores", "2"}};
  const double hang_start = duration_s * 0.2, hang_end = duration_s * 0.65;

  for (int which = 0; which < 2; ++which) {
    const bool naive = which == 1;
    VariantResult v;
    v.name = naive ? "naive" : "propagating";
    v.expect = naive ? Expectation::kFail : Expectation::kPass;
    v.outcome = naive ? VariantOutcome::kFail : VariantOutcome::kPass;
    v.duration_s = duration_s;
    v.phases = {{"baseline", 0, hang_start, 100, {}},
                {"hang", hang_start, hang_end, 100, {"hang inventory"}},
                {"recovery", hang_end, duration_s, 100, {}}};
    for (const char* name : {"threads", "rss_bytes", "fds", "close_wait", "in_flight", "goroutines",
                             "sample_ms", "loop_lag_ms"})
      v.samples.AddName(name);
    const size_t n = static_cast<size_t>(std::llround(duration_s / interval_s));
    for (size_t i = 0; i < n; ++i) {
      const double t = static_cast<double>(i) * interval_s;
      const double into_hang = std::clamp(t - hang_start, 0.0, hang_end - hang_start);
      const bool hanging = t >= hang_start && t < hang_end;
      double threads;
      if (naive) threads = 6 + 96 * into_hang;                 // never comes back
      else threads = hanging ? 6 + std::min(200.0, 100 * into_hang) : 6;
      const double stuck = threads - 6;
      v.samples.Append(t, {{"threads", threads},
                           {"rss_bytes", 5242880 + stuck * 28000},
                           {"fds", 9 + stuck},
                           {"close_wait", naive ? stuck : 0},
                           {"in_flight", hanging ? std::min(200.0, 100 * into_hang) : 1},
                           {"goroutines", 3 + stuck * 4},
                           // The harness's own cost: a sample costs more as the tree grows.
                           {"sample_ms", 0.4 + stuck * 0.002},
                           {"loop_lag_ms", 0.05 + 0.01 * static_cast<double>(i % 7)}});
    }
    v.baseline = {{"threads", 6}, {"rss_bytes", 5242880}, {"fds", 9}};
    for (int s = 0; s < static_cast<int>(duration_s); ++s)
      for (int k = 0; k < 10; ++k) {
        const double t = s + k / 10.0;
        const bool hanging = t >= hang_start && t < hang_end;
        const double lag = 0.00005 + 0.00001 * k;  // start lag: 50 to 140 us
        if (!hanging) v.requests.Add({Outcome::kOk, 200, t, 0.004 + 0.001 * k, lag});
        else if (naive) v.requests.Add({Outcome::kTimeout, 0, t, 5.0, lag});
        else v.requests.Add({Outcome::kHttpStatus, 504, t, 2.0 + 0.001 * k, lag});
      }
    if (naive) {
      v.checks.push_back({"threads bounded by rate x budget during the hang", CheckKind::kGrowth, "threads",
                          false, 96 * (hang_end - hang_start), 300, Unit::kNone,
                          "peak over hang - baseline 6"});
      v.checks.push_back({"threads back to baseline after the hang", CheckKind::kRecovers, "threads", false,
                          NAN, 5, Unit::kSeconds, "never came back within 5s of the hang's end"});
      v.checks.push_back({"p50 latency", CheckKind::kLatency, "", true, 0.0045, 1, Unit::kSeconds, "p50 over run"});
      v.events.push_back({hang_end + 1, "process \"target\" still holds 959 threads"});
    } else {
      v.checks.push_back({"threads bounded by rate x budget during the hang", CheckKind::kGrowth, "threads",
                          true, 200, 300, Unit::kNone, "peak 206 over hang - baseline 6"});
      v.checks.push_back({"threads back to baseline after the hang", CheckKind::kRecovers, "threads", true,
                          2.1, 5, Unit::kSeconds, "back within 2.1s"});
      v.checks.push_back({"memory growth", CheckKind::kGrowth, "rss_bytes", true, 5.6e6, 64 * 1048576.0,
                          Unit::kBytes, "peak over hang - baseline"});
    }
    v.logs.push_back({"target", "out/hung-dependency/logs/" + v.name + "/target.log",
                      "listening on 127.0.0.1:40001\nGET /order 200\n"});
    v.logs.push_back({"inventory", "out/hung-dependency/logs/" + v.name + "/inventory.log",
                      "stub-dependency ready\n"});
    r.variants.push_back(std::move(v));
  }
  return r;
}

RunResult HostileRun() {
  const std::string h = kHostile;
  RunResult r;
  r.faultline_version = "0.1.0";
  r.scenario_name = "name " + h;
  r.scenario_path = "path " + h;
  r.scenario_description = "description " + h;
  r.scenario_source = "source " + h + "\n";
  r.overrides = {"load.rate=" + h};
  r.started_at = "2026-11-25T20:00:00Z";
  r.environment = {{"kernel", "kernel " + h}};
  r.error = "run error " + h;

  VariantResult v;
  v.name = "variant " + h;
  v.expect = Expectation::kPass;
  v.outcome = VariantOutcome::kFail;
  v.duration_s = 3;
  v.phases = {{"phase " + h, 0, 1, 10, {}}, {"fault phase " + h, 1, 3, 10, {"fault " + h}}};
  v.samples.AddName("series " + h);
  v.samples.AddName("threads");
  for (int i = 0; i < 30; ++i)
    v.samples.Append(i * 0.1, {{"series " + h, i}, {"threads", i % 7 == 3 ? NAN : 5.0 + i}});
  v.requests.Add({Outcome::kOk, 200, 0.1, 0.01});
  v.requests.Add({Outcome::kHttpStatus, 503, 1.5, 0.2});
  v.checks.push_back({"check " + h, CheckKind::kMax, "series " + h, false, 29, 10, Unit::kNone, "detail " + h});
  v.events.push_back({1.5, "event " + h});
  v.logs.push_back({"log " + h, "log path " + h, "tail " + h + "\n\x01\xff binary\n"});
  r.variants.push_back(v);

  VariantResult broken;
  broken.name = "errored " + h;
  broken.expect = Expectation::kFail;
  broken.outcome = VariantOutcome::kError;
  broken.error = "target did not start: " + h;
  r.variants.push_back(broken);
  return r;
}

RunResult EmptyRun() {
  RunResult r;
  VariantResult v;
  v.name = "empty";
  v.outcome = VariantOutcome::kError;
  v.samples.AddName("threads");
  r.variants.push_back(v);
  return r;
}

}  // namespace faultline::testing
