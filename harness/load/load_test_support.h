// For the load generator's tests: what the sink reported, and helpers to
// drive a generator on a real loop. The server is testing::TestHttpServer.
#pragma once

#include <chrono>
#include <map>
#include <vector>

#include <doctest/doctest.h>

#include "harness/common/clock.h"
#include "harness/common/test_http_server.h"
#include "harness/load/load_generator.h"

namespace faultline::testing {

// Collects what the sink reports.
struct Tally {
  std::vector<RequestResult> results;
  std::map<Outcome, int> by_outcome;
  LoadGenerator::Sink Sink() {
    return [this](const RequestResult& r) {
      results.push_back(r);
      ++by_outcome[r.outcome];
    };
  }
  int count(Outcome o) const {
    auto it = by_outcome.find(o);
    return it == by_outcome.end() ? 0 : it->second;
  }
  uint64_t total() const { return results.size(); }
};

inline LoadOptions Options(uint16_t port, Duration timeout = std::chrono::seconds(10)) {
  LoadOptions options;
  options.port = port;
  options.timeout = timeout;
  options.epoch = SteadyClock::now();
  return options;
}

// A real loop and clock with a TestHttpServer and a Tally, for tests that
// build their generator from options of their own.
struct ServedLoop {
  explicit ServedLoop(ServerMode mode, int status = 200, Duration delay = Duration{0})
      : clock(io), server(io, mode, status, delay) {}
  asio::io_context io;
  AsioClock clock;
  TestHttpServer server;
  Tally tally;
};

// A generator on a real loop and clock, sending to a TestHttpServer.
struct LoadRig {
  LoadRig(Duration timeout, ServerMode mode, int status = 200, Duration delay = Duration{0},
          size_t body_size = 2)
      : clock(io),
        server(io, mode, status, delay, body_size),
        gen(io, clock, Options(server.port(), timeout), tally.Sink()) {}
  asio::io_context io;
  AsioClock clock;
  TestHttpServer server;
  Tally tally;
  LoadGenerator gen;
};

// Sends at `rate` for `d`, stops, and lets every request end within `drain`.
inline void Burst(asio::io_context& io, LoadGenerator& gen, double rate, Duration d,
                  Duration drain = std::chrono::seconds(2)) {
  gen.SetRate(rate);
  RunFor(io, d);
  gen.Stop();
  REQUIRE(RunUntil(io, [&] { return gen.in_flight() == 0; }, drain));
}

}  // namespace faultline::testing
