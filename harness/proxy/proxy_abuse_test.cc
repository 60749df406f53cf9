// Proxy abuse in process (issue 13 point 4), where the proxy's own counters
// can be read: garbage through the HTTP-aware proxy (the stand-alone
// `faultline proxy` has no HTTP mode), half-close each way, an upstream
// that refuses 1,000 connections in a row, an upstream that resets
// mid-stream. Each ends with no proxied connection open and this process's
// fds back to their count before it. The stand-alone process under abuse
// (its RSS and fds, 10,000 connections, the control API): tests/proxy_abuse_test.cc.
#include <doctest/doctest.h>

#include <filesystem>
#include <random>
#include <string>

#include "harness/proxy/proxy.h"
#include "harness/proxy/proxy_test_rig.h"
#include "harness/proxy/proxy_test_upstream.h"

namespace faultline {
namespace {

using namespace faultline::testing;

size_t OpenFds() {
  size_t n = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) n++;
  return n;
}

// Polls until this process has at most `fds` open, or 5 s pass.
bool FdsBackTo(size_t fds) {
  return Eventually([&] { return OpenFds() <= fds; }, 5s);
}

std::string RandomBytes(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string bytes(n, '\0');
  for (char& c : bytes) c = static_cast<char>(rng());
  return bytes;
}

bool Ended(const error_code& ec) {
  return ec == asio::error::eof || ec == asio::error::connection_reset;
}

// One request and its answer through the proxy on a fresh connection.
void ServesARequest(Rig& rig, ListeningUpstream& upstream) {
  Client client(rig.port());
  auto dep = upstream.Accept();
  REQUIRE(dep != nullptr);
  const std::string get = "GET /after HTTP/1.1\r\nHost: inv\r\n\r\n";
  const std::string ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
  REQUIRE(client.Send(get));
  CHECK(dep->Read(get.size()) == get);
  REQUIRE(dep->Send(ok));
  CHECK(client.Read(ok.size()) == ok);
}

TEST_CASE("abuse: http-mode garbage both ways is piped unchanged or closed cleanly") {
  ListeningUpstream upstream;
  Rig rig(upstream.port(), ProxyProtocol::kHttp);
  const size_t fds = OpenFds();
  const std::string up = RandomBytes(64 * 1024, 13);
  const std::string down = RandomBytes(64 * 1024, 14);
  SUBCASE("the client speaks first") {
    Client client(rig.port());
    auto dep = upstream.Accept();
    REQUIRE(dep != nullptr);
    REQUIRE(client.Send(up));
    // A request the parser cannot read turns the connection into a pipe.
    CHECK(dep->Read(up.size()) == up);
    REQUIRE(dep->Send(down));
    error_code ec;
    const std::string got = client.Read(down.size(), 5s, &ec);
    CHECK_MESSAGE((got == down || (Ended(ec) && down.starts_with(got))), "got ", got.size());
  }
  SUBCASE("the upstream speaks first") {
    Client client(rig.port());
    auto dep = upstream.Accept();
    REQUIRE(dep != nullptr);
    REQUIRE(dep->Send(down));
    error_code ec;
    const std::string got = client.Read(down.size(), 5s, &ec);
    // An answer to no request: passed on, or the connection closed.
    CHECK_MESSAGE((got == down || (Ended(ec) && down.starts_with(got))), "got ", got.size());
  }
  CHECK(rig.WaitFor(NoOpenConnections));
  ServesARequest(rig, upstream);
  CHECK(rig.WaitFor(NoOpenConnections));
  CHECK(FdsBackTo(fds));
}

// `closer` sends a little and shuts its write side down; the FIN must reach
// `other`, whose answer (larger than a socket buffer takes at once) must
// still reach `closer`; then `other` shuts down too, and the proxy closes
// the connection.
void HalfCloseCarriesTheOtherWay(Rig& rig, Client& closer, Client& other) {
  REQUIRE(closer.Send("question"));
  closer.ShutdownSend();
  CHECK(other.Read(8) == "question");
  CHECK(other.ReadEnd() == asio::error::eof);  // the FIN, passed on
  const std::string answer = RandomBytes(512 * 1024, 21);
  REQUIRE(other.Send(answer));
  CHECK(closer.Read(answer.size()) == answer);
  const ProxyCounters open = rig.Counters();
  CHECK(open.open_client == 1);
  CHECK(open.open_upstream == 1);
  other.ShutdownSend();
  CHECK(closer.ReadEnd() == asio::error::eof);
  CHECK(rig.WaitFor(NoOpenConnections));
}

TEST_CASE("abuse: half-close each way - data still flows the other way") {
  ListeningUpstream upstream;
  Rig rig(upstream.port(), ProxyProtocol::kTcp);
  const size_t fds = OpenFds();
  {
    Client client(rig.port());
    auto dep = upstream.Accept();
    REQUIRE(dep != nullptr);
    SUBCASE("the client shuts down its write side - the upstream's answer still reaches it") {
      HalfCloseCarriesTheOtherWay(rig, client, *dep);
    }
    SUBCASE("the upstream shuts down its write side - the client's data still reaches it") {
      HalfCloseCarriesTheOtherWay(rig, *dep, client);
    }
  }
  CHECK(FdsBackTo(fds));
}

TEST_CASE("abuse: 1000 connections to an upstream that refuses each end with FIN and are counted") {
  Rig rig(/*upstream_up=*/false);
  const size_t fds = OpenFds();
  constexpr int kConnections = 1000;
  int not_closed = 0;
  Duration slowest{};
  for (int i = 0; i < kConnections; i++) {
    const auto start = SteadyClock::now();
    Client client(rig.port());
    // The proxy accepted, its upstream connect was refused, and it closed
    // the client with FIN (not RST): the client reads eof.
    if (client.connect_error() || client.ReadEnd(2s) != asio::error::eof) not_closed++;
    slowest = std::max(slowest, Since(start));
  }
  MESSAGE("slowest close after a refused upstream: ",
          std::chrono::duration_cast<std::chrono::microseconds>(slowest).count(), " us");
  CHECK(not_closed == 0);
  CHECK(slowest < 1s);
  CHECK(rig.WaitFor([](const ProxyCounters& c) {
    return c.accepted == kConnections && c.upstream_connect_errors == kConnections &&
           NoOpenConnections(c);
  }));
  CHECK(FdsBackTo(fds));
}

TEST_CASE("abuse: an upstream resetting mid-stream resets the client at once - the proxy serves on") {
  ListeningUpstream upstream;
  Rig rig(upstream.port(), ProxyProtocol::kTcp);
  const size_t fds = OpenFds();
  UpstreamResetsMidStream(rig.port(), upstream);
  CHECK(rig.WaitFor(NoOpenConnections));
  StillForwards(rig.port(), upstream);
  CHECK(rig.WaitFor(NoOpenConnections));
  CHECK(FdsBackTo(fds));
}

// An answer followed by a reset (a server that answers 413 and closes with
// the request's body unread): directly, the client reads the answer, then
// the reset. Through latency, the reset once overtook the held answer and
// the client read nothing; the same in the other direction.
TEST_CASE("a peer's reset comes after the data the faults still hold - each way") {
  ListeningUpstream upstream;
  Rig rig(upstream.port(), ProxyProtocol::kTcp);
  const size_t fds = OpenFds();
  for (auto direction : {ProxyFault::Direction::kDownstream, ProxyFault::Direction::kUpstream}) {
    const bool down = direction == ProxyFault::Direction::kDownstream;
    CAPTURE(down);
    rig.SetFault(std::nullopt);
    Client client(rig.port());
    auto dep = upstream.Accept();
    REQUIRE(dep != nullptr);
    REQUIRE(client.Send("x"));  // the proxy's connect has completed
    CHECK(dep->Read(1) == "x");
    rig.SetFault(Latency(300ms, direction));
    Client& sender = down ? *dep : client;
    Client& receiver = down ? client : *dep;
    const auto start = SteadyClock::now();
    REQUIRE(sender.Send("HTTP/1.1 413 Payload Too Large\r\n\r\n"));
    sender.Reset();
    error_code end;
    CHECK(receiver.Read(100, 3s, &end) == "HTTP/1.1 413 Payload Too Large\r\n\r\n");
    CHECK(end == asio::error::connection_reset);
    CHECK(Since(start) >= 300ms);
    CHECK(rig.WaitFor(NoOpenConnections));
  }
  CHECK(FdsBackTo(fds));
}

TEST_CASE("under timeout the upstream's reset is not seen - the client is closed at the timeout") {
  ListeningUpstream upstream;
  Rig rig(upstream.port(), ProxyProtocol::kTcp);
  ProxyFault timeout = Fault(ProxyFault::Kind::kTimeout);
  timeout.timeout = 800ms;
  timeout.direction = ProxyFault::Direction::kDownstream;
  rig.SetFault(timeout);
  Client client(rig.port());
  const auto start = SteadyClock::now();
  auto dep = upstream.Accept();
  REQUIRE(dep != nullptr);
  // The proxy's connect has completed: a reset before it is a failed
  // connect, which closes the client at once.
  REQUIRE(client.Send("x"));
  CHECK(dep->Read(1) == "x");
  REQUIRE(dep->Send("dropped"));
  dep->Reset();
  error_code end;
  CHECK(client.Read(100, 3s, &end).empty());
  CHECK(end == asio::error::eof);  // the timeout's close, not the reset
  CHECK(Since(start) >= 750ms);
  CHECK(rig.WaitFor(NoOpenConnections));
}

}  // namespace
}  // namespace faultline
