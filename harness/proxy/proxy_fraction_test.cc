// `fraction`: drawn once per (connection, fault name) from the proxy's
// seeded generator, so the same seed and the same events give the same
// connections.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "harness/proxy/proxy.h"
#include "harness/proxy/proxy_test_rig.h"

namespace faultline {
namespace {

using namespace faultline::testing;

ProxyFault Partial(ProxyFault fault, double fraction) {
  fault.fraction = fraction;
  return fault;
}

// Opens `n` connections one after the other through a proxy with `seed`
// under `faults`; for each, whether the proxy reset it.
std::vector<bool> ResetPattern(uint64_t seed, const std::vector<ProxyFault>& faults, int n,
                               ProxyCounters* counters = nullptr) {
  asio::io_context io;
  ManualClock clock;
  EchoServer echo(io);
  FaultProxy proxy(io, clock, "inventory", "127.0.0.1", echo.port(), seed);
  REQUIRE(proxy.Listen("127.0.0.1", 0).ok());
  proxy.SetFaults(faults);
  std::vector<bool> reset;
  for (int i = 0; i < n; ++i) {
    const uint64_t resets_before = proxy.counters().resets;
    Client client(proxy.port());
    REQUIRE_FALSE(client.connect_error());
    REQUIRE(RunUntil(io, [&] { return proxy.counters().accepted == uint64_t(i) + 1; }));
    reset.push_back(proxy.counters().resets > resets_before);
    client.Close();
  }
  if (counters) *counters = proxy.counters();
  return reset;
}

TEST_CASE("fraction 0.3 applies to about 30 percent of connections and repeats with the seed") {
  constexpr int kConnections = 200;
  const std::vector<ProxyFault> faults = {Partial(Fault(ProxyFault::Kind::kReset), 0.3)};
  ProxyCounters counters;
  std::vector<bool> first = ResetPattern(11, faults, kConnections, &counters);
  int applied = 0;
  for (bool b : first) applied += b ? 1 : 0;
  // Binomial(200, 0.3): mean 60, standard deviation sqrt(200 * 0.3 * 0.7)
  // = 6.5; 4 standard deviations either side (26) fail a fair draw with
  // probability below 1e-4, and the seed is fixed anyway.
  CHECK(applied >= 60 - 26);
  CHECK(applied <= 60 + 26);
  CHECK(counters.resets == uint64_t(applied));
  CHECK(counters.affected.at("reset") == uint64_t(applied));
  // The same seed draws the same connections; another seed other ones.
  CHECK(ResetPattern(11, faults, kConnections) == first);
  CHECK(ResetPattern(12, faults, kConnections) != first);
}

TEST_CASE("fraction 0 never applies and fraction 1 always does") {
  ProxyCounters counters;
  ResetPattern(3, {Partial(Fault(ProxyFault::Kind::kReset), 0.0)}, 20, &counters);
  CHECK(counters.resets == 0);
  ResetPattern(3, {Fault(ProxyFault::Kind::kReset)}, 20, &counters);
  CHECK(counters.resets == 20);
}

TEST_CASE_FIXTURE(Connected, "a fault that stays keeps its draw - a new name draws again") {
  // Latency on half the connections: this one either always waits or never,
  // however often the set is replaced while the fault stays.
  ProxyFault half = Partial(Named(Latency(150ms), "slow"), 0.5);
  rig.SetFaults({half});
  const bool slow = RoundTrip(client) >= 150ms;
  for (int i = 0; i < 3; ++i) {
    ProxyFault other = Fault(ProxyFault::Kind::kSlowClose);
    rig.SetFaults({half, Named(other, "other" + std::to_string(i))});
    CHECK((RoundTrip(client) >= 150ms) == slow);
  }
  CHECK(rig.Counters().affected.count("slow") == (slow ? 1u : 0u));
  CHECK(rig.Counters().affected.at("other2") == 1);
}

TEST_CASE("refuse with a fraction below 1 resets a share of new connections and keeps listening") {
  ProxyCounters counters;
  ResetPattern(5, {Partial(Fault(ProxyFault::Kind::kRefuse), 0.5)}, 40, &counters);
  CHECK(counters.accepted == 40);
  CHECK(counters.resets > 5);
  CHECK(counters.resets < 35);
}

}  // namespace
}  // namespace faultline
