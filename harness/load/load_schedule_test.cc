// The load generator's schedule: open loop, rates, intended start times and
// latency. Real-time tests first, then the same rules on a ManualClock.
#include "harness/load/load_generator.h"

#include <algorithm>
#include <memory>
#include <vector>

#include <doctest/doctest.h>

#include "harness/common/clock.h"
#include "harness/load/load_test_support.h"

namespace faultline {
namespace {

using namespace std::chrono_literals;
using namespace faultline::testing;

TEST_CASE("open loop: in-flight requests grow at the rate when the server never answers") {
  LoadRig rig(30s, ServerMode::kNever);
  auto& [io, clock, server, tally, gen] = rig;
  SteadyClock::time_point t0 = SteadyClock::now();
  gen.SetRate(200);
  // At each check, every request due by then is in flight: about 200 per
  // second elapsed. The bounds use the clock rather than the nominal time, so
  // that a loaded machine overshooting run_until cannot fail the test.
  for (int second = 1; second <= 2; ++second) {
    io.run_until(t0 + std::chrono::seconds(second));
    double before = ToSeconds(SteadyClock::now() - t0);
    io.poll();  // an expiry that became ready during the check runs now
    double after = ToSeconds(SteadyClock::now() - t0);
    CAPTURE(second);
    CHECK(gen.in_flight() >= 200 * second - 2);
    CHECK(gen.in_flight() >= static_cast<uint64_t>(200 * before) - 1);
    CHECK(gen.in_flight() <= static_cast<uint64_t>(200 * after) + 1);
  }
  CHECK(gen.scheduled() == gen.in_flight());
  CHECK(tally.total() == 0);
  CHECK(gen.open_connections() == gen.in_flight());  // no idle connection to reuse
}

TEST_CASE("keep-alive: 1000 req/s for 5 s sends 5000 requests within 2% over few connections") {
  LoadRig rig(10s, ServerMode::kAnswer);
  auto& [io, clock, server, tally, gen] = rig;
  SteadyClock::time_point t0 = SteadyClock::now();
  gen.SetRate(1000);
  io.run_until(t0 + 5s);
  // 5 s, or a little more on a loaded machine: Stop starts every request due
  // by then, however late the loop is, so the count follows the clock.
  double before_stop = ToSeconds(SteadyClock::now() - t0);
  gen.Stop();
  double after_stop = ToSeconds(SteadyClock::now() - t0);
  REQUIRE(RunUntil(io, [&] { return gen.in_flight() == 0; }, 2s));
  CHECK(gen.scheduled() >= 5000);
  CHECK(tally.count(Outcome::kOk) >= 0.98 * 1000 * before_stop);
  CHECK(tally.count(Outcome::kOk) <= 1000 * after_stop + 1);
  CHECK(tally.total() == gen.scheduled());
  CHECK(tally.count(Outcome::kOk) == static_cast<int>(tally.total()));
  CHECK(server.requests == tally.count(Outcome::kOk));
  // Reuse: a handful of connections normally; stalls of a heavily loaded
  // machine overlap requests and open more, still far fewer than requests.
  CHECK(server.accepted * 3 < tally.count(Outcome::kOk));
  // Stop closed the idle connections.
  CHECK(RunUntil(io, [&] { return server.client_closed == server.accepted; }, 2s));
  CHECK(gen.open_connections() == 0);
}

TEST_CASE("max_in_flight: requests beyond the ceiling are dropped and every request is reported once") {
  ServedLoop loop(ServerMode::kNever);
  auto& [io, clock, server, tally] = loop;
  LoadOptions options = Options(server.port(), 1500ms);
  options.max_in_flight = 10;
  LoadGenerator gen(io, clock, options, tally.Sink());
  SteadyClock::time_point t0 = SteadyClock::now();
  gen.SetRate(100);
  io.run_until(t0 + 1s);
  double before_stop = ToSeconds(SteadyClock::now() - t0);
  gen.Stop();  // starts (or drops) every request due by now
  double after_stop = ToSeconds(SteadyClock::now() - t0);
  CHECK(gen.in_flight() == 10);
  CHECK(gen.scheduled() >= static_cast<uint64_t>(100 * before_stop));
  CHECK(gen.scheduled() <= static_cast<uint64_t>(100 * after_stop) + 1);
  CHECK(tally.count(Outcome::kDropped) == static_cast<int>(gen.scheduled()) - 10);
  for (const RequestResult& r : tally.results) CHECK(r.latency_s == 0);
  REQUIRE(RunUntil(io, [&] { return gen.in_flight() == 0; }, 3s));
  CHECK(tally.count(Outcome::kTimeout) == 10);
  CHECK(tally.total() == gen.scheduled());
  CHECK(server.accepted == 10);
}

TEST_CASE("latency is measured from the intended start") {
  ServedLoop loop(ServerMode::kAnswer, 200, 150ms);
  auto& [io, clock, server, tally] = loop;
  LoadOptions options = Options(server.port());
  LoadGenerator gen(io, clock, options, tally.Sink());
  Burst(io, gen, 20, 200ms);
  REQUIRE(tally.total() >= 3);
  CHECK(tally.count(Outcome::kOk) == static_cast<int>(tally.total()));
  double previous = -1;
  for (const RequestResult& r : tally.results) {
    CHECK(r.latency_s >= 0.150);
    CHECK(r.latency_s < 1.0);
    CHECK(r.intended_s >= 0);
    CHECK(r.intended_s > previous);
    previous = r.intended_s;
  }
  // Requests due 50 ms apart, each held 150 ms: they overlap on new connections.
  CHECK(server.accepted >= 3);
}

TEST_CASE("a stalled loop catches up: latency includes the stall") {
  LoadRig rig(10s, ServerMode::kAnswer);
  auto& [io, clock, server, tally, gen] = rig;
  SteadyClock::time_point t0 = SteadyClock::now();
  gen.SetRate(100);
  // Block the loop for 300 ms: the requests due meanwhile start late, at once.
  asio::post(io, [] {
    SteadyClock::time_point until = SteadyClock::now() + 300ms;
    while (SteadyClock::now() < until) {
    }
  });
  io.run_until(t0 + 500ms);
  gen.Stop();
  double stopped = ToSeconds(SteadyClock::now() - t0);
  REQUIRE(RunUntil(io, [&] { return gen.in_flight() == 0; }, 2s));
  CHECK(gen.scheduled() >= 51);  // due at 0, 10, ..., 500 ms
  CHECK(gen.scheduled() <= static_cast<uint64_t>(100 * stopped) + 1);
  CHECK(tally.count(Outcome::kOk) == static_cast<int>(gen.scheduled()));
  double worst = 0;
  for (const RequestResult& r : tally.results) worst = std::max(worst, r.latency_s);
  CHECK(worst >= 0.25);
}

TEST_CASE("SetRate changes the rate mid-run and SetRate(0) stops and closes idle connections") {
  ServedLoop loop(ServerMode::kAnswer);
  auto& [io, clock, server, tally] = loop;
  LoadOptions options = Options(server.port());
  LoadGenerator gen(io, clock, options, tally.Sink());
  auto since_epoch = [&] { return ToSeconds(SteadyClock::now() - options.epoch); };
  double started = since_epoch();
  gen.SetRate(100);
  io.run_until(SteadyClock::now() + 1s);
  double changed = since_epoch();
  gen.SetRate(300);
  io.run_until(SteadyClock::now() + 1s);
  REQUIRE(server.accepted >= 1);

  gen.SetRate(0);
  CHECK(RunUntil(io, [&] { return gen.in_flight() == 0 && gen.open_connections() == 0; }, 2s));
  CHECK(RunUntil(io, [&] { return server.client_closed == server.accepted; }, 2s));
  uint64_t stopped_at = gen.scheduled();
  RunFor(io, 200ms);
  CHECK(gen.scheduled() == stopped_at);
  CHECK(tally.total() == gen.scheduled());
  CHECK(tally.count(Outcome::kOk) == static_cast<int>(tally.total()));

  // Every due request was sent and answered, so the rate shows in the
  // intended start times: 0.8 s windows well inside each phase hold 80
  // requests at 100/s and 240 at 300/s. (Windows, not counts at a wall-clock
  // instant, so a loaded machine cannot fail the test.)
  auto count_between = [&](double from, double to) {
    int n = 0;
    for (const RequestResult& r : tally.results) n += r.intended_s >= from && r.intended_s < to;
    return n;
  };
  CHECK(count_between(started + 0.1, started + 0.9) >= 79);
  CHECK(count_between(started + 0.1, started + 0.9) <= 81);
  CHECK(count_between(changed + 0.1, changed + 0.9) >= 238);
  CHECK(count_between(changed + 0.1, changed + 0.9) <= 242);

  // From 0, the first request is due at once.
  double restarted = since_epoch();
  gen.SetRate(10);
  REQUIRE(RunUntil(io, [&] { return tally.total() == stopped_at + 1; }, 2s));
  CHECK(tally.results.back().intended_s >= restarted);
  CHECK(tally.results.back().intended_s < restarted + 0.05);
}

// The same rules on a ManualClock: exact, and without sleeping. With
// max_in_flight = 0 every request is reported at once as kDropped with its
// intended start, so the schedule shows without any socket.
struct FakeTimeRig {
  explicit FakeTimeRig(uint16_t port = 1, uint64_t max_in_flight = 0, Duration timeout = 10s) {
    options.port = port;
    options.timeout = timeout;
    options.max_in_flight = max_in_flight;
    options.epoch = clock.Now();
    gen = std::make_unique<LoadGenerator>(io, clock, options, tally.Sink());
  }
  std::vector<Duration> Intended() const {
    std::vector<Duration> out;
    for (const RequestResult& r : tally.results) out.push_back(FromSeconds(r.intended_s));
    return out;
  }
  asio::io_context io;
  ManualClock clock;
  LoadOptions options;
  Tally tally;
  std::unique_ptr<LoadGenerator> gen;
};

// Within a microsecond: intended_s is a double of seconds since the epoch.
bool Near(Duration a, Duration b) { return a - b < 1us && b - a < 1us; }

TEST_CASE("fake time: SetRate(100) starts exactly 100 requests in 1 s on the 10 ms grid") {
  FakeTimeRig rig;
  rig.gen->SetRate(100);
  CHECK(rig.gen->scheduled() == 0);  // due at once, but not inside SetRate
  rig.clock.Advance(999ms);
  CHECK(rig.gen->scheduled() == 100);
  REQUIRE(rig.tally.count(Outcome::kDropped) == 100);
  std::vector<Duration> intended = rig.Intended();
  for (size_t i = 0; i < intended.size(); ++i) {
    CAPTURE(i);
    CHECK(Near(intended[i], std::chrono::milliseconds(10 * i)));
  }
  rig.clock.Advance(1ms);
  CHECK(rig.gen->scheduled() == 101);
}

TEST_CASE("fake time: a rate change mid-way spaces requests at the new rate from the last one") {
  FakeTimeRig rig;
  rig.gen->SetRate(100);
  rig.clock.Advance(500ms);
  CHECK(rig.gen->scheduled() == 51);  // 0, 10, ..., 500 ms
  rig.gen->SetRate(200);
  CHECK(rig.gen->scheduled() == 51);  // the change starts nothing early
  rig.clock.Advance(500ms);
  CHECK(rig.gen->scheduled() == 151);  // 505, 510, ..., 1000 ms
  std::vector<Duration> intended = rig.Intended();
  REQUIRE(intended.size() == 151);
  CHECK(Near(intended[50], 500ms));
  CHECK(Near(intended[51], 505ms));
  CHECK(Near(intended[150], 1000ms));
  // Down again: the next request keeps the new, longer spacing.
  rig.gen->SetRate(10);
  rig.clock.Advance(99ms);
  CHECK(rig.gen->scheduled() == 151);
  rig.clock.Advance(1ms);
  CHECK(rig.gen->scheduled() == 152);
  CHECK(Near(rig.Intended().back(), 1100ms));
}

TEST_CASE("fake time: a phase's end bounds its schedule even when the next change comes late") {
  FakeTimeRig rig;
  const TimePoint t0 = rig.clock.Now();
  rig.gen->SetRate(10, t0 + 1s);  // a 1 s phase at 10/s: 0, 100, ..., 900 ms
  rig.clock.Advance(1500ms);      // the loop is late to end it
  CHECK(rig.gen->scheduled() == 10);
  rig.gen->Stop();
  CHECK(rig.gen->scheduled() == 10);
  CHECK(Near(rig.Intended().back(), 900ms));
  // The next phase's rate starts from the change, without a burst.
  FakeTimeRig next;
  const TimePoint n0 = next.clock.Now();
  next.gen->SetRate(10, n0 + 1s);
  next.clock.Advance(1500ms);
  next.gen->SetRate(20, n0 + 3s);
  next.clock.Advance(0ms);
  CHECK(next.gen->scheduled() == 11);  // the first at the new rate, due at once
  CHECK(Near(next.Intended().back(), 1500ms));
  next.clock.Advance(1500ms);          // to 3 s: 1.5 s at 20/s, the one due at 3 s excluded
  CHECK(next.gen->scheduled() == 40);
  CHECK(Near(next.Intended().back(), 2950ms));
}

TEST_CASE("fake time: a phase reached late still sends every request due since its start") {
  FakeTimeRig rig;
  const TimePoint t0 = rig.clock.Now();
  rig.gen->SetRate(10, t0 + 1s, t0);  // 0, 100, ..., 900 ms
  rig.clock.Advance(1500ms);          // the loop comes to the next phase 500 ms late
  CHECK(rig.gen->scheduled() == 10);
  rig.gen->SetRate(20, t0 + 3s, t0 + 1s);
  rig.clock.Advance(0ms);
  CHECK(rig.gen->scheduled() == 21);  // 1000, 1050, ..., 1500 ms: late, not lost
  std::vector<Duration> intended = rig.Intended();
  CHECK(Near(intended[10], 1000ms));
  CHECK(Near(intended[20], 1500ms));
  rig.clock.Advance(1500ms);
  CHECK(rig.gen->scheduled() == 50);  // 2 s at 20/s from the phase's start
  CHECK(Near(rig.Intended().back(), 2950ms));
  // From 0, the first request is due at the phase's start too.
  FakeTimeRig idle;
  const TimePoint i0 = idle.clock.Now();
  idle.clock.Advance(300ms);
  idle.gen->SetRate(10, i0 + 1s, i0 + 100ms);
  idle.clock.Advance(0ms);
  CHECK(idle.gen->scheduled() == 3);  // 100, 200, 300 ms
  CHECK(Near(idle.Intended().front(), 100ms));
}

TEST_CASE("fake time: the first request after a change from 0 is due at once") {
  FakeTimeRig rig;
  rig.gen->SetRate(10);
  rig.clock.Advance(50ms);
  CHECK(rig.gen->scheduled() == 1);
  rig.gen->SetRate(0);
  rig.clock.Advance(1s);
  CHECK(rig.gen->scheduled() == 1);
  CHECK(rig.clock.pending_timers() == 0);
  rig.gen->SetRate(10);
  rig.clock.Advance(0ms);
  CHECK(rig.gen->scheduled() == 2);
  CHECK(Near(rig.Intended().back(), 1050ms));
}

TEST_CASE("fake time: latency runs from the intended start to the response") {
  asio::io_context io;
  TestHttpServer server(io, ServerMode::kAnswer);
  ManualClock clock;
  LoadOptions options = Options(server.port());
  options.epoch = clock.Now();
  Tally tally;
  LoadGenerator gen(io, clock, options, tally.Sink());
  gen.SetRate(10);
  clock.Advance(0ms);  // the first request starts: connect and write on the loop
  REQUIRE(gen.in_flight() == 1);
  clock.Advance(30ms);  // the answer is read only after fake time moved on
  REQUIRE(RunUntil(io, [&] { return tally.total() == 1; }));
  CHECK(tally.count(Outcome::kOk) == 1);
  CHECK(tally.results[0].intended_s == 0);
  CHECK(Near(FromSeconds(tally.results[0].latency_s), 30ms));
  gen.Stop();
}

TEST_CASE("fake time: the client timeout ends a request exactly when it passes") {
  asio::io_context io;
  TestHttpServer server(io, ServerMode::kNever);
  ManualClock clock;
  LoadOptions options = Options(server.port(), 200ms);
  options.epoch = clock.Now();
  Tally tally;
  LoadGenerator gen(io, clock, options, tally.Sink());
  gen.SetRate(1);
  clock.Advance(0ms);
  gen.Stop();
  REQUIRE(RunUntil(io, [&] { return server.requests == 1; }));
  clock.Advance(199ms);
  RunFor(io, 10ms);
  CHECK(tally.total() == 0);
  CHECK(gen.in_flight() == 1);
  clock.Advance(1ms);
  REQUIRE(tally.total() == 1);
  CHECK(tally.count(Outcome::kTimeout) == 1);
  CHECK(Near(FromSeconds(tally.results[0].latency_s), 200ms));
  CHECK(RunUntil(io, [&] { return server.client_closed == 1; }));
  CHECK(gen.open_connections() == 0);
}

}  // namespace
}  // namespace faultline
