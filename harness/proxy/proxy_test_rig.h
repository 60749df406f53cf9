// For the proxy's tests: an echo server standing in for the dependency, a
// rig running a proxy in front of it on a thread of its own, and a client
// whose every wait has a deadline.
#pragma once

#include <doctest/doctest.h>
#include <poll.h>
#include <sys/socket.h>

#include <array>
#include <chrono>
#include <functional>
#include <future>
#include <list>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "harness/common/clock.h"
#include "harness/common/ports.h"
#include "harness/common/test_http_server.h"
#include "harness/proxy/proxy.h"

namespace faultline::testing {

using namespace std::chrono_literals;
using boost::system::error_code;

// Polls `done` every 2 ms until it holds (true) or `timeout` passes (false):
// the tests' one way to wait for what the proxy's thread does.
inline bool Eventually(const std::function<bool()>& done, Duration timeout = 2s) {
  const auto deadline = SteadyClock::now() + timeout;
  while (!done()) {
    if (SteadyClock::now() > deadline) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

// An echo server standing in for the dependency. Lives on the rig's io
// thread; its state is shared with its pending handlers so that it can be
// destroyed while they are queued.
class EchoServer {
 public:
  struct Stats {
    size_t received = 0;                      // bytes, over all connections
    std::vector<SteadyClock::time_point> arrivals;  // when each chunk was read
    int open = 0;                             // connections open now
  };

  explicit EchoServer(asio::io_context& io) : state_(std::make_shared<State>(io)) {
    state_->acceptor.open(tcp::v4());
    state_->acceptor.bind(tcp::endpoint(asio::ip::address_v4::loopback(), 0));
    state_->acceptor.listen();
    Accept(state_);
  }
  ~EchoServer() {
    error_code ignored;
    state_->acceptor.close(ignored);
    CloseAll();
  }

  uint16_t port() const { return state_->acceptor.local_endpoint().port(); }
  const Stats& stats() const { return state_->stats; }

  // Closes every accepted connection (FIN), as a dependency going away would.
  void CloseAll() {
    for (auto& socket : state_->sockets) {
      if (auto s = socket.lock(); s && s->is_open()) {
        error_code ignored;
        s->close(ignored);
        state_->stats.open--;
      }
    }
    state_->sockets.clear();
  }

 private:
  struct State {
    explicit State(asio::io_context& io) : acceptor(io) {}
    tcp::acceptor acceptor;
    std::list<std::weak_ptr<tcp::socket>> sockets;
    Stats stats;
  };

  struct Session {
    std::shared_ptr<State> state;
    std::shared_ptr<tcp::socket> socket;
    std::array<char, 16384> buffer;
  };

  static void Accept(std::shared_ptr<State> state) {
    state->acceptor.async_accept([state](error_code ec, tcp::socket socket) {
      if (ec) return;
      auto session = std::make_shared<Session>();
      session->state = state;
      session->socket = std::make_shared<tcp::socket>(std::move(socket));
      state->sockets.push_back(session->socket);
      state->stats.open++;
      Read(session);
      Accept(state);
    });
  }

  static void Read(std::shared_ptr<Session> session) {
    session->socket->async_read_some(
        asio::buffer(session->buffer), [session](error_code ec, size_t n) {
          if (!session->socket->is_open()) return;  // closed by CloseAll
          if (ec) {
            error_code ignored;
            session->socket->close(ignored);
            session->state->stats.open--;
            return;
          }
          session->state->stats.received += n;
          session->state->stats.arrivals.push_back(SteadyClock::now());
          asio::async_write(*session->socket, asio::buffer(session->buffer.data(), n),
                            [session](error_code ec, size_t) {
                              if (!ec) Read(session);
                            });
        });
  }

  std::shared_ptr<State> state_;
};

// An upstream that closes every connection it accepted `idle` after
// accepting it, whatever arrived (as a dependency that closes idle
// connections does when nothing it understood came in). Lives on the rig's
// io thread.
class IdleClosingServer {
 public:
  IdleClosingServer(asio::io_context& io, Clock& clock, Duration idle)
      : state_(std::make_shared<State>(io, clock, idle)) {
    state_->acceptor.open(tcp::v4());
    state_->acceptor.bind(tcp::endpoint(asio::ip::address_v4::loopback(), 0));
    state_->acceptor.listen();
    Accept(state_);
  }
  ~IdleClosingServer() {
    error_code ignored;
    state_->acceptor.close(ignored);
    state_->connections.clear();
  }
  uint16_t port() const { return state_->acceptor.local_endpoint().port(); }
  int closed() const { return state_->closed; }

 private:
  struct Held {
    std::unique_ptr<tcp::socket> socket;
    std::unique_ptr<Timer> timer;
  };
  struct State {
    State(asio::io_context& io, Clock& clock, Duration idle)
        : acceptor(io), clock(clock), idle(idle) {}
    tcp::acceptor acceptor;
    Clock& clock;
    Duration idle;
    std::list<Held> connections;
    int closed = 0;
  };
  static void Accept(std::shared_ptr<State> state) {
    state->acceptor.async_accept([state](error_code ec, tcp::socket socket) {
      if (ec) return;
      auto& held = state->connections.emplace_back();
      held.socket = std::make_unique<tcp::socket>(std::move(socket));
      held.timer = state->clock.NewTimer();
      tcp::socket* s = held.socket.get();
      state->clock.After(*held.timer, state->idle, [s, raw = state.get()] {
        error_code ignored;
        s->close(ignored);
        raw->closed++;
      });
      Accept(state);
    });
  }
  std::shared_ptr<State> state_;
};

// A proxy and its echo upstream on an io_context run by a thread of the
// test; the test thread talks to them through OnIo and to the proxy's port
// through Client.
class Rig {
 public:
  // With an upstream that closes its connections `idle_close` after
  // accepting them instead of the echo server.
  explicit Rig(Duration idle_close) : Rig(false, idle_close) {}
  explicit Rig(bool upstream_up = true, Duration idle_close = Duration::zero())
      : work_(io_.get_executor()) {
    uint16_t upstream_port = 0;
    if (idle_close > Duration::zero()) {
      idle_closing_ = std::make_unique<IdleClosingServer>(io_, clock_, idle_close);
      upstream_port = idle_closing_->port();
    } else if (upstream_up) {
      echo_ = std::make_unique<EchoServer>(io_);
      upstream_port = echo_->port();
    } else {
      auto port = AllocatePort();  // free, and nothing will listen on it
      REQUIRE(port.ok());
      upstream_port = *port;
    }
    Start(upstream_port, ProxyProtocol::kTcp);
  }
  // A proxy speaking `protocol` in front of what the test itself listens
  // on at `upstream_port`.
  Rig(uint16_t upstream_port, ProxyProtocol protocol) : work_(io_.get_executor()) {
    Start(upstream_port, protocol);
  }

  ~Rig() {
    OnIo([this] {
      proxy_.reset();
      echo_.reset();
      idle_closing_.reset();
    });
    work_.reset();
    // Once the proxy is gone nothing of it may keep the loop busy (timers,
    // sockets); a hang here would mean it leaked pending work.
    bool drained = done_.get_future().wait_for(5s) == std::future_status::ready;
    if (!drained) io_.stop();
    thread_.join();
    CHECK_MESSAGE(drained, "io_context still had work after the proxy was destroyed");
  }

  template <typename F>
  auto OnIo(F f) -> decltype(f()) {
    std::packaged_task<decltype(f())()> task(std::move(f));
    auto result = task.get_future();
    // Wrapped: Asio would take a bare packaged_task as a completion token.
    asio::post(io_, [task = std::move(task)]() mutable { task(); });
    REQUIRE(result.wait_for(5s) == std::future_status::ready);
    return result.get();
  }

  // One fault, or none (nullopt).
  void SetFault(std::optional<ProxyFault> fault) {
    SetFaults(fault ? std::vector<ProxyFault>{*fault} : std::vector<ProxyFault>{});
  }
  void SetFaults(std::vector<ProxyFault> faults) {
    OnIo([&] { proxy_->SetFaults(faults); });
  }
  ProxyCounters Counters() {
    return OnIo([&] { return proxy_->counters(); });
  }
  EchoServer::Stats EchoStats() {
    return OnIo([&] { return echo_->stats(); });
  }
  // Polls the proxy's counters until `done` holds or `timeout` passes.
  bool WaitFor(const std::function<bool(const ProxyCounters&)>& done, Duration timeout = 2s) {
    return Eventually([&] { return done(Counters()); }, timeout);
  }

  // Polls until the echo server has received `bytes` in all.
  bool WaitForEcho(size_t bytes, Duration timeout = 2s) {
    return Eventually([&] { return EchoStats().received >= bytes; }, timeout);
  }

  // Closes every connection the echo server accepted, as a dependency going
  // away would, and waits until the proxy has no upstream connection left.
  bool CloseUpstream() {
    OnIo([this] { echo_->CloseAll(); });
    return WaitFor([](const ProxyCounters& c) { return c.open_upstream == 0; });
  }

  uint16_t port() const { return port_; }
  FaultProxy& proxy() { return *proxy_; }
  EchoServer& echo() { return *echo_; }
  IdleClosingServer& idle_closing() { return *idle_closing_; }
  void DestroyProxy() { proxy_.reset(); }

 private:
  void Start(uint16_t upstream_port, ProxyProtocol protocol) {
    proxy_ = std::make_unique<FaultProxy>(io_, clock_, "inventory", "127.0.0.1", upstream_port,
                                          /*seed=*/7);
    proxy_->SetProtocol(protocol);
    Status status = proxy_->Listen("127.0.0.1", 0);
    REQUIRE_MESSAGE(status.ok(), status.message());
    port_ = proxy_->port();
    thread_ = std::thread([this] {
      io_.run();
      done_.set_value();
    });
  }

  asio::io_context io_;
  AsioClock clock_{io_};
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::unique_ptr<EchoServer> echo_;
  std::unique_ptr<IdleClosingServer> idle_closing_;
  std::unique_ptr<FaultProxy> proxy_;
  uint16_t port_ = 0;
  std::promise<void> done_;
  std::thread thread_;
};

// A blocking-style client whose every wait has a deadline (non-blocking
// socket plus poll).
class Client {
 public:
  explicit Client(uint16_t port) : socket_(io_) {
    socket_.connect(tcp::endpoint(asio::ip::address_v4::loopback(), port), connect_error_);
    if (!connect_error_) {
      socket_.non_blocking(true);
      socket_.set_option(tcp::no_delay(true));
    }
  }

  // Connects without blocking past `timeout`: connect_error() is
  // timed_out when the handshake did not complete in time.
  Client(uint16_t port, Duration timeout) : socket_(io_) {
    socket_.open(tcp::v4());
    socket_.non_blocking(true);
    // ::connect itself: Asio's connect waits for the handshake whatever the mode.
    const tcp::endpoint target(asio::ip::address_v4::loopback(), port);
    if (::connect(socket_.native_handle(), target.data(), target.size()) != 0) {
      connect_error_ = error_code(errno, boost::system::system_category());
    }
    if (connect_error_ == asio::error::in_progress || connect_error_ == asio::error::would_block) {
      if (!Wait(POLLOUT, SteadyClock::now() + timeout)) {
        connect_error_ = asio::error::timed_out;
        return;
      }
      int error = 0;
      socklen_t size = sizeof error;
      ::getsockopt(socket_.native_handle(), SOL_SOCKET, SO_ERROR, &error, &size);
      connect_error_ = error_code(error, boost::system::system_category());
    }
    if (!connect_error_) socket_.set_option(tcp::no_delay(true));
  }

  // Takes over a connected socket (e.g. one the test accepted).
  struct Adopt {
    int fd;
  };
  explicit Client(Adopt adopt) : socket_(io_) {
    socket_.assign(tcp::v4(), adopt.fd);
    socket_.non_blocking(true);
    socket_.set_option(tcp::no_delay(true));
  }

  const error_code& connect_error() const { return connect_error_; }

  bool Send(std::string_view data, Duration timeout = 5s) {
    auto deadline = SteadyClock::now() + timeout;
    while (!data.empty()) {
      if (!Wait(POLLOUT, deadline)) return false;
      error_code ec;
      size_t n = socket_.write_some(asio::buffer(data.data(), data.size()), ec);
      if (ec && ec != asio::error::would_block) return false;
      data.remove_prefix(n);
    }
    return true;
  }

  // Writes what the socket takes now; how much it took.
  size_t SendSome(std::string_view data) {
    error_code ec;
    return socket_.write_some(asio::buffer(data.data(), data.size()), ec);
  }

  // Reads until `n` bytes arrived, the peer closed or failed (*error), or
  // `timeout` passed; returns what arrived.
  std::string Read(size_t n, Duration timeout = 5s, error_code* error = nullptr) {
    auto deadline = SteadyClock::now() + timeout;
    std::string got;
    std::array<char, 65536> buffer;
    while (got.size() < n && Wait(POLLIN, deadline)) {
      error_code ec;
      size_t k = socket_.read_some(
          asio::buffer(buffer.data(), std::min(buffer.size(), n - got.size())), ec);
      got.append(buffer.data(), k);
      if (ec && ec != asio::error::would_block) {
        if (error) *error = ec;
        break;
      }
    }
    return got;
  }

  // Waits for the peer's close or failure, ignoring data; the error it
  // ended with (eof, connection_reset), or would_block if none in time.
  error_code ReadEnd(Duration timeout = 2s) {
    error_code ec = asio::error::would_block;
    Read(SIZE_MAX, timeout, &ec);
    return ec;
  }

  // True when nothing at all (data, FIN, RST) arrives within `timeout`.
  bool Silent(Duration timeout) { return !Wait(POLLIN, SteadyClock::now() + timeout); }

  // Sends `data` and reads as many bytes back, both at once.
  std::string Exchange(std::string_view data, Duration timeout = 5s) {
    auto deadline = SteadyClock::now() + timeout;
    const size_t expected = data.size();
    std::string got;
    std::array<char, 65536> buffer;
    while (got.size() < expected && SteadyClock::now() < deadline) {
      short events = POLLIN | (data.empty() ? 0 : POLLOUT);
      pollfd fd{socket_.native_handle(), events, 0};
      ::poll(&fd, 1, 10);
      error_code ec;
      if (!data.empty() && (fd.revents & (POLLOUT | POLLERR | POLLHUP))) {
        size_t n = socket_.write_some(asio::buffer(data.data(), data.size()), ec);
        if (ec && ec != asio::error::would_block) break;
        data.remove_prefix(n);
      }
      if (fd.revents & (POLLIN | POLLERR | POLLHUP)) {
        size_t k = socket_.read_some(asio::buffer(buffer), ec);
        got.append(buffer.data(), k);
        if (ec && ec != asio::error::would_block) break;
      }
    }
    return got;
  }

  void ShutdownSend() { socket_.shutdown(tcp::socket::shutdown_send); }
  void Close() { socket_.close(); }
  // Closes with RST (SO_LINGER 0), as a peer that crashed or aborted would.
  void Reset() {
    socket_.set_option(asio::socket_base::linger(true, 0));
    socket_.close();
  }

 private:
  bool Wait(short events, SteadyClock::time_point deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
    pollfd fd{socket_.native_handle(), events, 0};
    return ::poll(&fd, 1, std::max<int>(0, static_cast<int>(left.count()))) > 0;
  }

  asio::io_context io_;  // never run: the socket is used synchronously
  tcp::socket socket_;
  error_code connect_error_;
};

inline ProxyFault Fault(ProxyFault::Kind kind) {
  ProxyFault fault;
  fault.kind = kind;
  return fault;
}

inline ProxyFault Latency(Duration latency,
                  ProxyFault::Direction direction = ProxyFault::Direction::kDownstream,
                  Duration jitter = 0s) {
  ProxyFault fault = Fault(ProxyFault::Kind::kLatency);
  fault.latency = latency;
  fault.jitter = jitter;
  fault.direction = direction;
  return fault;
}

inline ProxyFault Named(ProxyFault fault, std::string name) {
  fault.name = std::move(name);
  return fault;
}

inline Duration Since(SteadyClock::time_point start) { return SteadyClock::now() - start; }

// The round-trip time of one byte, or a huge value when it did not return.
inline Duration RoundTrip(Client& client) {
  auto start = SteadyClock::now();
  if (client.Exchange("x", 3s) != "x") return 1h;
  return Since(start);
}

// A rig and a client whose connection through the proxy has carried one
// round trip (so both halves are open), for TEST_CASE_FIXTURE.
struct Connected {
  Connected() { REQUIRE(RoundTrip(client) < 1s); }
  Rig rig;
  Client client{rig.port()};
};

// Connected, then the proxy hangs.
struct Hung : Connected {
  Hung() { rig.SetFault(Fault(ProxyFault::Kind::kHang)); }
};

// A proxy in front of an echo server, both on the test's thread, with time
// from a ManualClock.
struct FakeTimeRig {
  FakeTimeRig() { REQUIRE(proxy.Listen("127.0.0.1", 0).ok()); }
  ManualClock clock;
  asio::io_context io;
  EchoServer echo{io};
  FaultProxy proxy{io, clock, "inventory", "127.0.0.1", echo.port(), /*seed=*/7};
};

inline bool NoOpenConnections(const ProxyCounters& c) {
  return c.open_client == 0 && c.open_upstream == 0;
}

}  // namespace faultline::testing
