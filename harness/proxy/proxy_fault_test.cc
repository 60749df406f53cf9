// The proxy's hang, reset and refuse faults, and switching between faults.
#include "harness/proxy/proxy.h"

#include <doctest/doctest.h>

#include <chrono>
#include <string>

#include "harness/proxy/proxy_test_rig.h"

namespace faultline {
namespace {

using namespace faultline::testing;

TEST_CASE("hang discards bytes both ways - keeps connections open and lets new bytes flow after") {
  Rig rig;
  Client before(rig.port());
  REQUIRE(before.Exchange("ping") == "ping");
  const size_t echoed_before = rig.EchoStats().received;

  rig.SetFault(Fault(ProxyFault::Kind::kHang));
  REQUIRE(before.Send("lost"));
  Client during(rig.port());
  REQUIRE_FALSE(during.connect_error());
  REQUIRE(during.Send("gone!"));
  CHECK(rig.WaitFor([](const ProxyCounters& c) {
    return c.accepted == 2 && c.open_upstream == 2 && c.bytes_discarded == 9;
  }));
  // Neither data nor EOF reaches the clients while hung.
  CHECK(before.Silent(300ms));
  CHECK(during.Silent(0ms));
  CHECK(rig.EchoStats().received == echoed_before);

  rig.SetFault(std::nullopt);
  CHECK(before.Exchange("new") == "new");      // not "lostnew"
  CHECK(during.Exchange("again") == "again");  // not "gone!again"
  CHECK(rig.EchoStats().received == echoed_before + 3 + 5);
  CHECK(rig.Counters().bytes_discarded == 9);
}

TEST_CASE_FIXTURE(Hung, "a hang hides the upstream closing - an idle connection sees it when the hang ends") {
  // The proxy notices the upstream went away, but the client must not.
  CHECK(rig.CloseUpstream());
  CHECK(client.Silent(300ms));
  CHECK(rig.Counters().open_client == 1);

  // Nothing was lost on this connection (it was idle, like a pooled
  // keep-alive connection): when the hang ends the client sees the close.
  rig.SetFault(std::nullopt);
  CHECK(client.ReadEnd() == asio::error::eof);
  CHECK(rig.WaitFor(NoOpenConnections));
}

TEST_CASE_FIXTURE(Hung, "a request lost in a hang is never answered - also after the hang ends") {
  REQUIRE(client.Send("lost request"));
  CHECK(rig.WaitFor([](const ProxyCounters& c) { return c.bytes_discarded >= 12; }));
  CHECK(rig.CloseUpstream());

  // After the hang the connection stays open and silent until the client leaves.
  rig.SetFault(std::nullopt);
  REQUIRE(client.Send("anyone?"));
  CHECK(client.Silent(300ms));
  CHECK(rig.Counters().open_client == 1);
  client.Close();
  CHECK(rig.WaitFor(NoOpenConnections));
}

TEST_CASE_FIXTURE(Hung, "a client closing during a hang closes the upstream") {
  client.Close();
  CHECK(rig.WaitFor(NoOpenConnections));
  CHECK(rig.OnIo([&] { return rig.echo().stats().open; }) == 0);
}

TEST_CASE("reset sends RST on open and new connections until cleared") {
  Rig rig;
  Client open(rig.port());
  REQUIRE(RoundTrip(open) < 1s);

  rig.SetFault(Fault(ProxyFault::Kind::kReset));
  CHECK(open.ReadEnd() == asio::error::connection_reset);
  Client fresh(rig.port());
  REQUIRE_FALSE(fresh.connect_error());  // the kernel completes the handshake
  CHECK(fresh.ReadEnd() == asio::error::connection_reset);
  CHECK(rig.WaitFor([](const ProxyCounters& c) {
    return c.resets == 2 && c.accepted == 2 && c.open_client == 0 && c.open_upstream == 0;
  }));
  // The upstream side was torn down too.
  CHECK(rig.OnIo([&] { return rig.echo().stats().open; }) == 0);

  rig.SetFault(std::nullopt);
  Client after(rig.port());
  CHECK(RoundTrip(after) < 1s);
}

TEST_CASE("refuse closes the port and resets open connections - clearing listens on the same port") {
  Rig rig;
  const uint16_t port = rig.port();
  Client open(port);
  REQUIRE(RoundTrip(open) < 1s);

  rig.SetFault(Fault(ProxyFault::Kind::kRefuse));
  CHECK(open.ReadEnd() == asio::error::connection_reset);
  Client refused(port);
  CHECK(refused.connect_error() == asio::error::connection_refused);
  CHECK(rig.Counters().resets == 1);

  rig.SetFault(std::nullopt);
  CHECK(rig.OnIo([&] { return rig.proxy().port(); }) == port);
  Client after(port);
  REQUIRE_FALSE(after.connect_error());
  CHECK(after.Exchange("back") == "back");
}

TEST_CASE_FIXTURE(Connected, "switching directly from one fault to another") {
  rig.SetFault(Latency(5s));
  REQUIRE(client.Send("late"));
  // hang drops what latency still held; reset then resets the hung connection.
  rig.SetFault(Fault(ProxyFault::Kind::kHang));
  CHECK(rig.WaitFor([](const ProxyCounters& c) { return c.bytes_discarded == 4; }));
  rig.SetFault(Fault(ProxyFault::Kind::kReset));
  CHECK(client.ReadEnd() == asio::error::connection_reset);

  rig.SetFault(Fault(ProxyFault::Kind::kRefuse));
  CHECK(Client(rig.port()).connect_error() == asio::error::connection_refused);

  rig.SetFault(Latency(100ms, ProxyFault::Direction::kBoth));
  Client slow(rig.port());
  REQUIRE_FALSE(slow.connect_error());
  Duration rtt = RoundTrip(slow);
  CHECK(rtt >= 200ms);
  CHECK(rtt < 1s);

  rig.SetFault(std::nullopt);
  CHECK(RoundTrip(slow) < 150ms);
}

TEST_CASE("a hang keeps clients silent while the upstream closes idle connections") {
  // The upstream closes every connection 1 s after accepting it.
  Rig rig(1s);
  Client pooled(rig.port());  // connected before the hang, idle
  REQUIRE(rig.WaitFor([](const ProxyCounters& c) { return c.open_upstream == 1; }));
  rig.SetFault(Fault(ProxyFault::Kind::kHang));
  Client during(rig.port());  // connected during the hang, with a request
  REQUIRE_FALSE(during.connect_error());
  REQUIRE(during.Send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  // Both upstream connections are closed by the dependency within the hang;
  // neither client sees data, FIN or RST for the whole 2.5 s.
  auto start = SteadyClock::now();
  CHECK(during.Silent(2500ms));
  CHECK(pooled.Silent(2500ms - Since(start)));
  CHECK(rig.OnIo([&] { return rig.idle_closing().closed(); }) == 2);
  CHECK(rig.Counters().open_client == 2);

  // When the hang ends, the idle connection sees the close; the one whose
  // request was lost stays silent.
  rig.SetFault(std::nullopt);
  CHECK(pooled.ReadEnd() == asio::error::eof);
  CHECK(during.Silent(300ms));
}

TEST_CASE("connect_hang makes new connects time out - open connections keep working") {
  Rig rig;
  Client open(rig.port());
  REQUIRE(RoundTrip(open) < 1s);

  rig.SetFault(Fault(ProxyFault::Kind::kConnectHang));
  auto start = SteadyClock::now();
  Client hung(rig.port(), 300ms);
  CHECK(hung.connect_error() == asio::error::timed_out);  // not refused
  CHECK(Since(start) >= 290ms);  // poll() counts whole milliseconds
  Client another(rig.port(), 300ms);
  CHECK(another.connect_error() == asio::error::timed_out);
  CHECK(RoundTrip(open) < 1s);
  CHECK(rig.Counters().accepted == 1);

  rig.SetFault(std::nullopt);
  Client after(rig.port(), 2s);
  REQUIRE_FALSE(after.connect_error());
  CHECK(RoundTrip(after) < 1s);
  // The proxy's own plug connection is not counted as a client.
  CHECK(rig.WaitFor([](const ProxyCounters& c) { return c.open_client == 2; }));
}

TEST_CASE("connect_hang then refuse then nothing restores the listener") {
  Rig rig;
  rig.SetFault(Fault(ProxyFault::Kind::kConnectHang));
  CHECK(Client(rig.port(), 200ms).connect_error() == asio::error::timed_out);
  rig.SetFault(Fault(ProxyFault::Kind::kRefuse));
  CHECK(Client(rig.port(), 200ms).connect_error() == asio::error::connection_refused);
  rig.SetFault(Fault(ProxyFault::Kind::kConnectHang));
  CHECK(Client(rig.port(), 200ms).connect_error() == asio::error::timed_out);
  rig.SetFault(std::nullopt);
  Client after(rig.port(), 2s);
  REQUIRE_FALSE(after.connect_error());
  CHECK(RoundTrip(after) < 1s);
}

}  // namespace
}  // namespace faultline
