// The HTTP-aware proxy (ProxyProtocol::kHttp): byte-exact pass-through,
// the HTTP faults, and the upstream request records. The test plays the
// dependency itself (Upstream), so it sees and writes exact bytes.
#include <doctest/doctest.h>
#include <poll.h>
#include <sys/socket.h>

#include <string>

#include "harness/proxy/http_flow.h"
#include "harness/proxy/proxy.h"
#include "harness/proxy/proxy_test_rig.h"
#include "harness/proxy/proxy_test_upstream.h"

namespace faultline {
namespace {

using namespace faultline::testing;

using Upstream = ListeningUpstream;

// A target connected through an HTTP-aware proxy to the test's dependency.
struct HttpConnected {
  HttpConnected() { REQUIRE(dep != nullptr); }
  Upstream upstream;
  Rig rig{upstream.port(), ProxyProtocol::kHttp};
  Client client{rig.port()};
  std::unique_ptr<Client> dep = upstream.Accept();

  std::vector<UpstreamRecord> Records() {
    return rig.OnIo([&] { return rig.proxy().Records(); });
  }
  UpstreamCounts Counts() {
    return rig.OnIo([&] { return rig.proxy().Counts(); });
  }
  // Polls the records until `done` holds or 2 s pass.
  bool WaitRecords(const std::function<bool(const std::vector<UpstreamRecord>&)>& done) {
    return Eventually([&] { return done(Records()); });
  }
};

bool AllEnded(const std::vector<UpstreamRecord>& records, size_t n) {
  if (records.size() != n) return false;
  for (const UpstreamRecord& r : records) {
    if (r.how == UpstreamEnd::kOpen) return false;
  }
  return true;
}

ProxyFault Http(ProxyFault::Kind kind, std::string path_prefix = "") {
  ProxyFault f = Fault(kind);
  f.match.path_prefix = std::move(path_prefix);
  return f;
}

constexpr std::string_view kTraceparent =
    "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

TEST_CASE_FIXTURE(HttpConnected, "http pipelined keep-alive requests and chunked bodies pass byte-exact") {
  const std::string get = "GET /stock/42 HTTP/1.1\r\nHost: inv\r\ntraceparent: " +
                          std::string(kTraceparent) + "\r\n\r\n";
  const std::string post =
      "POST /reserve HTTP/1.1\r\nHost: inv\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3\r\nabc\r\n0\r\n\r\n";
  REQUIRE(client.Send(get + post));
  CHECK(dep->Read(get.size() + post.size()) == get + post);

  const std::string ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n42";
  const std::string chunked =
      "HTTP/1.1 201 Created\r\ntransfer-encoding: chunked\r\n\r\n"
      "4\r\nwxyz\r\n2;ext=1\r\nab\r\n0\r\nTrailer: t\r\n\r\n";
  REQUIRE(dep->Send(ok + chunked));
  CHECK(client.Read(ok.size() + chunked.size()) == ok + chunked);

  REQUIRE(WaitRecords([](const auto& r) { return AllEnded(r, 2); }));
  const auto records = Records();
  CHECK(records[0].method == "GET");
  CHECK(records[0].target == "/stock/42");
  CHECK(records[0].trace_id == "4bf92f3577b34da6a3ce929d0e0e4736");
  CHECK(records[0].status == 200);
  CHECK(records[0].request_bytes == get.size());
  CHECK(records[0].response_bytes == ok.size());
  CHECK(records[0].how == UpstreamEnd::kAnswered);
  CHECK(records[0].end >= records[0].start);
  CHECK(records[1].method == "POST");
  CHECK(records[1].trace_id == "");
  CHECK(records[1].status == 201);
  CHECK(records[1].request_bytes == post.size());
  CHECK(records[1].response_bytes == chunked.size());
  CHECK(records[1].how == UpstreamEnd::kAnswered);
  CHECK(Counts().in_flight == 0);
}

TEST_CASE_FIXTURE(HttpConnected, "http HEAD and 204 have no body - a response without length ends with the close") {
  const std::string head = "HEAD /a HTTP/1.1\r\n\r\n";
  const std::string get = "GET /b HTTP/1.1\r\n\r\n";
  const std::string get2 = "GET /c HTTP/1.1\r\n\r\n";
  REQUIRE(client.Send(head + get + get2));
  CHECK(dep->Read(head.size() + get.size() + get2.size()) == head + get + get2);
  const std::string head_answer = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n";
  const std::string no_content = "HTTP/1.1 204 No Content\r\n\r\n";
  const std::string to_close = "HTTP/1.1 200 OK\r\n\r\nuntil the end";
  REQUIRE(dep->Send(head_answer + no_content + to_close));
  dep->Close();
  const std::string all = head_answer + no_content + to_close;
  CHECK(client.Read(all.size()) == all);
  CHECK(client.ReadEnd() == asio::error::eof);
  REQUIRE(WaitRecords([](const auto& r) { return AllEnded(r, 3); }));
  const auto records = Records();
  CHECK(records[0].status == 200);
  CHECK(records[1].status == 204);
  CHECK(records[2].status == 200);
  CHECK(records[2].response_bytes == to_close.size());
  for (const auto& r : records) CHECK(r.how == UpstreamEnd::kAnswered);
}

TEST_CASE_FIXTURE(HttpConnected, "http 100-continue passes through and the final status is recorded") {
  const std::string head =
      "PUT /x HTTP/1.1\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n";
  REQUIRE(client.Send(head));
  CHECK(dep->Read(head.size()) == head);
  const std::string cont = "HTTP/1.1 100 Continue\r\n\r\n";
  REQUIRE(dep->Send(cont));
  CHECK(client.Read(cont.size()) == cont);
  REQUIRE(client.Send("body"));
  CHECK(dep->Read(4) == "body");
  const std::string ok = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
  REQUIRE(dep->Send(ok));
  CHECK(client.Read(ok.size()) == ok);
  REQUIRE(WaitRecords([](const auto& r) { return AllEnded(r, 1); }));
  CHECK(Records()[0].status == 200);
  CHECK(Records()[0].request_bytes == head.size() + 4);
}

TEST_CASE_FIXTURE(HttpConnected, "http a malformed request is passed through as bytes") {
  const std::string junk = "NOT HTTP\x01\r\n\r\nmore bytes";
  REQUIRE(client.Send(junk));
  CHECK(dep->Read(junk.size()) == junk);
  REQUIRE(dep->Send("whatever"));
  CHECK(client.Read(8) == "whatever");
}

TEST_CASE_FIXTURE(HttpConnected, "http heads of 40 KiB are parsed - faults and records still apply after them") {
  ProxyFault abort = Http(ProxyFault::Kind::kAbort, "/abort");
  abort.status = 503;
  rig.SetFault(abort);
  const std::string cookie(40 * 1024, 'c');
  const std::string big = "GET /big HTTP/1.1\r\nCookie: " + cookie + "\r\n\r\n";
  REQUIRE(client.Send(big));
  CHECK(dep->Read(big.size()) == big);
  const std::string big_answer =
      "HTTP/1.1 200 OK\r\nSet-Cookie: " + cookie + "\r\nContent-Length: 2\r\n\r\nok";
  REQUIRE(dep->Send(big_answer));
  CHECK(client.Read(big_answer.size()) == big_answer);

  // The connection is still parsed: the fault answers the next request.
  REQUIRE(client.Send("GET /abort HTTP/1.1\r\n\r\n"));
  CHECK(client.Read(12) == "HTTP/1.1 503");
  CHECK(dep->Silent(50ms));
  REQUIRE(WaitRecords([](const auto& r) { return AllEnded(r, 2); }));
  const auto records = Records();
  CHECK(records[0].how == UpstreamEnd::kAnswered);
  CHECK(records[0].response_bytes == big_answer.size());
  CHECK(records[1].how == UpstreamEnd::kFault);
}

TEST_CASE_FIXTURE(HttpConnected, "http a head over kHttpMaxHeadBytes turns the connection into a byte pipe") {
  ProxyFault abort = Http(ProxyFault::Kind::kAbort, "/abort");
  rig.SetFault(abort);
  const std::string huge = "GET /huge HTTP/1.1\r\nCookie: " +
                           std::string(kHttpMaxHeadBytes, 'c') + "\r\n\r\n";
  REQUIRE(client.Send(huge));
  CHECK(dep->Read(huge.size()) == huge);
  const std::string after = "GET /abort HTTP/1.1\r\n\r\n";  // not parsed: reaches the dependency
  REQUIRE(client.Send(after));
  CHECK(dep->Read(after.size()) == after);
  CHECK(Records().empty());
}

TEST_CASE_FIXTURE(HttpConnected, "http abort answers matched requests itself - the others reach the dependency") {
  ProxyFault abort = Http(ProxyFault::Kind::kAbort, "/stock/1");
  abort.status = 503;
  abort.body = "no stock";
  rig.SetFault(abort);
  REQUIRE(client.Send("GET /stock/1 HTTP/1.1\r\n\r\n"));
  const std::string answer =
      "HTTP/1.1 503 Service Unavailable\r\ncontent-length: 8\r\ncontent-type: text/plain\r\n\r\n"
      "no stock";
  CHECK(client.Read(answer.size()) == answer);
  CHECK(dep->Silent(50ms));

  const std::string other = "GET /stock/2 HTTP/1.1\r\n\r\n";
  REQUIRE(client.Send(other));
  CHECK(dep->Read(other.size()) == other);
  const std::string ok = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
  REQUIRE(dep->Send(ok));
  CHECK(client.Read(ok.size()) == ok);

  REQUIRE(WaitRecords([](const auto& r) { return AllEnded(r, 2); }));
  const auto records = Records();
  CHECK(records[0].status == 503);
  CHECK(records[0].how == UpstreamEnd::kFault);
  CHECK(records[0].response_bytes == answer.size());
  CHECK(records[1].how == UpstreamEnd::kAnswered);
  CHECK(rig.Counters().affected.at("abort") == 1);
}

TEST_CASE_FIXTURE(HttpConnected, "http abort of a request whose head comes in two reads sends none of it upstream") {
  ProxyFault abort = Http(ProxyFault::Kind::kAbort);
  abort.status = 503;
  rig.SetFault(abort);
  // Beast takes the request line of "...\r\n\r" before the head is whole.
  REQUIRE(client.Send("GET /x HTTP/1.1\r\n\r"));
  CHECK(dep->Silent(100ms));
  REQUIRE(client.Send("\n"));
  const std::string answer = "HTTP/1.1 503 Service Unavailable\r\n";
  CHECK(client.Read(answer.size()) == answer);
  CHECK(dep->Silent(100ms));
}

TEST_CASE_FIXTURE(HttpConnected, "http abort of a Connection close request closes after the answer") {
  ProxyFault abort = Http(ProxyFault::Kind::kAbort);
  abort.status = 500;
  rig.SetFault(abort);
  REQUIRE(client.Send("GET / HTTP/1.1\r\nConnection: close\r\n\r\n"));
  const std::string answer =
      "HTTP/1.1 500 Internal Server Error\r\ncontent-length: 0\r\ncontent-type: text/plain\r\n"
      "connection: close\r\n\r\n";
  CHECK(client.Read(answer.size()) == answer);
  CHECK(client.ReadEnd() == asio::error::eof);
}

// A status Beast has no phrase for: an empty reason phrase, not "<unknown-status>".
TEST_CASE_FIXTURE(HttpConnected, "http abort with a status that has no standard phrase") {
  ProxyFault abort = Http(ProxyFault::Kind::kAbort);
  abort.status = 418;
  rig.SetFault(abort);
  REQUIRE(client.Send("GET / HTTP/1.1\r\nConnection: close\r\n\r\n"));
  const std::string answer =
      "HTTP/1.1 418 \r\ncontent-length: 0\r\ncontent-type: text/plain\r\n"
      "connection: close\r\n\r\n";
  CHECK(client.Read(answer.size()) == answer);
}

TEST_CASE_FIXTURE(HttpConnected, "http delay holds the request - or the response head - for its duration") {
  ProxyFault delay = Http(ProxyFault::Kind::kDelay);
  delay.delay = 300ms;
  rig.SetFault(delay);
  const std::string get = "GET / HTTP/1.1\r\n\r\n";
  const auto start = SteadyClock::now();
  REQUIRE(client.Send(get));
  CHECK(dep->Read(get.size()) == get);
  CHECK(Since(start) >= 290ms);

  delay.on_response = true;
  rig.SetFault(delay);
  REQUIRE(client.Send(get));
  CHECK(dep->Read(get.size()) == get);  // not held now
  const std::string ok = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
  const auto answered = SteadyClock::now();
  REQUIRE(dep->Send(ok + ok));  // the first answer, and an unasked one
  CHECK(client.Read(ok.size() * 2) == ok + ok);
  CHECK(Since(answered) >= 290ms);
}

// Envoy's rule: a client that leaves takes the requests a delay holds with
// it, so the dependency does no work for a caller who is gone. On a fake
// clock that never reaches the delay's end: the connection closes at once.
TEST_CASE("http delay - a request whose client leaves during the delay never reaches the dependency") {
  FakeTimeRig rig;
  auto& [clock, io, echo, proxy] = rig;
  proxy.SetProtocol(ProxyProtocol::kHttp);
  ProxyFault delay = Http(ProxyFault::Kind::kDelay, "/held");
  delay.delay = 400ms;
  proxy.SetFaults({delay});
  Client client(proxy.port());
  REQUIRE_FALSE(client.connect_error());
  const std::string held = "GET /held HTTP/1.1\r\n\r\n";
  const std::string behind = "GET /free HTTP/1.1\r\n\r\n";  // not delayed, queued behind
  const std::string cut = "GET /held HTTP/1.1\r\nHost: x";  // a head the FIN ends
  size_t sent = held.size() + behind.size();
  SUBCASE("close") {
    REQUIRE(client.Send(held + behind));
    client.Close();
  }
  SUBCASE("half-close after a cut-short head") {
    REQUIRE(client.Send(held + behind + cut));
    client.ShutdownSend();
    sent += cut.size();
  }
  // The FIN reaches the dependency, which closes, and so does the proxy.
  REQUIRE(RunUntil(io, [&] {
    return proxy.Counts().abandoned == 2 && NoOpenConnections(proxy.counters());
  }));
  CHECK(echo.stats().received == 0);
  CHECK(proxy.Counts().in_flight == 0);
  CHECK(proxy.counters().bytes_discarded == sent);
}

// On a fake clock: the HTTP delay (200 ms) has released the request, the
// TCP latency (400 ms more) still holds it when the client leaves at 300 ms.
TEST_CASE("http delay - what it released before the client left still arrives under TCP latency") {
  FakeTimeRig rig;
  auto& [clock, io, echo, proxy] = rig;
  proxy.SetProtocol(ProxyProtocol::kHttp);
  ProxyFault delay = Http(ProxyFault::Kind::kDelay);
  delay.delay = 200ms;
  proxy.SetFaults({delay, Named(Latency(400ms, ProxyFault::Direction::kUpstream), "net")});
  Client client(proxy.port());
  REQUIRE_FALSE(client.connect_error());
  const std::string get = "GET / HTTP/1.1\r\n\r\n";
  const TimePoint sent = clock.Now();
  REQUIRE(client.Send(get));
  REQUIRE(RunUntil(io, [&] { return clock.pending_timers() == 1; }));
  CHECK(clock.next_due() == sent + 600ms);
  clock.Advance(300ms);
  client.Close();
  REQUIRE(RunUntil(io, [&] { return proxy.Counts().abandoned == 1; }));
  CHECK(echo.stats().received == 0);
  clock.Advance(300ms);
  REQUIRE(RunUntil(io, [&] { return echo.stats().received == get.size(); }));
  CHECK(proxy.counters().bytes_discarded == 0);
}

TEST_CASE_FIXTURE(HttpConnected, "http slow_body sends the head at once and the body at its rate") {
  ProxyFault slow = Http(ProxyFault::Kind::kSlowBody);
  slow.bytes_per_second = 1000;
  rig.SetFault(slow);
  const std::string get = "GET / HTTP/1.1\r\n\r\n";
  REQUIRE(client.Send(get));
  CHECK(dep->Read(get.size()) == get);
  const std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 300\r\n\r\n";
  const std::string body(300, 'b');
  const auto start = SteadyClock::now();
  REQUIRE(dep->Send(head + body));
  CHECK(client.Read(head.size()) == head);
  CHECK(Since(start) < 200ms);
  CHECK(client.Read(body.size()) == body);
  CHECK(Since(start) >= 280ms);
  REQUIRE(WaitRecords([](const auto& r) { return AllEnded(r, 1); }));
  CHECK(Records()[0].end - Records()[0].start >= 280ms);
}

TEST_CASE_FIXTURE(HttpConnected, "http hang_request never answers the matched request - others flow - the target leaving abandons it") {
  ProxyFault hang = Http(ProxyFault::Kind::kHangRequest);
  hang.match.headers["X-Hang"] = "1";
  rig.SetFault(hang);
  REQUIRE(client.Send("GET /slow HTTP/1.1\r\nx-hang: 1\r\n\r\n"));
  CHECK(dep->Silent(100ms));

  Client other(rig.port());
  auto other_dep = upstream.Accept();
  REQUIRE(other_dep != nullptr);
  const std::string get = "GET /fast HTTP/1.1\r\nx-hang: 0\r\n\r\n";
  REQUIRE(other.Send(get));
  CHECK(other_dep->Read(get.size()) == get);
  const std::string ok = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
  REQUIRE(other_dep->Send(ok));
  CHECK(other.Read(ok.size()) == ok);
  CHECK(client.Silent(0ms));
  REQUIRE(WaitRecords([](const auto& r) { return r.size() == 2 && r[1].how != UpstreamEnd::kOpen; }));
  CHECK(Counts().in_flight == 1);

  client.Close();
  REQUIRE(WaitRecords([](const auto& r) { return AllEnded(r, 2); }));
  const auto records = Records();
  CHECK(records[0].target == "/slow");
  CHECK(records[0].how == UpstreamEnd::kAbandoned);
  CHECK(records[0].status == 0);
  CHECK(records[1].how == UpstreamEnd::kAnswered);
  CHECK(Counts().abandoned == 1);
  CHECK(Counts().in_flight == 0);
}

TEST_CASE_FIXTURE(HttpConnected, "http TCP faults still apply - latency on the answers") {
  rig.SetFault(Latency(300ms));
  const std::string get = "GET / HTTP/1.1\r\n\r\n";
  REQUIRE(client.Send(get));
  CHECK(dep->Read(get.size()) == get);
  const std::string ok = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
  const auto start = SteadyClock::now();
  REQUIRE(dep->Send(ok));
  CHECK(client.Read(ok.size()) == ok);
  CHECK(Since(start) >= 290ms);
}

TEST_CASE_FIXTURE(HttpConnected, "http fraction is drawn per request from the seed") {
  ProxyFault abort = Http(ProxyFault::Kind::kAbort);
  abort.status = 503;
  abort.fraction = 0.5;
  rig.SetFault(abort);
  const std::string ok = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
  const std::string answer =
      "HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\ncontent-type: text/plain\r\n\r\n";
  const std::string get = "GET / HTTP/1.1\r\n\r\n";
  int aborted = 0;
  for (size_t i = 0; i < 20; ++i) {
    REQUIRE(client.Send(get));
    // The draw is made when the request's head is read; an abort answers at once.
    REQUIRE(WaitRecords([&](const auto& r) { return r.size() == i + 1; }));
    if (Records()[i].status == 503) {
      ++aborted;
      CHECK(client.Read(answer.size()) == answer);
    } else {
      CHECK(dep->Read(get.size()) == get);
      REQUIRE(dep->Send(ok));
      CHECK(client.Read(ok.size()) == ok);
    }
  }
  CHECK(aborted > 0);
  CHECK(aborted < 20);
  CHECK(rig.Counters().affected.at("abort") == static_cast<uint64_t>(aborted));
}

// Issue 10 point 5: a request is recorded when its head is read, before the
// TCP fault stages, so the TCP faults that hold, drop or cut it leave its
// record (docs/faults.md, "Upstream records under TCP faults").
const std::string kTracedGet = "GET /stock/42 HTTP/1.1\r\ntraceparent: " +
                               std::string(kTraceparent) + "\r\n\r\n";
constexpr std::string_view kTraceId = "4bf92f3577b34da6a3ce929d0e0e4736";
const std::string kOk = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";

TEST_CASE_FIXTURE(HttpConnected, "http records under hang - the swallowed request stays open until the target leaves") {
  rig.SetFault(Fault(ProxyFault::Kind::kHang));
  const TimePoint sent = SteadyClock::now();
  REQUIRE(client.Send(kTracedGet));
  REQUIRE(WaitRecords([](const auto& r) { return r.size() == 1; }));
  UpstreamRecord r = Records()[0];
  CHECK(r.trace_id == kTraceId);
  CHECK(r.method == "GET");
  CHECK(r.target == "/stock/42");
  CHECK(r.start >= sent);
  CHECK(r.how == UpstreamEnd::kOpen);
  CHECK(r.request_bytes == kTracedGet.size());
  CHECK(dep->Silent(100ms));  // the dependency never gets it
  CHECK(rig.Counters().bytes_discarded == kTracedGet.size());

  // The hang ends: the swallowed request is still the caller's, and open;
  // the next one on the connection flows and is answered as itself.
  rig.SetFault(std::nullopt);
  const std::string next = "GET /next HTTP/1.1\r\n\r\n";
  REQUIRE(client.Send(next));
  CHECK(dep->Read(next.size()) == next);
  REQUIRE(dep->Send(kOk));
  CHECK(client.Read(kOk.size()) == kOk);
  REQUIRE(WaitRecords([](const auto& r) { return r.size() == 2 && r[1].how != UpstreamEnd::kOpen; }));
  CHECK(Records()[0].how == UpstreamEnd::kOpen);
  CHECK(Records()[1].how == UpstreamEnd::kAnswered);
  CHECK(Records()[1].status == 200);
  CHECK(Counts().in_flight == 1);

  const TimePoint left = SteadyClock::now();
  client.Close();
  REQUIRE(WaitRecords([](const auto& r) { return AllEnded(r, 2); }));
  r = Records()[0];
  CHECK(r.how == UpstreamEnd::kAbandoned);
  CHECK(r.status == 0);
  CHECK(r.end >= left);
  CHECK(Counts().abandoned == 1);
}

TEST_CASE_FIXTURE(HttpConnected, "http records under hang - a request whose head the hang cut is swallowed whole") {
  const size_t cut = 30;  // within the traceparent field
  rig.SetFault(Fault(ProxyFault::Kind::kHang));
  REQUIRE(client.Send(kTracedGet.substr(0, cut)));
  CHECK(rig.WaitFor([&](const ProxyCounters& c) { return c.bytes_discarded == cut; }));
  rig.SetFault(std::nullopt);
  REQUIRE(client.Send(kTracedGet.substr(cut)));
  REQUIRE(WaitRecords([](const auto& r) { return r.size() == 1; }));
  CHECK(Records()[0].trace_id == kTraceId);
  CHECK(dep->Silent(100ms));
  client.Close();
  REQUIRE(WaitRecords([](const auto& r) { return AllEnded(r, 1); }));
  CHECK(Records()[0].how == UpstreamEnd::kAbandoned);
}

TEST_CASE_FIXTURE(HttpConnected, "http records under latency - opened when the head is read - answered after the delay") {
  rig.SetFault(Latency(300ms, ProxyFault::Direction::kUpstream));
  const TimePoint sent = SteadyClock::now();
  REQUIRE(client.Send(kTracedGet));
  REQUIRE(WaitRecords([](const auto& r) { return r.size() == 1; }));
  const TimePoint start = Records()[0].start;
  CHECK(start >= sent);
  CHECK(Records()[0].trace_id == kTraceId);
  CHECK(dep->Read(kTracedGet.size()) == kTracedGet);
  const TimePoint arrived = SteadyClock::now();
  CHECK(arrived - start >= 300ms);  // recorded before the stage held it
  CHECK(Records()[0].how == UpstreamEnd::kOpen);
  REQUIRE(dep->Send(kOk));
  CHECK(client.Read(kOk.size()) == kOk);
  REQUIRE(WaitRecords([](const auto& r) { return AllEnded(r, 1); }));
  const UpstreamRecord r = Records()[0];
  CHECK(r.how == UpstreamEnd::kAnswered);
  CHECK(r.status == 200);
  CHECK(r.end >= arrived);
}

TEST_CASE_FIXTURE(HttpConnected, "http records under reset - an open request ends as fault - a reset connection records none") {
  REQUIRE(client.Send(kTracedGet));
  CHECK(dep->Read(kTracedGet.size()) == kTracedGet);
  REQUIRE(WaitRecords([](const auto& r) { return r.size() == 1; }));
  const TimePoint reset = SteadyClock::now();
  rig.SetFault(Fault(ProxyFault::Kind::kReset));
  CHECK(client.ReadEnd() == asio::error::connection_reset);
  REQUIRE(WaitRecords([](const auto& r) { return AllEnded(r, 1); }));
  CHECK(Records()[0].how == UpstreamEnd::kFault);
  CHECK(Records()[0].trace_id == kTraceId);
  CHECK(Records()[0].end >= reset);

  // Reset as it is accepted: the proxy reads nothing of it.
  Client fresh(rig.port());
  fresh.SendSome(kTracedGet);
  // The RST may reach the send first (which then reports it), so eof too.
  CHECK(fresh.ReadEnd() != asio::error::would_block);
  CHECK(rig.WaitFor([](const ProxyCounters& c) { return c.resets == 2; }));
  CHECK(Records().size() == 1);
  CHECK(Counts().in_flight == 0);
}

TEST_CASE_FIXTURE(HttpConnected, "http records under timeout - the dropped request ends as fault when the connection closes") {
  ProxyFault timeout = Fault(ProxyFault::Kind::kTimeout);
  timeout.timeout = 300ms;
  timeout.direction = ProxyFault::Direction::kUpstream;
  const TimePoint applied = SteadyClock::now();
  rig.SetFault(timeout);
  REQUIRE(client.Send(kTracedGet));
  REQUIRE(WaitRecords([](const auto& r) { return r.size() == 1; }));
  CHECK(Records()[0].start >= applied);
  CHECK(Records()[0].how == UpstreamEnd::kOpen);
  CHECK(client.ReadEnd() == asio::error::eof);
  error_code ec;
  CHECK(dep->Read(1, 2s, &ec).empty());  // the request was dropped, then the close
  CHECK(ec == asio::error::eof);
  REQUIRE(WaitRecords([](const auto& r) { return AllEnded(r, 1); }));
  const UpstreamRecord r = Records()[0];
  CHECK(r.how == UpstreamEnd::kFault);
  CHECK(r.trace_id == kTraceId);
  CHECK(r.end - applied >= 300ms);
}

TEST_CASE_FIXTURE(HttpConnected, "http records under reset_peer and limit_data - the request they cut ends as fault") {
  ProxyFault cut = Fault(ProxyFault::Kind::kLimitData);
  cut.bytes = 10;
  cut.direction = ProxyFault::Direction::kUpstream;
  SUBCASE("limit_data") { rig.SetFault(cut); }
  SUBCASE("reset_peer on the first data") {
    cut.kind = ProxyFault::Kind::kResetPeer;
    rig.SetFault(cut);
  }
  REQUIRE(client.Send(kTracedGet));
  REQUIRE(WaitRecords([](const auto& r) { return AllEnded(r, 1); }));
  CHECK(Records()[0].how == UpstreamEnd::kFault);
  CHECK(Records()[0].trace_id == kTraceId);
  CHECK(client.ReadEnd() != asio::error::would_block);  // closed or reset
}

// The dependency ends its connection before it has answered in full: the
// request ends then, as its doing (fault), not later as abandoned by the
// target (which, left waiting, might never close).
TEST_CASE_FIXTURE(HttpConnected, "http a dependency that closes mid-answer ends the request as fault") {
  std::string answer;
  SUBCASE("a body cut short") {
    answer = "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nten bytes!";
  }
  SUBCASE("garbage") { answer = "this is no HTTP\r\n\r\n"; }
  SUBCASE("no answer at all") {}
  REQUIRE(client.Send(kTracedGet));
  CHECK(dep->Read(kTracedGet.size()) == kTracedGet);
  const TimePoint sent = SteadyClock::now();
  if (!answer.empty()) REQUIRE(dep->Send(answer));
  dep->Close();
  REQUIRE(WaitRecords([](const auto& r) { return AllEnded(r, 1); }));
  CHECK(Records()[0].how == UpstreamEnd::kFault);
  CHECK(Records()[0].end >= sent);
  CHECK(Counts().fault == 1);
  CHECK(Counts().abandoned == 0);
}

TEST_CASE("http faults describe themselves") {
  ProxyFault abort = Http(ProxyFault::Kind::kAbort, "/stock");
  abort.status = 503;
  abort.match.method = "GET";
  abort.fraction = 0.05;
  CHECK(Describe(abort) == "abort 503 for GET /stock* on 5% of requests");
  ProxyFault delay = Http(ProxyFault::Kind::kDelay);
  delay.delay = 1s;
  delay.on_response = true;
  CHECK(Describe(delay) == "delay 1s on responses");
  CHECK(KindFromName("hang_request") == ProxyFault::Kind::kHangRequest);
}

}  // namespace
}  // namespace faultline
