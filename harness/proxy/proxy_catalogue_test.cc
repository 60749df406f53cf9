// The per-direction fault kinds over real loopback sockets: bandwidth,
// slow_close, timeout, reset_peer, slicer, limit_data, and stacking.
#include <doctest/doctest.h>

#include <chrono>
#include <string>

#include "harness/proxy/proxy.h"
#include "harness/proxy/proxy_test_rig.h"

namespace faultline {
namespace {

using namespace faultline::testing;

ProxyFault Make(ProxyFault::Kind kind,
                ProxyFault::Direction direction = ProxyFault::Direction::kDownstream) {
  ProxyFault fault = Fault(kind);
  fault.direction = direction;
  return fault;
}

TEST_CASE("fake time: bandwidth carries 1 MB at 1 MB/s in 1 s within 2 percent") {
  FakeTimeRig rig;
  auto& [clock, io, echo, proxy] = rig;
  ProxyFault bandwidth = Make(ProxyFault::Kind::kBandwidth);
  bandwidth.bytes_per_second = 1'000'000;
  proxy.SetFaults({bandwidth});
  Client client(proxy.port());
  REQUIRE_FALSE(client.connect_error());

  const std::string payload(1'000'000, 'b');
  std::string_view unsent = payload;
  size_t received = 0;
  const TimePoint start = clock.Now();
  TimePoint done{};
  auto deadline = SteadyClock::now() + 20s;
  while (received < payload.size() && SteadyClock::now() < deadline) {
    unsent.remove_prefix(client.SendSome(unsent));
    received += client.Read(payload.size() - received, 0s).size();
    if (received == payload.size()) {
      done = clock.Now();
      break;
    }
    // Let every byte the kernel holds reach the proxy before time moves on,
    // so the link never idles for want of data.
    RunFor(io, 2ms);
    if (clock.pending_timers() > 0) clock.AdvanceTo(clock.next_due());
  }
  REQUIRE(received == payload.size());
  const double seconds = ToSeconds(done - start);
  CHECK(seconds >= 0.98);
  CHECK(seconds <= 1.02);
  CHECK(proxy.counters().bytes_up == payload.size());  // upstream unaffected
}

TEST_CASE_FIXTURE(Connected, "slow_close lets data through and holds the close for its delay") {
  ProxyFault slow_close = Make(ProxyFault::Kind::kSlowClose);
  slow_close.delay = 400ms;
  rig.SetFault(slow_close);
  CHECK(RoundTrip(client) < 300ms);  // data flows as usual
  auto closed = SteadyClock::now();
  rig.OnIo([&] { rig.echo().CloseAll(); });
  CHECK(client.Silent(300ms));
  CHECK(client.ReadEnd(3s) == asio::error::eof);
  CHECK(Since(closed) >= 400ms);
}

TEST_CASE_FIXTURE(Connected, "timeout drops the direction's data and closes after its timeout") {
  ProxyFault timeout = Make(ProxyFault::Kind::kTimeout);
  timeout.timeout = 500ms;
  auto applied = SteadyClock::now();
  rig.SetFault(timeout);
  const size_t received = rig.EchoStats().received;
  REQUIRE(client.Send("ping"));
  CHECK(rig.WaitForEcho(received + 4));  // upstream is not affected
  CHECK(client.Silent(200ms));           // the echo is dropped
  CHECK(client.ReadEnd(3s) == asio::error::eof);
  CHECK(Since(applied) >= 500ms);
  CHECK(rig.WaitFor([](const ProxyCounters& c) {
    return c.bytes_discarded == 4 && NoOpenConnections(c);
  }));
}

TEST_CASE_FIXTURE(Connected, "timeout 0 never closes - removing it closes the connection") {
  rig.SetFault(Make(ProxyFault::Kind::kTimeout, ProxyFault::Direction::kBoth));
  REQUIRE(client.Send("ping"));
  CHECK(client.Silent(400ms));
  CHECK(rig.Counters().open_client == 1);
  rig.SetFault(std::nullopt);
  CHECK(client.ReadEnd() == asio::error::eof);
  Client fresh(rig.port());
  CHECK(RoundTrip(fresh) < 1s);
}

TEST_CASE_FIXTURE(Connected, "timeout lets a connection go once both peers have closed") {
  rig.SetFault(Make(ProxyFault::Kind::kTimeout));  // the dependency's bytes and FIN are dropped
  REQUIRE(client.Send("ping"));
  client.ShutdownSend();  // the echo server answers, then closes after it
  CHECK(client.ReadEnd(3s) == asio::error::eof);  // nothing passed, and the sockets were let go
  CHECK(rig.WaitFor([](const ProxyCounters& c) { return NoOpenConnections(c); }));
}

TEST_CASE_FIXTURE(Connected, "reset_peer with timeout 0 resets on the first data") {
  rig.SetFault(Make(ProxyFault::Kind::kResetPeer, ProxyFault::Direction::kUpstream));
  CHECK(client.Silent(200ms));  // nothing happens before data
  const size_t received = rig.EchoStats().received;
  REQUIRE(client.Send("boom"));
  CHECK(client.ReadEnd() == asio::error::connection_reset);
  CHECK(rig.WaitFor([](const ProxyCounters& c) { return c.resets == 1 && NoOpenConnections(c); }));
  CHECK(rig.EchoStats().received == received);  // the data was not forwarded
}

TEST_CASE_FIXTURE(Connected, "reset_peer resets its timeout after it applied") {
  ProxyFault reset_peer = Make(ProxyFault::Kind::kResetPeer);
  reset_peer.timeout = 300ms;
  auto applied = SteadyClock::now();
  rig.SetFault(reset_peer);
  CHECK(client.ReadEnd(3s) == asio::error::connection_reset);
  CHECK(Since(applied) >= 300ms);
  // A connection made later gets its own 300 ms.
  Client later(rig.port());
  CHECK(RoundTrip(later) < 200ms);
  CHECK(later.ReadEnd(3s) == asio::error::connection_reset);
}

TEST_CASE_FIXTURE(Connected, "slicer delivers the bytes intact in slices with a delay between them") {
  ProxyFault slicer = Make(ProxyFault::Kind::kSlicer);
  slicer.slice_bytes = 4;
  slicer.slice_variation = 2;
  slicer.delay = 25ms;
  rig.SetFault(slicer);
  const std::string data = "0123456789abcdefghijklmnopqrstuvwxyz";
  auto start = SteadyClock::now();
  REQUIRE(client.Send(data));
  std::string got;
  int reads = 0;
  while (got.size() < data.size() && reads < 100) {
    std::string part = client.Read(1, 2s);
    if (part.empty()) break;
    got += part;
    got += client.Read(data.size() - got.size(), 0s);
    reads++;
  }
  CHECK(got == data);
  // 36 bytes in slices of 2..6: at least 6 slices, 25 ms apart.
  CHECK(reads >= 6);
  CHECK(Since(start) >= 5 * 25ms);
}

TEST_CASE_FIXTURE(Connected, "limit_data forwards its bytes then closes the connection") {
  ProxyFault limit = Make(ProxyFault::Kind::kLimitData);
  limit.bytes = 10;
  rig.SetFault(limit);
  REQUIRE(client.Send("0123456789abcdefghij"));
  error_code end;
  CHECK(client.Read(100, 3s, &end) == "0123456789");
  CHECK(end == asio::error::eof);
  CHECK(rig.WaitFor([](const ProxyCounters& c) {
    return c.bytes_discarded == 10 && NoOpenConnections(c);
  }));
}

TEST_CASE_FIXTURE(Connected, "faults stack in list order - latency then limit_data") {
  ProxyFault limit = Make(ProxyFault::Kind::kLimitData);
  limit.bytes = 5;
  rig.SetFaults({Latency(200ms), limit});
  CHECK(rig.OnIo([&] { return rig.proxy().faults().size(); }) == 2);
  auto start = SteadyClock::now();
  REQUIRE(client.Send("abcdefgh"));
  error_code end;
  std::string got = client.Read(100, 3s, &end);
  CHECK(got == "abcde");
  CHECK(end == asio::error::eof);
  CHECK(Since(start) >= 200ms);
}

// reset_peer once reset at once whatever was listed before it.
TEST_CASE_FIXTURE(Connected, "faults stack in list order - latency then reset_peer") {
  for (bool latency_first : {true, false}) {
    CAPTURE(latency_first);
    Client fresh(rig.port());
    ProxyFault reset_peer = Make(ProxyFault::Kind::kResetPeer);
    const ProxyFault latency = Latency(300ms);
    rig.SetFaults(latency_first ? std::vector{latency, reset_peer}
                                : std::vector{reset_peer, latency});
    auto start = SteadyClock::now();
    REQUIRE(fresh.Send("abc"));  // echoed: the downstream's first data
    CHECK(fresh.ReadEnd(3s) == asio::error::connection_reset);
    if (latency_first) CHECK(Since(start) >= 300ms);
    else CHECK(Since(start) < 250ms);
    rig.SetFaults({});
  }
}

TEST_CASE_FIXTURE(Connected, "a fault whose parameters change keeps its place and its state") {
  ProxyFault limit = Make(ProxyFault::Kind::kLimitData);
  limit.bytes = 6;
  rig.SetFault(limit);
  CHECK(client.Exchange("abcd") == "abcd");
  limit.bytes = 8;  // 4 of them already forwarded
  rig.SetFault(limit);
  REQUIRE(client.Send("efghij"));
  error_code end;
  CHECK(client.Read(100, 3s, &end) == "efgh");
  CHECK(end == asio::error::eof);
}

TEST_CASE_FIXTURE(Connected, "what a fault holds follows its new values or its end") {
  // Each case holds "abcdef" under `before`, then changes to `after` (a
  // fault's new values, or one fault removed while another stays): the
  // held bytes must arrive by `within`, and the next ones too.
  ProxyFault zero = Make(ProxyFault::Kind::kBandwidth);
  zero.bytes_per_second = 0;
  ProxyFault fast = zero;
  fast.bytes_per_second = 100'000;
  ProxyFault slow_close = Make(ProxyFault::Kind::kSlowClose);
  slow_close.delay = 10ms;
  ProxyFault slices = Make(ProxyFault::Kind::kSlicer);
  slices.slice_bytes = 1;
  slices.delay = 1s;
  ProxyFault quick_slices = slices;
  quick_slices.delay = 0s;
  struct Case {
    std::string name;
    std::vector<ProxyFault> before, after;
  };
  for (const Case& c : {Case{"bandwidth 0 raised", {zero}, {fast}},
                        Case{"bandwidth 0 removed before latency", {Latency(10ms), zero},
                             {Latency(10ms)}},
                        Case{"latency 20 s lowered to 0", {Latency(20s)}, {Latency(0s)}},
                        Case{"latency 20 s removed before slow_close", {Latency(20s), slow_close},
                             {slow_close}},
                        Case{"slicer delay 1 s lowered to 0", {slices}, {quick_slices}}}) {
    CAPTURE(c.name);
    Client conn(rig.port());
    REQUIRE(RoundTrip(conn) < 1s);
    rig.SetFaults(c.before);
    REQUIRE(conn.Send("abcdef"));
    const std::string first = conn.Read(6, 300ms);
    CHECK(first.size() < 6);  // held
    rig.SetFaults(c.after);
    const auto changed = SteadyClock::now();
    std::string got = first;
    while (got.size() < 6 && Since(changed) < 2s) got += conn.Read(6 - got.size(), 2s);
    CHECK(got == "abcdef");
    CHECK(Since(changed) < 1s);
    CHECK(conn.Exchange("gh", 2s) == "gh");  // new data is not held behind old times
    rig.SetFaults({});
  }
}

// Bytes held at 0 B/s were carried in the 16 KiB pieces they were read in:
// raised to 2 KB/s, nothing came for 8 s, then 16 KiB at once.
TEST_CASE("fake time: bandwidth 0 raised delivers the held bytes steadily at the new rate") {
  FakeTimeRig rig;
  auto& [clock, io, echo, proxy] = rig;
  ProxyFault bandwidth = Make(ProxyFault::Kind::kBandwidth);
  bandwidth.bytes_per_second = 0;
  proxy.SetFaults({bandwidth});
  Client client(proxy.port());
  REQUIRE_FALSE(client.connect_error());
  const std::string payload(20'000, 'h');
  REQUIRE(client.Send(payload));
  // Every echoed byte waits in the proxy (the echo server has sent it all).
  auto deadline = SteadyClock::now() + 5s;
  while (echo.stats().received < payload.size() && SteadyClock::now() < deadline) RunFor(io, 2ms);
  RunFor(io, 20ms);
  REQUIRE(client.Read(payload.size(), 0s).empty());
  bandwidth.bytes_per_second = 100'000;  // 2,000 bytes each 20 ms; pieces of at least 1 KiB
  proxy.SetFaults({bandwidth});
  const TimePoint raised = clock.Now();
  size_t got = 0, largest = 0;
  while (got < payload.size() && SteadyClock::now() < deadline) {
    if (clock.pending_timers() > 0) clock.AdvanceTo(clock.next_due());
    RunFor(io, 2ms);
    const size_t n = client.Read(payload.size() - got, 0s).size();
    largest = std::max(largest, n);
    got += n;
  }
  CHECK(got == payload.size());
  CHECK(largest <= 2'000);
  const double seconds = ToSeconds(clock.Now() - raised);
  CHECK(seconds >= 0.19);  // 20,000 bytes at 100 KB/s
  CHECK(seconds <= 0.21);
}

TEST_CASE("fake time: a ramp that raises latency keeps what was read at the old latency") {
  FakeTimeRig rig;
  auto& [clock, io, echo, proxy] = rig;
  proxy.SetFaults({Latency(300ms)});
  Client client(proxy.port());
  REQUIRE_FALSE(client.connect_error());
  const TimePoint start = clock.Now();
  REQUIRE(client.Send("abc"));
  // The echoed bytes wait in the proxy once it has armed their timer.
  auto deadline = SteadyClock::now() + 5s;
  while (clock.pending_timers() == 0 && SteadyClock::now() < deadline) RunFor(io, 2ms);
  REQUIRE(clock.pending_timers() > 0);
  proxy.SetFaults({Latency(2s)});  // a ramp's next step
  std::string got;
  while (got.size() < 3 && clock.pending_timers() > 0 && clock.next_due() <= start + 2s) {
    clock.AdvanceTo(clock.next_due());
    RunFor(io, 2ms);
    got += client.Read(3 - got.size(), 0s);
  }
  while (got.size() < 3 && SteadyClock::now() < deadline) {
    RunFor(io, 2ms);
    got += client.Read(3 - got.size(), 0s);
  }
  CHECK(got == "abc");
  CHECK(clock.Now() - start == 300ms);  // not 2 s: the bytes already read keep their time
}

}  // namespace
}  // namespace faultline
