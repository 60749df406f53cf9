#include "harness/proxy/proxy.h"

#include <doctest/doctest.h>
#include <poll.h>

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

#include "harness/common/ports.h"

namespace faultline {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;

// An echo server standing in for the dependency. Lives on the rig's io
// thread; its state is shared with its pending handlers so that it can be
// destroyed while they are queued.
class EchoServer {
 public:
  struct Stats {
    size_t received = 0;                      // bytes, over all connections
    std::vector<Clock::time_point> arrivals;  // when each chunk was read
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
          session->state->stats.arrivals.push_back(Clock::now());
          asio::async_write(*session->socket, asio::buffer(session->buffer.data(), n),
                            [session](error_code ec, size_t) {
                              if (!ec) Read(session);
                            });
        });
  }

  std::shared_ptr<State> state_;
};

// A proxy and its echo upstream on an io_context run by a thread of the
// test; the test thread talks to them through OnIo and to the proxy's port
// through Client.
class Rig {
 public:
  explicit Rig(bool upstream_up = true) : work_(io_.get_executor()) {
    uint16_t upstream_port = 0;
    if (upstream_up) {
      echo_ = std::make_unique<EchoServer>(io_);
      upstream_port = echo_->port();
    } else {
      auto port = AllocatePort();  // free, and nothing will listen on it
      REQUIRE(port.ok());
      upstream_port = *port;
    }
    proxy_ = std::make_unique<FaultProxy>(io_, "inventory", upstream_port, /*seed=*/7);
    Status status = proxy_->Listen(0);
    REQUIRE_MESSAGE(status.ok(), status.message());
    port_ = proxy_->port();
    thread_ = std::thread([this] {
      io_.run();
      done_.set_value();
    });
  }

  ~Rig() {
    OnIo([this] {
      proxy_.reset();
      echo_.reset();
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

  void SetFault(std::optional<FaultSpec> fault) {
    OnIo([&] { proxy_->SetFault(fault); });
  }
  ProxyCounters Counters() {
    return OnIo([&] { return proxy_->counters(); });
  }
  EchoServer::Stats EchoStats() {
    return OnIo([&] { return echo_->stats(); });
  }
  // Polls the proxy's counters until `done` holds or `timeout` passes.
  bool WaitFor(const std::function<bool(const ProxyCounters&)>& done, Duration timeout = 2s) {
    auto deadline = Clock::now() + timeout;
    while (!done(Counters())) {
      if (Clock::now() > deadline) return false;
      std::this_thread::sleep_for(2ms);
    }
    return true;
  }

  // Polls until the echo server has received `bytes` in all.
  bool WaitForEcho(size_t bytes, Duration timeout = 2s) {
    auto deadline = Clock::now() + timeout;
    while (EchoStats().received < bytes) {
      if (Clock::now() > deadline) return false;
      std::this_thread::sleep_for(2ms);
    }
    return true;
  }

  uint16_t port() const { return port_; }
  FaultProxy& proxy() { return *proxy_; }
  EchoServer& echo() { return *echo_; }
  void DestroyProxy() { proxy_.reset(); }

 private:
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::unique_ptr<EchoServer> echo_;
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

  const error_code& connect_error() const { return connect_error_; }

  bool Send(std::string_view data, Duration timeout = 5s) {
    auto deadline = Clock::now() + timeout;
    while (!data.empty()) {
      if (!Wait(POLLOUT, deadline)) return false;
      error_code ec;
      size_t n = socket_.write_some(asio::buffer(data.data(), data.size()), ec);
      if (ec && ec != asio::error::would_block) return false;
      data.remove_prefix(n);
    }
    return true;
  }

  // Reads until `n` bytes arrived, the peer closed or failed (*error), or
  // `timeout` passed; returns what arrived.
  std::string Read(size_t n, Duration timeout = 5s, error_code* error = nullptr) {
    auto deadline = Clock::now() + timeout;
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
  bool Silent(Duration timeout) { return !Wait(POLLIN, Clock::now() + timeout); }

  // Sends `data` and reads as many bytes back, both at once.
  std::string Exchange(std::string_view data, Duration timeout = 5s) {
    auto deadline = Clock::now() + timeout;
    const size_t expected = data.size();
    std::string got;
    std::array<char, 65536> buffer;
    while (got.size() < expected && Clock::now() < deadline) {
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

 private:
  bool Wait(short events, Clock::time_point deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    pollfd fd{socket_.native_handle(), events, 0};
    return ::poll(&fd, 1, std::max<int>(0, static_cast<int>(left.count()))) > 0;
  }

  asio::io_context io_;  // never run: the socket is used synchronously
  tcp::socket socket_;
  error_code connect_error_;
};

FaultSpec Fault(FaultSpec::Kind kind) {
  FaultSpec fault;
  fault.kind = kind;
  fault.dependency = "inventory";
  return fault;
}

FaultSpec Latency(Duration latency,
                  FaultSpec::Direction direction = FaultSpec::Direction::kDownstream,
                  Duration jitter = 0s) {
  FaultSpec fault = Fault(FaultSpec::Kind::kLatency);
  fault.latency = latency;
  fault.jitter = jitter;
  fault.direction = direction;
  return fault;
}

Duration Since(Clock::time_point start) { return Clock::now() - start; }

// The round-trip time of one byte, or a huge value when it did not return.
Duration RoundTrip(Client& client) {
  auto start = Clock::now();
  if (client.Exchange("x", 3s) != "x") return 1h;
  return Since(start);
}

bool NoOpenConnections(const ProxyCounters& c) {
  return c.open_client == 0 && c.open_upstream == 0;
}

TEST_CASE("pass-through forwards both ways unchanged and counts bytes") {
  Rig rig;
  Client client(rig.port());
  REQUIRE_FALSE(client.connect_error());
  CHECK(client.Exchange("hello") == "hello");

  std::string big(4 << 20, '\0');
  std::mt19937_64 random(42);
  for (char& c : big) c = static_cast<char>(random());
  std::string back = client.Exchange(big, 10s);
  CHECK(back.size() == big.size());
  CHECK(back == big);

  const uint64_t total = 5 + big.size();
  CHECK(rig.WaitFor(
      [&](const ProxyCounters& c) { return c.bytes_up == total && c.bytes_down == total; }));
  ProxyCounters counters = rig.Counters();
  CHECK(counters.accepted == 1);
  CHECK(counters.open_client == 1);
  CHECK(counters.open_upstream == 1);
  CHECK(counters.bytes_discarded == 0);
  CHECK(counters.upstream_connect_errors == 0);

  // The client's FIN reaches the echo server, which closes; its FIN comes back.
  client.ShutdownSend();
  CHECK(client.ReadEnd() == asio::error::eof);
  CHECK(rig.WaitFor(NoOpenConnections));
}

TEST_CASE("the upstream closing is passed on to the client") {
  Rig rig;
  Client client(rig.port());
  REQUIRE(RoundTrip(client) < 1s);
  rig.OnIo([&] { rig.echo().CloseAll(); });
  CHECK(client.ReadEnd() == asio::error::eof);
  client.Close();
  CHECK(rig.WaitFor(NoOpenConnections));
}

TEST_CASE("latency delays only the chosen direction") {
  Rig rig;
  Client client(rig.port());
  REQUIRE(RoundTrip(client) < 1s);
  const size_t arrivals_before = rig.EchoStats().arrivals.size();

  FaultSpec::Direction direction = FaultSpec::Direction::kDownstream;
  bool delays_up = false, delays_down = true;
  SUBCASE("downstream") {}
  SUBCASE("upstream") {
    direction = FaultSpec::Direction::kUpstream;
    delays_up = true;
    delays_down = false;
  }
  SUBCASE("both") {
    direction = FaultSpec::Direction::kBoth;
    delays_up = true;
  }
  rig.SetFault(Latency(200ms, direction));

  auto sent = Clock::now();
  REQUIRE(client.Exchange("x", 3s) == "x");
  auto received = Clock::now();
  auto stats = rig.EchoStats();
  REQUIRE(stats.arrivals.size() == arrivals_before + 1);
  auto arrived = stats.arrivals.back();

  Duration up = arrived - sent, down = received - arrived;
  INFO("up " << FormatDuration(up) << ", down " << FormatDuration(down));
  if (delays_up) {
    CHECK(up >= 200ms);
  } else {
    CHECK(up < 150ms);
  }
  if (delays_down) {
    CHECK(down >= 200ms);
  } else {
    CHECK(down < 150ms);
  }
  CHECK(received - sent < 1s);
}

TEST_CASE("latency applies to an open connection and ends when cleared") {
  Rig rig;
  Client client(rig.port());
  CHECK(RoundTrip(client) < 150ms);
  rig.SetFault(Latency(200ms));
  Duration slow = RoundTrip(client);
  CHECK(slow >= 200ms);
  CHECK(slow < 1s);
  rig.SetFault(std::nullopt);
  CHECK(RoundTrip(client) < 150ms);
}

TEST_CASE("jitter keeps each delay within latency +/- jitter") {
  Rig rig;
  Client client(rig.port());
  rig.SetFault(Latency(80ms, FaultSpec::Direction::kDownstream, 60ms));
  Duration shortest = 1h, longest = 0s;
  for (int i = 0; i < 12; ++i) {
    Duration rtt = RoundTrip(client);
    CHECK(rtt >= 20ms);
    CHECK(rtt < 140ms + 60ms);  // plus scheduling slack
    shortest = std::min(shortest, rtt);
    longest = std::max(longest, rtt);
  }
  // Uniform over 120ms: twelve samples within 15ms of each other would mean
  // the jitter is not applied.
  CHECK(longest - shortest > 15ms);
}

TEST_CASE("hang discards bytes both ways - keeps connections open and lets new bytes flow after") {
  Rig rig;
  Client before(rig.port());
  REQUIRE(before.Exchange("ping") == "ping");
  const size_t echoed_before = rig.EchoStats().received;

  rig.SetFault(Fault(FaultSpec::Kind::kHang));
  REQUIRE(before.Send("lost"));
  Client during(rig.port());
  REQUIRE_FALSE(during.connect_error());
  REQUIRE(during.Send("gone!"));
  CHECK(rig.WaitFor([](const ProxyCounters& c) {
    return c.accepted == 2 && c.open_upstream == 2 && c.bytes_discarded == 9;
  }));
  // Neither data nor EOF reaches the clients while hung.
  CHECK(before.Silent(300ms));
  CHECK(during.Silent(0ms));
  CHECK(rig.EchoStats().received == echoed_before);

  rig.SetFault(std::nullopt);
  CHECK(before.Exchange("new") == "new");      // not "lostnew"
  CHECK(during.Exchange("again") == "again");  // not "gone!again"
  CHECK(rig.EchoStats().received == echoed_before + 3 + 5);
  CHECK(rig.Counters().bytes_discarded == 9);
}

TEST_CASE("a hang hides the upstream closing - an idle connection sees it when the hang ends") {
  Rig rig;
  Client client(rig.port());
  REQUIRE(RoundTrip(client) < 1s);
  rig.SetFault(Fault(FaultSpec::Kind::kHang));
  rig.OnIo([&] { rig.echo().CloseAll(); });
  // The proxy notices the upstream went away, but the client must not.
  CHECK(rig.WaitFor([](const ProxyCounters& c) { return c.open_upstream == 0; }));
  CHECK(client.Silent(300ms));
  CHECK(rig.Counters().open_client == 1);

  // Nothing was lost on this connection (it was idle, like a pooled
  // keep-alive connection): when the hang ends the client sees the close.
  rig.SetFault(std::nullopt);
  CHECK(client.ReadEnd() == asio::error::eof);
  CHECK(rig.WaitFor(NoOpenConnections));
}

TEST_CASE("a request lost in a hang is never answered - also after the hang ends") {
  Rig rig;
  Client client(rig.port());
  REQUIRE(RoundTrip(client) < 1s);
  rig.SetFault(Fault(FaultSpec::Kind::kHang));
  REQUIRE(client.Send("lost request"));
  CHECK(rig.WaitFor([](const ProxyCounters& c) { return c.bytes_discarded >= 12; }));
  rig.OnIo([&] { rig.echo().CloseAll(); });
  CHECK(rig.WaitFor([](const ProxyCounters& c) { return c.open_upstream == 0; }));

  // After the hang the connection stays open and silent until the client leaves.
  rig.SetFault(std::nullopt);
  REQUIRE(client.Send("anyone?"));
  CHECK(client.Silent(300ms));
  CHECK(rig.Counters().open_client == 1);
  client.Close();
  CHECK(rig.WaitFor(NoOpenConnections));
}

TEST_CASE("a client closing during a hang closes the upstream") {
  Rig rig;
  Client client(rig.port());
  REQUIRE(RoundTrip(client) < 1s);
  rig.SetFault(Fault(FaultSpec::Kind::kHang));
  client.Close();
  CHECK(rig.WaitFor(NoOpenConnections));
  CHECK(rig.OnIo([&] { return rig.echo().stats().open; }) == 0);
}

TEST_CASE("reset sends RST on open and new connections until cleared") {
  Rig rig;
  Client open(rig.port());
  REQUIRE(RoundTrip(open) < 1s);

  rig.SetFault(Fault(FaultSpec::Kind::kReset));
  CHECK(open.ReadEnd() == asio::error::connection_reset);
  Client fresh(rig.port());
  REQUIRE_FALSE(fresh.connect_error());  // the kernel completes the handshake
  CHECK(fresh.ReadEnd() == asio::error::connection_reset);
  CHECK(rig.WaitFor([](const ProxyCounters& c) {
    return c.resets == 2 && c.accepted == 2 && c.open_client == 0 && c.open_upstream == 0;
  }));
  // The upstream side was torn down too.
  CHECK(rig.OnIo([&] { return rig.echo().stats().open; }) == 0);

  rig.SetFault(std::nullopt);
  Client after(rig.port());
  CHECK(RoundTrip(after) < 1s);
}

TEST_CASE("refuse closes the port and resets open connections - clearing listens on the same port") {
  Rig rig;
  const uint16_t port = rig.port();
  Client open(port);
  REQUIRE(RoundTrip(open) < 1s);

  rig.SetFault(Fault(FaultSpec::Kind::kRefuse));
  CHECK(open.ReadEnd() == asio::error::connection_reset);
  Client refused(port);
  CHECK(refused.connect_error() == asio::error::connection_refused);
  CHECK(rig.Counters().resets == 1);

  rig.SetFault(std::nullopt);
  CHECK(rig.OnIo([&] { return rig.proxy().port(); }) == port);
  Client after(port);
  REQUIRE_FALSE(after.connect_error());
  CHECK(after.Exchange("back") == "back");
}

TEST_CASE("switching directly from one fault to another") {
  Rig rig;
  Client client(rig.port());
  REQUIRE(RoundTrip(client) < 1s);

  rig.SetFault(Latency(5s));
  REQUIRE(client.Send("late"));
  // hang drops what latency still held; reset then resets the hung connection.
  rig.SetFault(Fault(FaultSpec::Kind::kHang));
  CHECK(rig.WaitFor([](const ProxyCounters& c) { return c.bytes_discarded == 4; }));
  rig.SetFault(Fault(FaultSpec::Kind::kReset));
  CHECK(client.ReadEnd() == asio::error::connection_reset);

  rig.SetFault(Fault(FaultSpec::Kind::kRefuse));
  CHECK(Client(rig.port()).connect_error() == asio::error::connection_refused);

  rig.SetFault(Latency(100ms, FaultSpec::Direction::kBoth));
  Client slow(rig.port());
  REQUIRE_FALSE(slow.connect_error());
  Duration rtt = RoundTrip(slow);
  CHECK(rtt >= 200ms);
  CHECK(rtt < 1s);

  rig.SetFault(std::nullopt);
  CHECK(RoundTrip(slow) < 150ms);
}

TEST_CASE("latency still queued when cleared is delivered at once - in order") {
  Rig rig;
  Client client(rig.port());
  REQUIRE(RoundTrip(client) < 1s);
  rig.SetFault(Latency(5s));
  REQUIRE(client.Send("abc"));
  REQUIRE(client.Send("def"));
  REQUIRE(rig.WaitForEcho(1 + 6));
  auto cleared = Clock::now();
  rig.SetFault(std::nullopt);
  CHECK(client.Read(6, 2s) == "abcdef");
  CHECK(Since(cleared) < 1s);
}

TEST_CASE("Close and destruction with connections open and delayed data pending") {
  Rig rig;
  Client a(rig.port()), b(rig.port());
  REQUIRE(RoundTrip(a) < 1s);
  REQUIRE(RoundTrip(b) < 1s);
  // A delay far longer than the rig's drain deadline: a timer left behind
  // would keep the io_context busy and fail the rig's teardown check.
  rig.SetFault(Latency(30s));
  REQUIRE(a.Send("pending"));
  REQUIRE(b.Send("pending"));
  // The upstream has answered; the answers wait in the proxy.
  REQUIRE(rig.WaitForEcho(2 + 14));

  SUBCASE("Close, then destroy before the aborted handlers run") {
    ProxyCounters after = rig.OnIo([&] {
      rig.proxy().Close();
      ProxyCounters counters = rig.proxy().counters();
      rig.DestroyProxy();
      return counters;
    });
    CHECK(after.open_client == 0);
    CHECK(after.open_upstream == 0);
  }
  SUBCASE("destroy without Close") {
    rig.OnIo([&] { rig.DestroyProxy(); });
  }
  CHECK(a.ReadEnd() == asio::error::eof);
  CHECK(b.ReadEnd() == asio::error::eof);
}

TEST_CASE("an upstream that is down closes the client and is counted") {
  Rig rig(/*upstream_up=*/false);
  Client client(rig.port());
  REQUIRE_FALSE(client.connect_error());
  CHECK(client.ReadEnd() == asio::error::eof);
  CHECK(rig.WaitFor([](const ProxyCounters& c) {
    return c.upstream_connect_errors == 1 && c.accepted == 1 && c.open_client == 0 &&
           c.open_upstream == 0;
  }));
}

TEST_CASE("Listen names the port when it is taken") {
  Rig rig;
  asio::io_context io;
  FaultProxy second(io, "inventory", 1, 1);
  Status status = second.Listen(rig.port());
  CHECK(status.code() == Status::Code::kUnavailable);
  CHECK(status.message().find("127.0.0.1:" + std::to_string(rig.port())) != std::string::npos);
}

}  // namespace
}  // namespace faultline
