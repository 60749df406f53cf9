#include "harness/common/http_client.h"

#include <doctest/doctest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "harness/common/ports.h"
#include "harness/common/test_http_server.h"

namespace faultline {
namespace {

using namespace std::chrono_literals;
using namespace faultline::testing;

// A client and a TestHttpServer on one real loop and clock.
struct Rig {
  explicit Rig(ServerMode mode, HttpClientOptions options = {}, int status = 200)
      : clock(io), server(io, mode, status) {
    options.port = server.port();
    request = FormatHttpRequest({}, "127.0.0.1", server.port());
    client = std::make_unique<HttpClient>(io, clock, options);
  }
  // Sends one GET and runs the loop until it ends.
  HttpResult Get() {
    std::optional<HttpResult> got;
    Status sent = client->Send(request, [&](const HttpResult& r) { got = r; });
    REQUIRE_MESSAGE(sent.ok(), sent.message());
    CHECK_FALSE(got.has_value());  // never inside Send
    REQUIRE(RunUntil(io, [&] { return got.has_value(); }));
    return *got;
  }

  asio::io_context io;
  AsioClock clock;
  TestHttpServer server;
  std::string request;  // outlives the client's exchanges
  std::unique_ptr<HttpClient> client;
};

HttpClientOptions KeepBody(size_t max_response_bytes = 0) {
  HttpClientOptions options;
  options.keep_body = true;
  options.max_response_bytes = max_response_bytes;
  return options;
}

// One raw response from a server that then closes, through a client that
// keeps bodies; the result and the client's words for it.
struct RawOutcome {
  HttpResult result;
  std::string description;
};
RawOutcome RawExchange(const std::string& raw, HttpClientOptions options = KeepBody()) {
  asio::io_context io;
  TestHttpServer server(io, raw);
  AsioClock clock(io);
  options.port = server.port();
  HttpClient client(io, clock, options);
  const std::string request = FormatHttpRequest({}, "127.0.0.1", server.port());
  std::optional<HttpResult> got;
  REQUIRE(client.Send(request, [&](const HttpResult& r) { got = r; }).ok());
  REQUIRE(RunUntil(io, [&] { return got.has_value(); }));
  return {*got, client.Describe(*got)};
}

TEST_CASE("a Content-Length body is read and kept with the status and reason") {
  RawOutcome out = RawExchange("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nup 1\nextra");
  CHECK(out.result.ok());
  CHECK(out.result.status == 200);
  CHECK(out.result.reason == "OK");
  CHECK(out.result.body == "up 1\n");
}

TEST_CASE("a chunked body is decoded - chunks split mid-line and with an extension") {
  RawOutcome out = RawExchange(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
      "1a\r\n# TYPE go_goroutines gauge\r\n"
      "5;ext=1\r\n\ngo_g\r\n"
      "e\r\noroutines 812\n\r\n"
      "0\r\n\r\n");
  CHECK(out.result.ok());
  CHECK(out.result.body == "# TYPE go_goroutines gauge\ngo_goroutines 812\n");
}

TEST_CASE("interim 1xx responses are skipped: the final response is the answer") {
  RawOutcome out = RawExchange(
      "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"
      "HTTP/1.1 100 Continue\r\n\r\n"
      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  CHECK_MESSAGE(out.result.ok(), out.description);
  CHECK(out.result.status == 200);
  CHECK(out.result.body == "ok");
}

TEST_CASE("a body without length runs to the server's close") {
  RawOutcome out = RawExchange("HTTP/1.0 200 OK\r\n\r\nup 1\n");
  CHECK(out.result.ok());
  CHECK(out.result.body == "up 1\n");
}

TEST_CASE("broken responses end with their cause in words") {
  struct Case {
    std::string raw;
    HttpResult::Error error;
    std::string description;
  };
  const std::vector<Case> cases = {
      {"", HttpResult::Error::kReceive, "reading response: closed before a response"},
      {"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n", HttpResult::Error::kReceive,
       "reading response: closed mid-response"},
      {"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nup 1\n", HttpResult::Error::kReceive,
       "reading response: closed mid-response"},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nup 1\n\r\n",
       HttpResult::Error::kReceive, "reading response: closed mid-response"},
      {"SSH-2.0-OpenSSH\r\n\r\n", HttpResult::Error::kBadResponse,
       "not a valid HTTP response: bad version"},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nup 1\n\r\n0\r\n\r\n",
       HttpResult::Error::kBadResponse, "not a valid HTTP response: bad chunk"},
      {"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", HttpResult::Error::kBadResponse,
       "not a valid HTTP response: bad Content-Length"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.raw);
    RawOutcome out = RawExchange(c.raw);
    CHECK(out.result.error == c.error);
    CHECK(out.description == c.description);
  }
}

TEST_CASE("a response over max_response_bytes or with a header over 8 KiB is too large") {
  RawOutcome body = RawExchange(
      "HTTP/1.1 200 OK\r\nContent-Length: 2040\r\n\r\n" + std::string(2040, '#'), KeepBody(2048));
  CHECK(body.result.error == HttpResult::Error::kTooLarge);
  CHECK(body.description == "response larger than 2.0 KiB");
  // The limit counts the whole response: a body of exactly the limit is over.
  RawOutcome exact = RawExchange(
      "HTTP/1.1 200 OK\r\nContent-Length: 2048\r\n\r\n" + std::string(2048, '#'), KeepBody(2048));
  CHECK(exact.result.error == HttpResult::Error::kTooLarge);
  RawOutcome declared = RawExchange("HTTP/1.1 200 OK\r\nContent-Length: 999999\r\n\r\n", KeepBody(2048));
  CHECK(declared.result.error == HttpResult::Error::kTooLarge);
  RawOutcome header = RawExchange("HTTP/1.1 200 OK\r\nX-Big: " + std::string(9000, 'h') +
                                  "\r\nContent-Length: 0\r\n\r\n");
  CHECK(header.result.error == HttpResult::Error::kTooLarge);
}

TEST_CASE("a non-2xx status is a response and the connection is reused") {
  HttpClientOptions options;
  options.keep_body = true;
  Rig rig(ServerMode::kAnswer, options, 503);
  HttpResult first = rig.Get();
  CHECK(first.ok());
  CHECK(first.status == 503);
  CHECK(first.reason == "X");
  CHECK(first.body == "xx");
  CHECK(rig.client->idle_connections() == 1);
  CHECK(rig.Get().status == 503);
  CHECK(rig.server.accepted == 1);
  CHECK(rig.server.requests == 2);
}

TEST_CASE("a body that arrives after its header in a separate read is ok") {
  Rig rig(ServerMode::kAnswerSplit);
  for (int i = 0; i < 3; ++i) {
    HttpResult r = rig.Get();
    CHECK_MESSAGE(r.ok(), rig.client->Describe(r));
    CHECK(r.status == 200);
  }
  CHECK(rig.server.accepted == 1);
}

TEST_CASE("a reused connection the server closed on the request is retried once on a new one") {
  Rig rig(ServerMode::kCloseSecond);
  CHECK(rig.Get().ok());
  CHECK(rig.Get().ok());  // the reused connection is closed on it: retried
  CHECK(rig.server.accepted == 2);
  CHECK(rig.server.requests == 3);
}

// Sends `request` twice, one after the other, to a server that answers a
// connection's first request and closes it on the second (after `delay`).
std::vector<HttpResult> TwoOnOneConnection(const HttpRequest& request, Duration delay) {
  asio::io_context io;
  AsioClock clock(io);
  TestHttpServer server(io, ServerMode::kCloseSecond, 200, delay);
  HttpClientOptions options;
  options.port = server.port();
  HttpClient client(io, clock, options);
  const std::string text = FormatHttpRequest(request, "127.0.0.1", server.port());
  std::vector<HttpResult> got;
  for (size_t i = 1; i <= 2; ++i) {
    REQUIRE(client.Send(text, [&](const HttpResult& r) { got.push_back(r); }).ok());
    REQUIRE(RunUntil(io, [&] { return got.size() == i; }));
  }
  CHECK(server.requests == 2);  // sent once each: the server may have acted on it
  CHECK(server.accepted == 1);
  return got;
}

TEST_CASE("a reused connection closed after the server held the request is not retried") {
  const auto got = TwoOnOneConnection({}, 100ms);  // a worker that died
  CHECK(got[1].error == HttpResult::Error::kReceive);  // what a client without retries sees
}

TEST_CASE("a reused connection closed on a POST is not retried: POST is not idempotent") {
  HttpRequest post;
  post.method = "POST";
  post.body = "{}";
  const auto got = TwoOnOneConnection(post, Duration{0});
  CHECK(got[0].ok());
  CHECK(got[1].error == HttpResult::Error::kReceive);
}

TEST_CASE("a fresh connection closed on the request is not retried") {
  Rig rig(ServerMode::kClose);
  HttpResult r = rig.Get();
  CHECK(r.error == HttpResult::Error::kReceive);
  CHECK(rig.server.accepted == 1);
}

TEST_CASE("connections are not reused after Connection: close - or when reuse is off") {
  HttpClientOptions no_reuse;
  no_reuse.reuse_connections = false;
  Rig server_says(ServerMode::kAnswerNoReuse);
  Rig client_says(ServerMode::kAnswer, no_reuse);
  for (Rig* rig : {&server_says, &client_says}) {
    CHECK(rig->Get().ok());
    CHECK(rig->Get().ok());
    CHECK(rig->server.accepted == 2);
    CHECK(rig->client->open_connections() == 0);
    // The client closes: the server, which never does, sees both go.
    CHECK(RunUntil(rig->io, [&] { return rig->server.client_closed == 2; }));
  }
}

TEST_CASE("an idle connection the server closes leaves the pool - CloseIdle closes the rest") {
  Rig rig(ServerMode::kAnswerThenClose);
  CHECK(rig.Get().ok());
  CHECK(rig.client->idle_connections() == 1);
  CHECK(RunUntil(rig.io, [&] { return rig.client->open_connections() == 0; }));

  Rig idle(ServerMode::kAnswer);
  CHECK(idle.Get().ok());
  idle.client->CloseIdle();
  CHECK(idle.client->open_connections() == 0);
  CHECK(RunUntil(idle.io, [&] { return idle.server.client_closed == 1; }));
}

TEST_CASE("a refused connection and a host that is not an address") {
  const uint16_t port = FreePort();
  asio::io_context io;
  AsioClock clock(io);
  HttpClientOptions options;
  options.port = port;
  HttpClient refused(io, clock, options);
  const std::string request = FormatHttpRequest({}, "127.0.0.1", port);
  std::optional<HttpResult> got;
  REQUIRE(refused.Send(request, [&](const HttpResult& r) { got = r; }).ok());
  REQUIRE(RunUntil(io, [&] { return got.has_value(); }));
  CHECK(got->error == HttpResult::Error::kConnect);
  CHECK(refused.Describe(*got) == "connect: Connection refused");

  options.host = "no-such-host.invalid";
  HttpClient nowhere(io, clock, options);
  bool called = false;
  Status sent = nowhere.Send(request, [&](const HttpResult&) { called = true; });
  CHECK(sent.code() == Status::Code::kUnavailable);
  RunFor(io, 10ms);
  CHECK_FALSE(called);
}

TEST_CASE("fake time: an unanswered request times out exactly at its deadline") {
  ManualClock clock;
  asio::io_context io;
  TestHttpServer server(io, ServerMode::kNever);
  HttpClientOptions options;
  options.port = server.port();
  options.timeout = 250ms;
  HttpClient client(io, clock, options);
  const std::string request = FormatHttpRequest({}, "127.0.0.1", server.port());
  std::optional<HttpResult> got;
  REQUIRE(client.Send(request, [&](const HttpResult& r) { got = r; }).ok());
  REQUIRE(RunUntil(io, [&] { return server.requests == 1; }));
  clock.Advance(249ms);
  RunFor(io, 10ms);
  CHECK_FALSE(got.has_value());
  clock.Advance(1ms);
  REQUIRE(got.has_value());
  CHECK(got->error == HttpResult::Error::kTimeout);
  CHECK(client.Describe(*got) == "timed out after 250ms");
  CHECK(client.open_connections() == 0);
  // The close is the cancellation signal: the server sees it.
  CHECK(RunUntil(io, [&] { return server.client_closed == 1; }));
}

TEST_CASE("destroying the client drops pending callbacks - and is safe from inside one") {
  Rig pending(ServerMode::kNever);
  bool called = false;
  REQUIRE(pending.client->Send(pending.request, [&](const HttpResult&) { called = true; }).ok());
  REQUIRE(RunUntil(pending.io, [&] { return pending.server.requests == 1; }));
  pending.client.reset();
  CHECK(RunUntil(pending.io, [&] { return pending.server.client_closed == 1; }));
  CHECK_FALSE(called);

  Rig inside(ServerMode::kAnswer);
  int results = 0;
  auto done = [&](const HttpResult&) {
    ++results;
    inside.client.reset();
  };
  REQUIRE(inside.client->Send(inside.request, done).ok());
  REQUIRE(inside.client->Send(inside.request, done).ok());
  REQUIRE(RunUntil(inside.io, [&] { return results == 1; }));
  RunFor(inside.io, 20ms);
  CHECK(results == 1);  // the second went with the client
}

TEST_CASE("FormatHttpRequest frames the request itself") {
  HttpRequest get;
  get.target = "/orders?id=7";
  get.headers["X-Test"] = "yes";
  CHECK(FormatHttpRequest(get, "127.0.0.1", 8080) ==
        "GET /orders?id=7 HTTP/1.1\r\nX-Test: yes\r\nHost: 127.0.0.1:8080\r\n\r\n");
  CHECK(FormatHttpRequest({}, "::1", 80) == "GET / HTTP/1.1\r\nHost: [::1]:80\r\n\r\n");
  HttpRequest post;
  post.method = "POST";
  post.headers = {{"content-length", "99"}, {"Host", "orders"}, {"Transfer-Encoding", "chunked"}};
  CHECK(FormatHttpRequest(post, "127.0.0.1", 1) ==
        "POST / HTTP/1.1\r\nHost: orders\r\nContent-Length: 0\r\n\r\n");
  post.body = "{}";
  CHECK(FormatHttpRequest(post, "127.0.0.1", 1).ends_with("Content-Length: 2\r\n\r\n{}"));
}

}  // namespace
}  // namespace faultline
