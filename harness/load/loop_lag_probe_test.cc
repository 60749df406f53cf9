#include "harness/load/loop_lag_probe.h"

#include <thread>

#include <doctest/doctest.h>

#include "harness/common/test_http_server.h"

namespace faultline {
namespace {

using namespace std::chrono_literals;

TEST_CASE("loop lag: a loop that runs every timer on time has no lag") {
  ManualClock clock;
  LoopLagProbe probe(clock, 10ms);
  CHECK(clock.pending_timers() == 1);
  clock.Advance(95ms);
  CHECK(probe.TakeWorst() == Duration{0});
  clock.Advance(1s);
  CHECK(probe.TakeWorstMs() == 0.0);
  CHECK(clock.pending_timers() == 1);  // one probe armed, never a pile of them
}

// The stall is the thing measured here, so the handler really blocks.
void Stall(Duration d) { std::this_thread::sleep_for(d); }

TEST_CASE("loop lag: a handler that blocks the loop shows as lateness of at least the stall less a period") {
  asio::io_context io;
  AsioClock clock(io);
  LoopLagProbe probe(clock, 10ms);
  bool stalled = false;
  asio::post(io, [&] {
    Stall(40ms);
    stalled = true;
  });
  REQUIRE(testing::RunUntil(io, [&] { return stalled; }, 5s));
  testing::RunFor(io, 30ms);  // the late probe fires, then on-time ones
  const Duration worst = probe.TakeWorst();
  CHECK(worst >= 30ms);
  CHECK(probe.TakeWorst() < worst);  // started over
}

TEST_CASE("loop lag: a stall still under way when the row is taken counts up to now") {
  asio::io_context io;
  AsioClock clock(io);
  LoopLagProbe probe(clock, 10ms);
  Duration taken{0};
  asio::post(io, [&] {
    Stall(40ms);
    taken = probe.TakeWorst();  // the probe due 10 ms in has not fired yet
  });
  REQUIRE(testing::RunUntil(io, [&] { return taken > Duration{0}; }, 5s));
  CHECK(taken >= 30ms);
}

}  // namespace
}  // namespace faultline
