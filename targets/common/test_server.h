// Test-only helpers: run a server in-process on a free port, and play a
// dependency that hangs.
#pragma once

#include <doctest/doctest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "targets/common/thread_per_connection.h"

namespace faultline::targets {

/// Runs an httplib::Server on 127.0.0.1:<free port> on a background thread,
/// one thread per connection, for the life of the object. Register routes on
/// server() before Start(). Destruction stops it and waits (up to 5 s) for
/// its connection threads, failing the test if any is still alive.
class TestServer {
 public:
  TestServer() = default;
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  httplib::Server& server() { return *server_; }
  const ConnectionThreads& threads() const { return *threads_; }
  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  void Start() {
    server_->set_tcp_nodelay(true);  // as ServeUntilSignal: no delayed-ACK wait per answer
    server_->new_task_queue = ThreadPerConnection::Factory(threads_);
    port_ = server_->bind_to_any_port("127.0.0.1");
    REQUIRE(port_ > 0);
    // Connections queue in the listen backlog from here on, so callers may
    // connect before listen_after_bind() runs.
    listener_ = std::thread([this] { server_->listen_after_bind(); });
  }

  ~TestServer() {
    if (!listener_.joinable()) return;
    // stop() is a no-op until listen_after_bind() has set is_running().
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (!server_->is_running() && std::chrono::steady_clock::now() < give_up) {
      std::this_thread::yield();
    }
    server_->stop();
    listener_.join();
    if (!threads_->WaitUntilNone(std::chrono::seconds(5))) {
      FAIL_CHECK("connection threads still alive 5 s after stop: " << threads_->live());
      // They still use the Server; leaking it is the only safe option left.
      (void)server_.release();
    }
  }

 private:
  std::unique_ptr<httplib::Server> server_ = std::make_unique<httplib::Server>();
  std::shared_ptr<ConnectionThreads> threads_ = std::make_shared<ConnectionThreads>();
  std::thread listener_;
  int port_ = 0;
};

/// A dependency that accepts connections and never answers. It never calls
/// accept(): the kernel completes each handshake into the listen backlog, so
/// to the caller it looks exactly like a peer that accepted and went silent.
/// Close() closes the listener, which resets those connections and so
/// releases whoever is waiting on them.
class HungDependency {
 public:
  HungDependency() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    REQUIRE(::listen(fd_, 128) == 0);
    socklen_t length = sizeof address;
    REQUIRE(::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) == 0);
    port_ = ntohs(address.sin_port);
  }
  HungDependency(const HungDependency&) = delete;
  HungDependency& operator=(const HungDependency&) = delete;
  ~HungDependency() { Close(); }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
  int port_ = 0;
};

}  // namespace faultline::targets
