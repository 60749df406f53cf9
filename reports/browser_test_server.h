// For the browser test only (reports/browser_test.cc): a loopback HTTP
// server for a test page's fetches to target, to show whether anything left
// the page.
#pragma once

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace faultline::testing {

// A loopback HTTP server on 127.0.0.1, port 0, for a page's fetches to
// target: it answers every request 404 from its own thread (so a page that
// does fetch still loads) and records the request line of every connection
// it accepted. The destructor stops the thread and closes the listener.
class LoopbackServer {
 public:
  using Clock = std::chrono::steady_clock;

  LoopbackServer() {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE_MESSAGE(listener_ >= 0, "socket: " << std::strerror(errno));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    const bool listening = ::bind(listener_, reinterpret_cast<sockaddr*>(&addr), len) == 0 &&
                           ::listen(listener_, 16) == 0 &&
                           ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
    REQUIRE_MESSAGE(listening, "listening on 127.0.0.1:0: " << std::strerror(errno));
    port_ = ntohs(addr.sin_port);
    REQUIRE(::pipe2(stop_, O_CLOEXEC) == 0);
    thread_ = std::thread([this] { Serve(); });
  }
  ~LoopbackServer() {
    (void)!::write(stop_[1], "x", 1);
    thread_.join();
    ::close(stop_[0]);
    ::close(stop_[1]);
    ::close(listener_);
  }

  std::string Url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }

  // Waits up to `limit` for a first connection; returns the request line
  // of every connection accepted so far ("" for one that sent none).
  std::vector<std::string> WaitForConnections(Clock::duration limit) {
    std::unique_lock lock(mu_);
    changed_.wait_for(lock, limit, [&] { return !connections_.empty(); });
    return connections_;
  }

 private:
  void Serve() {
    for (;;) {
      pollfd p[2] = {{listener_, POLLIN, 0}, {stop_[0], POLLIN, 0}};
      if (::poll(p, 2, -1) < 0 && errno != EINTR) return;
      if (p[1].revents != 0) return;
      if (p[0].revents == 0) continue;
      const int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      size_t index;
      {
        std::lock_guard lock(mu_);
        index = connections_.size();
        connections_.push_back("(accepted, no request line yet)");
        changed_.notify_all();
      }
      const std::string line = ReadRequestLine(fd);
      const std::string answer =
          "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
      (void)!::send(fd, answer.data(), answer.size(), MSG_NOSIGNAL);
      ::close(fd);
      std::lock_guard lock(mu_);
      connections_[index] = line;
    }
  }

  // The request's first line, read for at most 2 s.
  static std::string ReadRequestLine(int fd) {
    const auto until = Clock::now() + std::chrono::seconds(2);
    std::string in;
    while (in.find("\r\n\r\n") == std::string::npos && in.size() < 65536) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()).count();
      pollfd p{fd, POLLIN, 0};
      if (left <= 0 || ::poll(&p, 1, static_cast<int>(left)) <= 0) break;
      char buf[4096];
      const ssize_t n = ::read(fd, buf, sizeof buf);
      if (n <= 0) break;
      in.append(buf, static_cast<size_t>(n));
    }
    return in.substr(0, in.find("\r\n"));
  }

  int listener_ = -1;
  int stop_[2] = {-1, -1};
  uint16_t port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable changed_;
  std::vector<std::string> connections_;
};

}  // namespace faultline::testing
