// The proxy's plumbing (forwarding, closing, listening, teardown) and the
// latency fault, on real time and on a ManualClock.
#include "harness/proxy/proxy.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "harness/common/test_http_server.h"
#include "harness/proxy/proxy_impl.h"
#include "harness/proxy/proxy_test_rig.h"

namespace faultline {
namespace {

using namespace std::chrono_literals;
using namespace faultline::testing;

TEST_CASE("pass-through forwards both ways unchanged and counts bytes") {
  Rig rig;
  Client client(rig.port());
  REQUIRE_FALSE(client.connect_error());
  CHECK(client.Exchange("hello") == "hello");

  std::string big(4 << 20, '\0');
  std::mt19937_64 random(42);
  for (char& c : big) c = static_cast<char>(random());
  std::string back = client.Exchange(big, 10s);
  CHECK(back.size() == big.size());
  CHECK(back == big);

  const uint64_t total = 5 + big.size();
  CHECK(rig.WaitFor(
      [&](const ProxyCounters& c) { return c.bytes_up == total && c.bytes_down == total; }));
  ProxyCounters counters = rig.Counters();
  CHECK(counters.accepted == 1);
  CHECK(counters.open_client == 1);
  CHECK(counters.open_upstream == 1);
  CHECK(counters.bytes_discarded == 0);
  CHECK(counters.upstream_connect_errors == 0);

  // The client's FIN reaches the echo server, which closes; its FIN comes back.
  client.ShutdownSend();
  CHECK(client.ReadEnd() == asio::error::eof);
  CHECK(rig.WaitFor(NoOpenConnections));
}

TEST_CASE("an upstream that is the proxy itself is refused when it comes back") {
  // A form no check before the proxy sees as its own address (a name that
  // resolves to it behaves the same): without the guard each connection
  // would open another until the fds ran out.
  Rig rig;
  std::vector<std::string> reports;
  rig.OnIo([&] {
    rig.proxy().OnUpstreamConnectError([&](const std::string& why) { reports.push_back(why); });
    rig.proxy().SetUpstream("::ffff:127.0.0.1", rig.port());
  });
  for (int i = 0; i < 3; ++i) {
    Client client(rig.port());
    REQUIRE_FALSE(client.connect_error());
    client.Send("GET / HTTP/1.1\r\n\r\n");
    CHECK(client.ReadEnd() != asio::error::timed_out);  // closed, not looping
  }
  CHECK(rig.WaitFor(NoOpenConnections));
  const ProxyCounters counters = rig.Counters();
  CHECK(counters.accepted <= 3 + 2);  // each client's, and at most two that came back
  CHECK(counters.upstream_connect_errors >= 3);
  rig.OnIo([&] {
    REQUIRE_FALSE(reports.empty());
    CHECK(reports.front().find("this proxy's own listening address") != std::string::npos);
  });
}

// With kProxyWatchFromConnections open, a drained direction waits on the
// proxy's ReadWatch instead of Asio (read_watch.h): the same bytes, FINs and
// delays must come through.
TEST_CASE("with many connections open the read watch forwards bytes and FINs unchanged") {
  Rig rig;
  std::vector<std::unique_ptr<Client>> clients;
  for (size_t i = 0; i < kProxyWatchFromConnections + 2; ++i) {
    clients.push_back(std::make_unique<Client>(rig.port()));
    REQUIRE(RoundTrip(*clients.back()) < 1s);
  }
  for (int round = 0; round < 20; ++round) {
    for (size_t i = 0; i < clients.size(); ++i) {
      const std::string message = "round " + std::to_string(round) + " client " + std::to_string(i);
      REQUIRE(clients[i]->Exchange(message) == message);
    }
  }
  // More than one read's worth at a time: the socket is not drained by a read.
  std::string big(1 << 20, '\0');
  std::mt19937_64 random(7);
  for (char& c : big) c = static_cast<char>(random());
  CHECK(clients[0]->Exchange(big, 10s) == big);
  CHECK(clients[1]->Exchange("small after big") == "small after big");

  rig.SetFault(Latency(50ms));
  auto start = SteadyClock::now();
  CHECK(clients[2]->Exchange("late") == "late");
  CHECK(Since(start) >= 50ms);
  rig.SetFault(std::nullopt);
  CHECK(clients[2]->Exchange("on time") == "on time");

  // Bytes and FIN in one go, each way: the echo answers and closes at once.
  for (auto& client : clients) {
    REQUIRE(client->Send("last words"));
    client->ShutdownSend();
  }
  for (auto& client : clients) {
    error_code ec;
    CHECK(client->Read(SIZE_MAX, 2s, &ec) == "last words");
    CHECK(ec == asio::error::eof);
  }
  CHECK(rig.WaitFor(NoOpenConnections));
}

TEST_CASE_FIXTURE(Connected, "the upstream closing is passed on to the client") {
  rig.OnIo([&] { rig.echo().CloseAll(); });
  CHECK(client.ReadEnd() == asio::error::eof);
  client.Close();
  CHECK(rig.WaitFor(NoOpenConnections));
}

TEST_CASE_FIXTURE(Connected, "latency delays only the chosen direction") {
  const size_t arrivals_before = rig.EchoStats().arrivals.size();

  ProxyFault::Direction direction = ProxyFault::Direction::kDownstream;
  bool delays_up = false, delays_down = true;
  SUBCASE("downstream") {}
  SUBCASE("upstream") {
    direction = ProxyFault::Direction::kUpstream;
    delays_up = true;
    delays_down = false;
  }
  SUBCASE("both") {
    direction = ProxyFault::Direction::kBoth;
    delays_up = true;
  }
  rig.SetFault(Latency(200ms, direction));

  auto sent = SteadyClock::now();
  REQUIRE(client.Exchange("x", 3s) == "x");
  auto received = SteadyClock::now();
  auto stats = rig.EchoStats();
  REQUIRE(stats.arrivals.size() == arrivals_before + 1);
  auto arrived = stats.arrivals.back();

  Duration up = arrived - sent, down = received - arrived;
  INFO("up " << FormatDuration(up) << ", down " << FormatDuration(down));
  if (delays_up) {
    CHECK(up >= 200ms);
  } else {
    CHECK(up < 150ms);
  }
  if (delays_down) {
    CHECK(down >= 200ms);
  } else {
    CHECK(down < 150ms);
  }
  CHECK(received - sent < 1s);
}

TEST_CASE("latency applies to an open connection and ends when cleared") {
  Rig rig;
  Client client(rig.port());
  CHECK(RoundTrip(client) < 150ms);
  rig.SetFault(Latency(200ms));
  Duration slow = RoundTrip(client);
  CHECK(slow >= 200ms);
  CHECK(slow < 1s);
  rig.SetFault(std::nullopt);
  CHECK(RoundTrip(client) < 150ms);
}

TEST_CASE("jitter keeps each delay within latency +/- jitter") {
  Rig rig;
  Client client(rig.port());
  rig.SetFault(Latency(80ms, ProxyFault::Direction::kDownstream, 60ms));
  Duration shortest = 1h, longest = 0s;
  for (int i = 0; i < 12; ++i) {
    Duration rtt = RoundTrip(client);
    CHECK(rtt >= 20ms);
    CHECK(rtt < 140ms + 60ms);  // plus scheduling slack
    shortest = std::min(shortest, rtt);
    longest = std::max(longest, rtt);
  }
  // Uniform over 120ms: twelve samples within 15ms of each other would mean
  // the jitter is not applied.
  CHECK(longest - shortest > 15ms);
}

TEST_CASE_FIXTURE(Connected, "latency still queued when cleared is delivered at once - in order") {
  rig.SetFault(Latency(5s));
  REQUIRE(client.Send("abc"));
  REQUIRE(client.Send("def"));
  REQUIRE(rig.WaitForEcho(1 + 6));
  auto cleared = SteadyClock::now();
  rig.SetFault(std::nullopt);
  CHECK(client.Read(6, 2s) == "abcdef");
  CHECK(Since(cleared) < 1s);
}

TEST_CASE("Close and destruction with connections open and delayed data pending") {
  Rig rig;
  Client a(rig.port()), b(rig.port());
  REQUIRE(RoundTrip(a) < 1s);
  REQUIRE(RoundTrip(b) < 1s);
  // A delay far longer than the rig's drain deadline: a timer left behind
  // would keep the io_context busy and fail the rig's teardown check.
  rig.SetFault(Latency(30s));
  REQUIRE(a.Send("pending"));
  REQUIRE(b.Send("pending"));
  // The upstream has answered; the answers wait in the proxy.
  REQUIRE(rig.WaitForEcho(2 + 14));

  SUBCASE("Close, then destroy before the aborted handlers run") {
    ProxyCounters after = rig.OnIo([&] {
      rig.proxy().Close();
      ProxyCounters counters = rig.proxy().counters();
      rig.DestroyProxy();
      return counters;
    });
    CHECK(after.open_client == 0);
    CHECK(after.open_upstream == 0);
  }
  SUBCASE("destroy without Close") {
    rig.OnIo([&] { rig.DestroyProxy(); });
  }
  CHECK(a.ReadEnd() == asio::error::eof);
  CHECK(b.ReadEnd() == asio::error::eof);
}

TEST_CASE("an upstream that is down closes the client and is counted") {
  Rig rig(/*upstream_up=*/false);
  Client client(rig.port());
  REQUIRE_FALSE(client.connect_error());
  CHECK(client.ReadEnd() == asio::error::eof);
  CHECK(rig.WaitFor([](const ProxyCounters& c) {
    return c.upstream_connect_errors == 1 && c.accepted == 1 && c.open_client == 0 &&
           c.open_upstream == 0;
  }));
}

TEST_CASE("Listen names the port when it is taken") {
  Rig rig;
  asio::io_context io;
  AsioClock clock(io);
  FaultProxy second(io, clock, "inventory", "127.0.0.1", 1, 1);
  Status status = second.Listen("127.0.0.1", rig.port());
  CHECK(status.code() == Status::Code::kUnavailable);
  CHECK(status.message().find("127.0.0.1:" + std::to_string(rig.port())) != std::string::npos);
}

TEST_CASE("fake time: a delayed chunk is delivered exactly when its latency has passed") {
  FakeTimeRig rig;
  auto& [clock, io, echo, proxy] = rig;
  proxy.SetFaults({Latency(200ms)});  // downstream only
  Client client(proxy.port());
  REQUIRE_FALSE(client.connect_error());
  const TimePoint sent = clock.Now();
  REQUIRE(client.Send("x"));
  // Up without delay; the echo comes back and waits in the proxy for its
  // due time: a timer on the fake clock.
  REQUIRE(RunUntil(io, [&] { return clock.pending_timers() == 1; }));
  CHECK(echo.stats().received == 1);
  CHECK(clock.next_due() == sent + 200ms);
  clock.Advance(199ms);
  RunFor(io, 20ms);
  CHECK(client.Silent(0ms));
  CHECK(proxy.counters().bytes_down == 0);
  clock.Advance(1ms);
  REQUIRE(RunUntil(io, [&] { return proxy.counters().bytes_down == 1; }));
  CHECK(client.Read(1, 1s) == "x");
}

TEST_CASE("fake time: jitter keeps each due time within latency +/- jitter") {
  FakeTimeRig rig;
  auto& [clock, io, echo, proxy] = rig;
  proxy.SetFaults({Latency(80ms, ProxyFault::Direction::kDownstream, 60ms)});
  Client client(proxy.port());
  Duration shortest = 1h, longest = 0s;
  for (int i = 0; i < 12; ++i) {
    const TimePoint sent = clock.Now();
    REQUIRE(client.Send("x"));
    REQUIRE(RunUntil(io, [&] { return clock.pending_timers() == 1; }));
    const Duration delay = clock.next_due() - sent;
    CHECK(delay >= 20ms);
    CHECK(delay <= 140ms);
    shortest = std::min(shortest, delay);
    longest = std::max(longest, delay);
    clock.AdvanceTo(clock.next_due());
    REQUIRE(RunUntil(io, [&] { return proxy.counters().bytes_down == uint64_t(i) + 1; }));
    REQUIRE(client.Read(1, 1s) == "x");
  }
  CHECK(longest - shortest > 15ms);
}

TEST_CASE("faults describe themselves for event lines") {
  CHECK(Describe(Fault(ProxyFault::Kind::kHang)) == "hang");
  CHECK(Describe(Fault(ProxyFault::Kind::kReset)) == "reset");
  CHECK(Describe(Fault(ProxyFault::Kind::kRefuse)) == "refuse");
  CHECK(Describe(Latency(3s, ProxyFault::Direction::kUpstream, 100ms)) == "latency 3s±100ms upstream");
  CHECK(Describe(Latency(200ms, ProxyFault::Direction::kBoth)) == "latency 200ms both ways");
  CHECK(Describe(Latency(1s)) == "latency 1s");
  ProxyFault reset_peer = Fault(ProxyFault::Kind::kResetPeer);
  reset_peer.timeout = 2s;
  reset_peer.fraction = 0.3;
  CHECK(Describe(reset_peer) == "reset_peer after 2s on 30% of connections");
  ProxyFault bandwidth = Fault(ProxyFault::Kind::kBandwidth);
  bandwidth.bytes_per_second = 1000;
  bandwidth.name = "thin";
  bandwidth.direction = ProxyFault::Direction::kUpstream;
  CHECK(Describe(bandwidth) == "thin: bandwidth 1000 B/s upstream");
  CHECK(Describe(Fault(ProxyFault::Kind::kConnectHang)) == "connect_hang");
}

TEST_CASE("kind names round-trip and unknown words are rejected") {
  for (int k = 0; k <= static_cast<int>(ProxyFault::Kind::kConnectHang); ++k) {
    auto kind = static_cast<ProxyFault::Kind>(k);
    CHECK(KindFromName(KindName(kind)) == kind);
  }
  CHECK(KindName(ProxyFault::Kind::kSlowClose) == "slow_close");
  CHECK(KindName(ProxyFault::Kind::kConnectHang) == "connect_hang");
  CHECK_FALSE(KindFromName("hnag").has_value());
}

TEST_CASE("listening on ::1 and an upstream named localhost") {
  asio::io_context io;
  AsioClock clock(io);
  EchoServer echo(io);
  FaultProxy proxy(io, clock, "inventory", "localhost", echo.port(), 1);
  Status status = proxy.Listen("::1", 0);
  if (status.code() == Status::Code::kUnavailable) return;  // no IPv6 here
  REQUIRE_MESSAGE(status.ok(), status.message());
  CHECK(proxy.listen_host() == "::1");
  CHECK(proxy.Listen("::1", 0).message().find("[::1]:") != std::string::npos);
  CHECK(FaultProxy(io, clock, "x", "localhost", 1, 1).Listen("nowhere", 0).code() ==
        Status::Code::kInvalid);
  // The kernel completes the handshake and takes the bytes before the proxy
  // accepts; the proxy's loop then runs on this thread until the echo is back.
  asio::io_context own;
  tcp::socket client(own);
  client.connect(tcp::endpoint(asio::ip::address_v6::loopback(), proxy.port()));
  asio::write(client, asio::buffer("ping", 4));
  REQUIRE(RunUntil(io, [&] { return proxy.counters().bytes_down == 4; }));
  std::array<char, 4> back{};
  asio::read(client, asio::buffer(back));
  CHECK(std::string(back.data(), 4) == "ping");
}

}  // namespace
}  // namespace faultline
