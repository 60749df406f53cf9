// Honest pacing: the load generator's actual send times (HttpResult::sent_at,
// as start lag), counted per 10 ms window at 1,000 req/s, hold 10 per window;
// a test double that sends the same total in 100 ms bursts fails the same
// check. Counts per window, not a wall-clock performance limit:
// - on a ManualClock (sends over real loopback sockets) every window after
//   the first holds exactly 10: the generator's own logic never bunches;
// - on the real clock, timer jitter and the stalls of a shared 2-core
//   machine move a few sends across a window edge, so at least 90% of the
//   windows after the first must hold 10 +/- 3 (a burst sender has 0% there).
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <vector>

#include <doctest/doctest.h>

#include "harness/load/load_test_support.h"
#include "harness/result/result.h"

namespace faultline {
namespace {

using namespace std::chrono_literals;
using namespace faultline::testing;

constexpr double kWindowS = 0.010;
constexpr int kPerWindow = 10;  // 1,000 req/s x 10 ms
constexpr int kTolerance = 3;   // a window "holds 10" when it holds 10 +/- 3

// Sends per 10 ms window, from the first send, over whole windows only.
std::vector<int> SendsPerWindow(std::vector<double> send_s) {
  std::sort(send_s.begin(), send_s.end());
  std::vector<int> counts;
  if (send_s.empty()) return counts;
  const double t0 = send_s.front();
  const auto whole = static_cast<size_t>(std::floor((send_s.back() - t0) / kWindowS));
  counts.assign(whole, 0);
  for (double t : send_s) {
    // + 1e-6 of a window (10 ns): a send exactly on an edge (fake time) is not
    // pushed back into the previous window by rounding.
    auto i = static_cast<size_t>(std::floor((t - t0) / kWindowS + 1e-6));
    if (i < whole) ++counts[i];
  }
  return counts;
}

// The largest |count - 10| over every window after the first.
int WorstDeviation(const std::vector<int>& counts) {
  int worst = 0;
  for (size_t i = 1; i < counts.size(); ++i)
    worst = std::max(worst, std::abs(counts[i] - kPerWindow));
  return worst;
}

// The share of windows after the first that hold 10 +/- kTolerance.
double ShareOnPace(const std::vector<int>& counts) {
  if (counts.size() < 2) return 0;
  int on_pace = 0;
  for (size_t i = 1; i < counts.size(); ++i)
    on_pace += std::abs(counts[i] - kPerWindow) <= kTolerance ? 1 : 0;
  return static_cast<double>(on_pace) / static_cast<double>(counts.size() - 1);
}

// The actual send time of every request the tally saw, seconds since the epoch.
std::vector<double> SendTimes(const Tally& tally) {
  std::vector<double> out;
  for (const RequestResult& r : tally.results) out.push_back(r.intended_s + r.start_lag_s);
  return out;
}

TEST_CASE("pacing: fake time - at 1000 req/s every 10 ms window after the first holds exactly 10 sends") {
  asio::io_context io;
  ManualClock clock;
  TestHttpServer server(io, ServerMode::kAnswer);
  Tally tally;
  LoadOptions options = Options(server.port());
  options.epoch = clock.Now();
  LoadGenerator gen(io, clock, options, tally.Sink());
  gen.SetRate(1000);
  for (int ms = 0; ms < 1000; ++ms) {
    clock.Advance(1ms);
    io.poll();  // the sockets are real: let the exchanges move on
  }
  gen.Stop();
  REQUIRE(RunUntil(io, [&] { return gen.in_flight() == 0; }, 10s));
  REQUIRE(tally.count(Outcome::kOk) == static_cast<int>(tally.total()));
  CHECK(server.requests == static_cast<int>(tally.total()));
  std::vector<int> counts = SendsPerWindow(SendTimes(tally));
  REQUIRE(counts.size() >= 99);
  CAPTURE(counts);
  CHECK(WorstDeviation(counts) == 0);
}

TEST_CASE("pacing: real clock - at 1000 req/s 90% of the 10 ms windows after the first hold 10 +/- 3 sends") {
  LoadRig rig(10s, ServerMode::kAnswer);
  auto& [io, clock, server, tally, gen] = rig;
  Burst(io, gen, 1000, 1s);
  REQUIRE(tally.count(Outcome::kOk) == static_cast<int>(tally.total()));
  std::vector<int> counts = SendsPerWindow(SendTimes(tally));
  REQUIRE(counts.size() >= 95);
  LatencyHistogram lag;
  for (const RequestResult& r : tally.results) lag.Add(r.start_lag_s);
  MESSAGE("windows " << counts.size() << " on pace " << ShareOnPace(counts) * 100
                     << "% worst deviation " << WorstDeviation(counts) << " start lag p50 "
                     << lag.Percentile(50) * 1e3 << " ms p99 " << lag.Percentile(99) * 1e3
                     << " ms max " << lag.max() * 1e3 << " ms");
  CAPTURE(counts);
  CHECK(ShareOnPace(counts) >= 0.9);
  // Every start lag is a real lateness: sends never precede their schedule.
  for (const RequestResult& r : tally.results) CHECK(r.start_lag_s >= 0);
}

TEST_CASE("pacing: a generator that sends in 100 ms bursts fails the same check") {
  // The same 1,000 requests in 1 s, sent 100 at a time every 100 ms.
  std::vector<double> send_s;
  for (int burst = 0; burst < 10; ++burst)
    for (int i = 0; i < 100; ++i) send_s.push_back(0.1 * burst + 1e-6 * i);
  send_s.push_back(1.0);  // the end of the last window
  std::vector<int> counts = SendsPerWindow(send_s);
  REQUIRE(counts.size() >= 99);
  CHECK(WorstDeviation(counts) > kTolerance);
  CHECK(ShareOnPace(counts) < 0.9);
  // And an evenly paced double passes it: the check itself is not the failure.
  std::vector<double> even{0.0};
  for (int i = 0; i < 1000; ++i) even.push_back(0.001 * i + 0.0005);
  CHECK(WorstDeviation(SendsPerWindow(even)) == 0);
  CHECK(ShareOnPace(SendsPerWindow(even)) == 1.0);
}

}  // namespace
}  // namespace faultline
