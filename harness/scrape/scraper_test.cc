#include "harness/scrape/scraper.h"

#include <chrono>
#include <memory>
#include <optional>

#include <doctest/doctest.h>

#include "harness/common/ports.h"

using namespace faultline;
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

// An HTTP server on the test's io_context. For each connection it reads the
// request headers, then writes `response` and closes; with no response it
// holds the connection open and silent, and notes when the client closes it.
class TestServer {
 public:
  TestServer(asio::io_context& io, std::optional<std::string> response)
      : acceptor_(io, tcp::endpoint(asio::ip::make_address_v4("127.0.0.1"), 0)),
        response_(std::move(response)) {
    Accept();
  }
  uint16_t port() const { return acceptor_.local_endpoint().port(); }

  int requests = 0;          // requests whose headers arrived
  bool peer_closed = false;  // a silent connection saw EOF from the client
  std::string last_request;

 private:
  struct Connection {
    explicit Connection(const tcp::acceptor::executor_type& executor) : socket(executor) {}
    tcp::socket socket;
    std::string in;
    char byte = 0;
  };

  void Accept() {
    auto conn = std::make_shared<Connection>(acceptor_.get_executor());
    acceptor_.async_accept(conn->socket, [this, conn](boost::system::error_code ec) {
      if (ec) return;
      connections_.push_back(conn);
      asio::async_read_until(conn->socket, asio::dynamic_buffer(conn->in), "\r\n\r\n",
                             [this, conn](boost::system::error_code ec, size_t) {
                               if (ec) return;
                               ++requests;
                               last_request = conn->in;
                               Answer(conn);
                             });
      Accept();
    });
  }

  void Answer(const std::shared_ptr<Connection>& conn) {
    if (!response_) {
      conn->socket.async_read_some(asio::buffer(&conn->byte, 1),
                                   [this, conn](boost::system::error_code ec, size_t) {
                                     if (ec == asio::error::eof) peer_closed = true;
                                   });
      return;
    }
    asio::async_write(conn->socket, asio::buffer(*response_), [conn](boost::system::error_code, size_t) {
      boost::system::error_code ignored;
      conn->socket.shutdown(tcp::socket::shutdown_both, ignored);
      conn->socket.close(ignored);
    });
  }

  tcp::acceptor acceptor_;
  std::optional<std::string> response_;
  std::vector<std::shared_ptr<Connection>> connections_;
};

// Runs the loop until `done()` holds or `limit` passes; returns done().
template <typename Pred>
bool RunUntil(asio::io_context& io, Pred done, std::chrono::milliseconds limit = 3s) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    if (io.stopped()) io.restart();
    io.run_one_for(10ms);
  }
  return done();
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

}  // namespace

TEST_CASE("scrapes a page sent with Content-Length") {
  asio::io_context io;
  TestServer server(io, Response("HTTP/1.1 200 OK", kPage));
  Scraper scraper(io, server.port(), "/metrics", 2s);
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
  asio::io_context io;
  // Chunks split mid-line; sizes in hex, one with an extension.
  std::string response =
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
      "1a\r\n# TYPE go_goroutines gauge\r\n"
      "5;ext=1\r\n\ngo_g\r\n"
      "e\r\noroutines 812\n\r\n"
      "0\r\n\r\n";
  TestServer server(io, response);
  Scraper scraper(io, server.port(), "/metrics", 2s);
  Outcome out;
  scraper.Scrape(out.callback());
  REQUIRE(RunUntil(io, [&] { return out.calls > 0; }));
  INFO(out.result->status().message());
  REQUIRE(out.result->ok());
  CHECK(out.result->value().errors.empty());
  CHECK(Select(out.result->value(), {"go_goroutines", {}}) == 812.0);
}

TEST_CASE("a server that never answers times out within bound and loses its connection") {
  asio::io_context io;
  TestServer server(io, std::nullopt);
  Scraper scraper(io, server.port(), "/metrics", 50ms);
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
  CHECK(RunUntil(io, [&] { return server.peer_closed; }));
  CHECK(out.calls == 1);
}

TEST_CASE("a non-200 status is an error carrying the status line") {
  asio::io_context io;
  TestServer server(io, Response("HTTP/1.1 500 Internal Server Error", "boom\n"));
  Scraper scraper(io, server.port(), "/metrics", 2s);
  Outcome out;
  scraper.Scrape(out.callback());
  REQUIRE(RunUntil(io, [&] { return out.calls > 0; }));
  REQUIRE_FALSE(out.result->ok());
  CHECK(out.result->status().message() == "scrape http://127.0.0.1:" + std::to_string(server.port()) +
                                              "/metrics: HTTP 500 Internal Server Error");
}

TEST_CASE("connection refused is an error naming the URL") {
  asio::io_context io;
  auto port = AllocatePort();
  REQUIRE(port.ok());
  Scraper scraper(io, *port, "/metrics", 2s);
  Outcome out;
  scraper.Scrape(out.callback());
  REQUIRE(RunUntil(io, [&] { return out.calls > 0; }));
  REQUIRE_FALSE(out.result->ok());
  CHECK(out.result->status().message() ==
        "scrape http://127.0.0.1:" + std::to_string(*port) + "/metrics: connect: Connection refused");
}

TEST_CASE("a response over the size cap is refused") {
  asio::io_context io;
  TestServer server(io, Response("HTTP/1.1 200 OK", std::string(Scraper::kMaxResponseBytes, '#')));
  Scraper scraper(io, server.port(), "/metrics", 5s);
  Outcome out;
  scraper.Scrape(out.callback());
  REQUIRE(RunUntil(io, [&] { return out.calls > 0; }, 5s));
  REQUIRE_FALSE(out.result->ok());
  CHECK(out.result->status().message() ==
        "scrape http://127.0.0.1:" + std::to_string(server.port()) + "/metrics: response larger than 4.0 MiB");
}

TEST_CASE("destroying the scraper mid-scrape closes the connection and drops the callback") {
  asio::io_context io;
  TestServer server(io, std::nullopt);
  auto scraper = std::make_unique<Scraper>(io, server.port(), "/metrics", 200ms);
  Outcome out;
  scraper->Scrape(out.callback());
  scraper->Scrape(out.callback());
  REQUIRE(RunUntil(io, [&] { return server.requests == 2; }));
  REQUIRE(out.calls == 0);
  scraper.reset();
  CHECK(RunUntil(io, [&] { return server.peer_closed; }));
  // Past the 200ms deadline at which the callbacks would have reported.
  io.restart();
  io.run_for(300ms);
  CHECK(out.calls == 0);
}

TEST_CASE("DecodeHttpResponse rejects broken framing") {
  auto message = [](std::string_view raw) {
    auto body = DecodeHttpResponse(raw);
    return body.ok() ? "ok: " + *body : body.status().message();
  };
  CHECK(message("") == "empty response");
  CHECK(message("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n") == "incomplete response headers");
  CHECK(message("SSH-2.0-OpenSSH\r\n\r\n") == "not an HTTP response: \"SSH-2.0-OpenSSH\"");
  CHECK(message("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nup 1\n") ==
        "response truncated: got 5 of 10 body bytes");
  CHECK(message("HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nup 1\nextra") == "ok: up 1\n");
  CHECK(message("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nup 1\n\r\n0\r\n\r\n") ==
        "bad chunk size \"zz\"");
  CHECK(message("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nup 1\n\r\n") ==
        "truncated chunked body");
  CHECK(message("HTTP/1.0 200 OK\r\n\r\nup 1\n") == "ok: up 1\n");
}
