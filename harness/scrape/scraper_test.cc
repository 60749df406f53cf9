#include "harness/scrape/scraper.h"

#include <chrono>
#include <memory>
#include <optional>

#include <doctest/doctest.h>

#include "harness/common/ports.h"
#include "harness/common/test_http_server.h"

using namespace faultline;
using namespace faultline::testing;
using namespace std::chrono_literals;

namespace {

constexpr std::string_view kPage =
    "# HELP go_goroutines Number of goroutines that currently exist.\n"
    "# TYPE go_goroutines gauge\n"
    "go_goroutines 812\n"
    "orders_in_flight_requests 400\n";

std::string Response(std::string_view status_line, std::string_view body) {
  return std::string(status_line) + "\r\nContent-Type: text/plain\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
}

struct Outcome {
  int calls = 0;
  std::optional<StatusOr<PromParse>> result;
  Scraper::Callback callback() {
    return [this](StatusOr<PromParse> r) {
      ++calls;
      result.emplace(std::move(r));
    };
  }
};

// One scrape of a server that answers `raw` and closes: the result, and the
// URL its messages name.
struct RawScrape {
  StatusOr<PromParse> result;
  std::string url;
};
RawScrape ScrapeRaw(const std::string& raw) {
  asio::io_context io;
  AsioClock clock(io);
  TestHttpServer server(io, raw);
  Scraper scraper(io, clock, server.port(), "/metrics", 5s);
  Outcome out;
  scraper.Scrape(out.callback());
  REQUIRE(RunUntil(io, [&] { return out.calls > 0; }));
  return {std::move(*out.result), scraper.url()};
}

}  // namespace

TEST_CASE("scrapes a page sent with Content-Length") {
  asio::io_context io;
  AsioClock clock(io);
  TestHttpServer server(io, Response("HTTP/1.1 200 OK", kPage));
  Scraper scraper(io, clock, server.port(), "/metrics", 2s);
  Outcome out;
  scraper.Scrape(out.callback());
  CHECK(out.calls == 0);  // never inside Scrape()
  REQUIRE(RunUntil(io, [&] { return out.calls > 0; }));
  INFO(out.result->status().message());
  REQUIRE(out.result->ok());
  const PromParse& page = out.result->value();
  CHECK(page.errors.empty());
  CHECK(Select(page, {"go_goroutines", {}}) == 812.0);
  CHECK(Select(page, {"orders_in_flight_requests", {}}) == 400.0);
  CHECK(server.last_request.starts_with("GET /metrics HTTP/1.1\r\n"));
  CHECK(server.last_request.find("\r\nConnection: close\r\n") != std::string::npos);
  CHECK(scraper.url() == "http://127.0.0.1:" + std::to_string(server.port()) + "/metrics");
}

TEST_CASE("scrapes a chunked page - as Go's net/http sends large bodies") {
  // Chunks split mid-line; sizes in hex, one with an extension.
  RawScrape got = ScrapeRaw(
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
      "1a\r\n# TYPE go_goroutines gauge\r\n"
      "5;ext=1\r\n\ngo_g\r\n"
      "e\r\noroutines 812\n\r\n"
      "0\r\n\r\n");
  INFO(got.result.status().message());
  REQUIRE(got.result.ok());
  CHECK(got.result->errors.empty());
  CHECK(Select(*got.result, {"go_goroutines", {}}) == 812.0);
}

TEST_CASE("a server that never answers times out within bound and loses its connection") {
  asio::io_context io;
  AsioClock clock(io);
  TestHttpServer server(io, ServerMode::kNever);
  Scraper scraper(io, clock, server.port(), "/metrics", 50ms);
  Outcome out;
  auto start = std::chrono::steady_clock::now();
  scraper.Scrape(out.callback());
  REQUIRE(RunUntil(io, [&] { return out.calls > 0; }));
  auto elapsed = std::chrono::steady_clock::now() - start;
  CHECK(elapsed >= 50ms);
  CHECK(elapsed < 1s);
  REQUIRE_FALSE(out.result->ok());
  CHECK(out.result->status().code() == Status::Code::kUnavailable);
  CHECK(out.result->status().message() ==
        "scrape http://127.0.0.1:" + std::to_string(server.port()) + "/metrics: timed out after 50ms");
  CHECK(RunUntil(io, [&] { return server.client_closed > 0; }));
  CHECK(out.calls == 1);
}

TEST_CASE("a non-200 status is an error carrying the status line") {
  RawScrape got = ScrapeRaw(Response("HTTP/1.1 500 Internal Server Error", "boom\n"));
  REQUIRE_FALSE(got.result.ok());
  CHECK(got.result.status().message() == "scrape " + got.url + ": HTTP 500 Internal Server Error");
}

TEST_CASE("connection refused is an error naming the URL") {
  asio::io_context io;
  AsioClock clock(io);
  const uint16_t port = FreePort();
  Scraper scraper(io, clock, port, "/metrics", 2s);
  Outcome out;
  scraper.Scrape(out.callback());
  REQUIRE(RunUntil(io, [&] { return out.calls > 0; }));
  REQUIRE_FALSE(out.result->ok());
  CHECK(out.result->status().message() ==
        "scrape http://127.0.0.1:" + std::to_string(port) + "/metrics: connect: Connection refused");
}

TEST_CASE("a response over the size cap is refused") {
  RawScrape got =
      ScrapeRaw(Response("HTTP/1.1 200 OK", std::string(Scraper::kMaxResponseBytes, '#')));
  REQUIRE_FALSE(got.result.ok());
  CHECK(got.result.status().message() == "scrape " + got.url + ": response larger than 4.0 MiB");
}

TEST_CASE("destroying the scraper mid-scrape closes the connection and drops the callback") {
  asio::io_context io;
  AsioClock clock(io);
  TestHttpServer server(io, ServerMode::kNever);
  auto scraper = std::make_unique<Scraper>(io, clock, server.port(), "/metrics", 200ms);
  Outcome out;
  scraper->Scrape(out.callback());
  scraper->Scrape(out.callback());
  REQUIRE(RunUntil(io, [&] { return server.requests == 2; }));
  REQUIRE(out.calls == 0);
  scraper.reset();
  CHECK(RunUntil(io, [&] { return server.client_closed > 0; }));
  // Past the 200ms deadline at which the callbacks would have reported.
  io.restart();
  io.run_for(300ms);
  CHECK(out.calls == 0);
}

TEST_CASE("fake time: a scrape times out exactly when its deadline passes") {
  ManualClock clock;
  asio::io_context io;
  TestHttpServer server(io, ServerMode::kNever);
  Scraper scraper(io, clock, server.port(), "/metrics", 50ms);
  Outcome out;
  scraper.Scrape(out.callback());
  REQUIRE(RunUntil(io, [&] { return server.requests == 1; }));
  clock.Advance(49ms);
  RunFor(io, 10ms);
  CHECK(out.calls == 0);
  clock.Advance(1ms);
  REQUIRE(out.calls == 1);
  REQUIRE_FALSE(out.result->ok());
  CHECK(out.result->status().message() ==
        "scrape http://127.0.0.1:" + std::to_string(server.port()) + "/metrics: timed out after 50ms");
  CHECK(RunUntil(io, [&] { return server.client_closed > 0; }));
}

TEST_CASE("a page with no length is read up to the server's close") {
  RawScrape got = ScrapeRaw("HTTP/1.0 200 OK\r\n\r\n" + std::string(kPage));
  INFO(got.result.status().message());
  REQUIRE(got.result.ok());
  CHECK(Select(*got.result, {"go_goroutines", {}}) == 812.0);
}
