// For the proxy's tests: the dependency's side played by the test itself, so
// that it sees and writes exact bytes, and ends its connections as it likes
// (FIN, half-close, RST).
#pragma once

#include <poll.h>
#include <sys/socket.h>

#include <memory>
#include <string>
#include <thread>

#include "harness/proxy/proxy_test_rig.h"

namespace faultline::testing {

// A listener on 127.0.0.1 (port 0) the proxy connects to; the test accepts.
class ListeningUpstream {
 public:
  ListeningUpstream() : acceptor_(io_, tcp::endpoint(asio::ip::address_v4::loopback(), 0)) {}
  uint16_t port() const { return acceptor_.local_endpoint().port(); }
  // The proxy's next upstream connection, or null after `timeout`.
  std::unique_ptr<Client> Accept(Duration timeout = 2s) {
    pollfd fd{acceptor_.native_handle(), POLLIN, 0};
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(timeout).count();
    if (::poll(&fd, 1, static_cast<int>(ms)) <= 0) return nullptr;
    const int conn = ::accept4(acceptor_.native_handle(), nullptr, nullptr, SOCK_CLOEXEC);
    if (conn < 0) return nullptr;
    return std::make_unique<Client>(Client::Adopt{conn});
  }

 private:
  asio::io_context io_;  // never run
  tcp::acceptor acceptor_;
};

// A request and part of its answer through the proxy on `port`, then the
// dependency resets (SO_LINGER 0) mid-stream: the client must see the reset
// within a second (the proxy passes a reset on as a reset).
inline void UpstreamResetsMidStream(uint16_t port, ListeningUpstream& upstream) {
  Client client(port);
  auto dep = upstream.Accept();
  REQUIRE(dep != nullptr);
  REQUIRE(client.Send("request"));
  CHECK(dep->Read(7) == "request");
  REQUIRE(dep->Send("partial answ"));
  CHECK(client.Read(12) == "partial answ");
  const auto start = SteadyClock::now();
  dep->Reset();
  CHECK(client.ReadEnd(2s) == asio::error::connection_reset);
  CHECK(SteadyClock::now() - start < 1s);
}

// A new connection through the proxy on `port` still reaches the dependency.
inline void StillForwards(uint16_t port, ListeningUpstream& upstream) {
  Client client(port);
  auto dep = upstream.Accept();
  REQUIRE(dep != nullptr);
  REQUIRE(client.Send("again"));
  CHECK(dep->Read(5) == "again");
}

// An echo server (EchoServer) on a thread of its own, for tests whose
// proxy runs elsewhere (another thread, another process).
class EchoThread {
 public:
  EchoThread() : work_(io_.get_executor()), echo_(io_), thread_([this] { io_.run(); }) {}
  // Its sockets close with echo_ and io_, once the thread has ended.
  ~EchoThread() {
    work_.reset();
    io_.stop();
    thread_.join();
  }
  uint16_t port() const { return echo_.port(); }
  std::string address() const { return "127.0.0.1:" + std::to_string(port()); }

 private:
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  EchoServer echo_;
  std::thread thread_;
};

}  // namespace faultline::testing
