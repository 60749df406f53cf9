// For tests only: a small HTTP/1.1-ish server on 127.0.0.1:0, on the test's
// io_context, standing in for a target, a metrics endpoint or a health
// check. A request ends at "\r\n\r\n" (the clients under test send no body).
// It counts what a real server would notice: connections accepted,
// requests, and connections the client closed.
#pragma once

#include <array>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include <doctest/doctest.h>

#include "harness/common/asio.h"
#include "harness/common/ports.h"
#include "harness/common/units.h"

namespace faultline::testing {

// How the server treats each request.
enum class ServerMode {
  kNever,             // read requests, never answer
  kAnswer,            // answer with `status` after `delay`, keep-alive
  kAnswerThenClose,   // answer, then close the idle connection 50 ms later
  kClose,             // close the connection on the request (FIN)
  kResetOnRequest,    // reset the connection on the request (RST)
  kCloseSecond,       // answer a connection's first request, close on its second
                      // (after `delay`, when given)
  kAnswerNoReuse,     // answer with "Connection: close", leave closing to the client
  kAnswerSplit,       // answer the header, then the body 20 ms later (as cpp-httplib
                      // writes them separately), keep-alive
  kRaw,               // write the given raw bytes, then close (FIN)
};

class TestHttpServer {
 public:
  using error_code = boost::system::error_code;

  TestHttpServer(asio::io_context& io, ServerMode mode, int status = 200,
                 Duration delay = Duration{0}, size_t body_size = 2)
      : io_(io), acceptor_(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
        mode_(mode), delay_(delay), body_size_(body_size), response_(Response(status)) {
    Accept();
  }
  /// Answers every request with `raw` verbatim, then closes.
  TestHttpServer(asio::io_context& io, std::string raw)
      : TestHttpServer(io, ServerMode::kRaw) {
    response_ = std::move(raw);
  }

  uint16_t port() const { return acceptor_.local_endpoint().port(); }
  /// From now on, request number n (1-based, over all connections) is
  /// answered with status_of(n).
  void SetStatus(std::function<int(int)> status_of) { status_of_ = std::move(status_of); }

  int accepted = 0;
  int requests = 0;
  int client_closed = 0;     // the client closed (EOF) or reset its end
  std::string last_request;  // request line and headers

 private:
  struct Conn {
    explicit Conn(asio::io_context& io) : socket(io), timer(io) {}
    tcp::socket socket;
    asio::steady_timer timer;
    std::array<char, 4096> chunk{};
    std::string in;
    int requests = 0;
    bool closed = false;  // by the server
  };
  using ConnPtr = std::shared_ptr<Conn>;

  std::string Response(int status) const {
    return "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Length: " +
           std::to_string(body_size_) +
           (mode_ == ServerMode::kAnswerNoReuse ? "\r\nConnection: close" : "") + "\r\n\r\n" +
           std::string(body_size_, 'x');
  }

  void Accept() {
    acceptor_.async_accept([this](const error_code& ec, tcp::socket socket) {
      if (ec) return;  // EMFILE in an fd-limit test: stop accepting
      ++accepted;
      auto conn = std::make_shared<Conn>(io_);
      conn->socket = std::move(socket);
      conn->socket.set_option(tcp::no_delay(true));
      Read(conn);
      Accept();
    });
  }

  void Read(const ConnPtr& conn) {
    conn->socket.async_read_some(asio::buffer(conn->chunk),
                                 [this, conn](const error_code& ec, size_t n) {
                                   if (conn->closed) return;
                                   if (ec) {
                                     ++client_closed;
                                     return;
                                   }
                                   conn->in.append(conn->chunk.data(), n);
                                   size_t end;
                                   while ((end = conn->in.find("\r\n\r\n")) != std::string::npos) {
                                     last_request = conn->in.substr(0, end + 4);
                                     conn->in.erase(0, end + 4);
                                     OnRequest(conn);
                                     if (conn->closed) return;
                                   }
                                   Read(conn);
                                 });
  }

  void OnRequest(const ConnPtr& conn) {
    ++requests;
    ++conn->requests;
    if (status_of_) response_ = Response(status_of_(requests));
    switch (mode_) {
      case ServerMode::kNever:
        return;
      case ServerMode::kClose:
        Close(conn);
        return;
      case ServerMode::kResetOnRequest:
        conn->socket.set_option(asio::socket_base::linger(true, 0));
        Close(conn);
        return;
      case ServerMode::kCloseSecond:
        if (conn->requests > 1 && delay_ > Duration{0}) {  // held it, then went away
          conn->timer.expires_after(delay_);
          conn->timer.async_wait([this, conn](const error_code& ec) {
            if (!ec && !conn->closed) Close(conn);
          });
          return;
        }
        if (conn->requests > 1) {
          Close(conn);
          return;
        }
        Answer(conn);
        return;
      case ServerMode::kAnswerSplit:
        AnswerSplit(conn);
        return;
      case ServerMode::kRaw:
      case ServerMode::kAnswer:
      case ServerMode::kAnswerThenClose:
      case ServerMode::kAnswerNoReuse:
        if (delay_ > Duration{0}) {
          conn->timer.expires_after(delay_);
          conn->timer.async_wait([this, conn](const error_code& ec) {
            if (!ec && !conn->closed) Answer(conn);
          });
        } else {
          Answer(conn);
        }
        return;
    }
  }

  void Answer(const ConnPtr& conn) {
    auto text = std::make_shared<std::string>(response_);
    asio::async_write(conn->socket, asio::buffer(*text),
                      [this, conn, text](const error_code& ec, size_t) {
                        if (ec || conn->closed) return;
                        if (mode_ == ServerMode::kRaw) {
                          error_code ignored;
                          conn->socket.shutdown(tcp::socket::shutdown_both, ignored);
                          Close(conn);
                          return;
                        }
                        if (mode_ != ServerMode::kAnswerThenClose) return;
                        conn->timer.expires_after(std::chrono::milliseconds(50));
                        conn->timer.async_wait([this, conn](const error_code& ec) {
                          if (!ec && !conn->closed) Close(conn);
                        });
                      });
  }

  void AnswerSplit(const ConnPtr& conn) {
    auto text = std::make_shared<std::string>(response_);
    const size_t head = text->find("\r\n\r\n") + 4;
    asio::async_write(conn->socket, asio::buffer(text->data(), head),
                      [this, conn, text, head](const error_code& ec, size_t) {
                        if (ec || conn->closed) return;
                        conn->timer.expires_after(std::chrono::milliseconds(20));
                        conn->timer.async_wait([conn, text, head](const error_code& ec) {
                          if (ec || conn->closed) return;
                          asio::async_write(conn->socket,
                                            asio::buffer(text->data() + head, text->size() - head),
                                            [text](const error_code&, size_t) {});
                        });
                      });
  }

  void Close(const ConnPtr& conn) {
    conn->closed = true;
    error_code ignored;
    conn->socket.close(ignored);
    conn->timer.cancel();
  }

  asio::io_context& io_;
  tcp::acceptor acceptor_;
  ServerMode mode_;
  Duration delay_;
  size_t body_size_;
  std::string response_;  // the same for every request unless SetStatus was called
  std::function<int(int)> status_of_;
};

/// Runs the loop until `done()` or `limit` has passed (real time); returns done().
template <typename Pred>
bool RunUntil(asio::io_context& io, Pred done, Duration limit = std::chrono::seconds(5)) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    io.restart();
    io.run_for(std::chrono::milliseconds(5));
  }
  return done();
}

/// Runs the loop for `d` of real time.
inline void RunFor(asio::io_context& io, Duration d) {
  io.restart();
  io.run_for(d);
}

// A loopback port that was free a moment ago and that nothing listens on.
inline uint16_t FreePort() {
  auto port = AllocatePort();
  REQUIRE(port.ok());
  return *port;
}

}  // namespace faultline::testing
