#include "harness/load/load_generator.h"

#include <sys/resource.h>

#include <array>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "harness/common/ports.h"

namespace faultline {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;
using boost::system::error_code;

// How the test server treats each request (a request ends at "\r\n\r\n"; the
// generator's requests in these tests carry no body).
enum class Mode {
  kNever,             // read requests, never answer
  kAnswer,            // answer with `status` after `delay`, keep-alive
  kAnswerThenClose,   // answer, then close the idle connection 50 ms later
  kClose,             // close the connection on the request (FIN)
  kResetOnRequest,    // reset the connection on the request (RST)
  kCloseSecond,       // answer a connection's first request, close on its second
  kAnswerNoReuse,     // answer with "Connection: close", leave closing to the client
  kAnswerSplit,       // answer the header, then the body 20 ms later (as cpp-httplib
                      // writes them separately), keep-alive
};

// A small HTTP/1.1-ish server on 127.0.0.1:0, on the test's io_context. It
// counts what a target would notice: connections accepted, requests, and
// connections the client closed.
class TestServer {
 public:
  TestServer(asio::io_context& io, Mode mode, int status = 200, Duration delay = Duration{0},
             size_t body_size = 2)
      : io_(io), acceptor_(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
        mode_(mode), delay_(delay),
        response_("HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Length: " +
                  std::to_string(body_size) +
                  (mode == Mode::kAnswerNoReuse ? "\r\nConnection: close" : "") + "\r\n\r\n" +
                  std::string(body_size, 'x')) {
    Accept();
  }

  uint16_t port() const { return acceptor_.local_endpoint().port(); }
  int accepted = 0;
  int requests = 0;
  int client_closed = 0;  // the client closed (EOF) or reset its end
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

  void Accept() {
    acceptor_.async_accept([this](const error_code& ec, tcp::socket socket) {
      if (ec) return;  // EMFILE in the fd-limit test: stop accepting
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
    switch (mode_) {
      case Mode::kNever:
        return;
      case Mode::kClose:
        Close(conn);
        return;
      case Mode::kResetOnRequest:
        conn->socket.set_option(asio::socket_base::linger(true, 0));
        Close(conn);
        return;
      case Mode::kCloseSecond:
        if (conn->requests > 1) {
          Close(conn);
          return;
        }
        Answer(conn);
        return;
      case Mode::kAnswerSplit:
        AnswerSplit(conn);
        return;
      case Mode::kAnswer:
      case Mode::kAnswerThenClose:
      case Mode::kAnswerNoReuse:
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
    asio::async_write(conn->socket, asio::buffer(response_),
                      [this, conn](const error_code& ec, size_t) {
                        if (ec || conn->closed || mode_ != Mode::kAnswerThenClose) return;
                        conn->timer.expires_after(50ms);
                        conn->timer.async_wait([this, conn](const error_code& ec) {
                          if (!ec && !conn->closed) Close(conn);
                        });
                      });
  }

  void AnswerSplit(const ConnPtr& conn) {
    const size_t head = response_.find("\r\n\r\n") + 4;
    asio::async_write(conn->socket, asio::buffer(response_.data(), head),
                      [this, conn, head](const error_code& ec, size_t) {
                        if (ec || conn->closed) return;
                        conn->timer.expires_after(20ms);
                        conn->timer.async_wait([this, conn, head](const error_code& ec) {
                          if (ec || conn->closed) return;
                          asio::async_write(
                              conn->socket,
                              asio::buffer(response_.data() + head, response_.size() - head),
                              [](const error_code&, size_t) {});
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
  Mode mode_;
  Duration delay_;
  const std::string response_;  // the same for every request
};

// Collects what the sink reports.
struct Tally {
  std::vector<RequestResult> results;
  std::map<Outcome, int> by_outcome;
  LoadGenerator::Sink Sink() {
    return [this](const RequestResult& r) {
      results.push_back(r);
      ++by_outcome[r.outcome];
    };
  }
  int count(Outcome o) const {
    auto it = by_outcome.find(o);
    return it == by_outcome.end() ? 0 : it->second;
  }
  uint64_t total() const { return results.size(); }
};

LoadOptions Options(uint16_t port, Duration timeout = 10s) {
  LoadOptions options;
  options.port = port;
  options.timeout = timeout;
  options.epoch = Clock::now();
  return options;
}

// Runs the loop until `done()` or `limit` has passed; returns done().
template <typename Pred>
bool RunUntil(asio::io_context& io, Pred done, Duration limit) {
  Clock::time_point deadline = Clock::now() + limit;
  while (!done() && Clock::now() < deadline) {
    io.restart();
    io.run_for(5ms);
  }
  return done();
}

void RunFor(asio::io_context& io, Duration d) {
  io.restart();
  io.run_for(d);
}

// Sends at `rate` for `d`, stops, and lets every request end within `drain`.
void Burst(asio::io_context& io, LoadGenerator& gen, double rate, Duration d,
           Duration drain = 2s) {
  gen.SetRate(rate);
  RunFor(io, d);
  gen.Stop();
  REQUIRE(RunUntil(io, [&] { return gen.in_flight() == 0; }, drain));
}

TEST_CASE("outcome names are the results.json spellings") {
  CHECK(std::string(ToString(Outcome::kOk)) == "ok");
  CHECK(std::string(ToString(Outcome::kHttpStatus)) == "http_status");
  CHECK(std::string(ToString(Outcome::kConnectError)) == "connect_error");
  CHECK(std::string(ToString(Outcome::kReset)) == "reset");
  CHECK(std::string(ToString(Outcome::kTimeout)) == "timeout");
  CHECK(std::string(ToString(Outcome::kDropped)) == "dropped");
}

TEST_CASE("open loop: in-flight requests grow at the rate when the server never answers") {
  asio::io_context io;
  TestServer server(io, Mode::kNever);
  Tally tally;
  LoadGenerator gen(io, Options(server.port(), 30s), tally.Sink());
  Clock::time_point t0 = Clock::now();
  gen.SetRate(200);
  // At each check, every request due by then is in flight: about 200 per
  // second elapsed. The bounds use the clock rather than the nominal time, so
  // that a loaded machine overshooting run_until cannot fail the test.
  for (int second = 1; second <= 2; ++second) {
    io.run_until(t0 + std::chrono::seconds(second));
    double before = ToSeconds(Clock::now() - t0);
    io.poll();  // an expiry that became ready during the check runs now
    double after = ToSeconds(Clock::now() - t0);
    CAPTURE(second);
    CHECK(gen.in_flight() >= 200 * second - 2);
    CHECK(gen.in_flight() >= static_cast<uint64_t>(200 * before) - 1);
    CHECK(gen.in_flight() <= static_cast<uint64_t>(200 * after) + 1);
  }
  CHECK(gen.scheduled() == gen.in_flight());
  CHECK(tally.total() == 0);
  CHECK(gen.open_connections() == gen.in_flight());  // no idle connection to reuse
}

TEST_CASE("keep-alive: 1000 req/s for 5 s sends 5000 requests within 2% over few connections") {
  asio::io_context io;
  TestServer server(io, Mode::kAnswer);
  Tally tally;
  LoadGenerator gen(io, Options(server.port()), tally.Sink());
  Clock::time_point t0 = Clock::now();
  gen.SetRate(1000);
  io.run_until(t0 + 5s);
  // 5 s, or a little more on a loaded machine: Stop starts every request due
  // by then, however late the loop is, so the count follows the clock.
  double before_stop = ToSeconds(Clock::now() - t0);
  gen.Stop();
  double after_stop = ToSeconds(Clock::now() - t0);
  REQUIRE(RunUntil(io, [&] { return gen.in_flight() == 0; }, 2s));
  CHECK(gen.scheduled() >= 5000);
  CHECK(tally.count(Outcome::kOk) >= 0.98 * 1000 * before_stop);
  CHECK(tally.count(Outcome::kOk) <= 1000 * after_stop + 1);
  CHECK(tally.total() == gen.scheduled());
  CHECK(tally.count(Outcome::kOk) == static_cast<int>(tally.total()));
  CHECK(server.requests == tally.count(Outcome::kOk));
  // Reuse: a handful of connections normally; stalls of a heavily loaded
  // machine overlap requests and open more, still far fewer than requests.
  CHECK(server.accepted * 3 < tally.count(Outcome::kOk));
  // Stop closed the idle connections.
  CHECK(RunUntil(io, [&] { return server.client_closed == server.accepted; }, 2s));
  CHECK(gen.open_connections() == 0);
}

TEST_CASE("client timeout ends the request as kTimeout and closes its connection") {
  asio::io_context io;
  TestServer server(io, Mode::kNever);
  Tally tally;
  LoadGenerator gen(io, Options(server.port(), 200ms), tally.Sink());
  Burst(io, gen, 20, 300ms);
  REQUIRE(tally.total() >= 5);
  CHECK(tally.count(Outcome::kTimeout) == static_cast<int>(tally.total()));
  for (const RequestResult& r : tally.results) {
    CHECK(r.latency_s >= 0.2);
    CHECK(r.latency_s < 0.4);
    CHECK(r.status == 0);
  }
  CHECK(server.accepted == static_cast<int>(tally.total()));
  // The close is the cancellation signal: the server sees every connection end.
  CHECK(RunUntil(io, [&] { return server.client_closed == server.accepted; }, 2s));
  CHECK(gen.open_connections() == 0);
}

TEST_CASE("max_in_flight: requests beyond the ceiling are dropped and every request is reported once") {
  asio::io_context io;
  TestServer server(io, Mode::kNever);
  Tally tally;
  LoadOptions options = Options(server.port(), 1500ms);
  options.max_in_flight = 10;
  LoadGenerator gen(io, options, tally.Sink());
  Clock::time_point t0 = Clock::now();
  gen.SetRate(100);
  io.run_until(t0 + 1s);
  double before_stop = ToSeconds(Clock::now() - t0);
  gen.Stop();  // starts (or drops) every request due by now
  double after_stop = ToSeconds(Clock::now() - t0);
  CHECK(gen.in_flight() == 10);
  CHECK(gen.scheduled() >= static_cast<uint64_t>(100 * before_stop));
  CHECK(gen.scheduled() <= static_cast<uint64_t>(100 * after_stop) + 1);
  CHECK(tally.count(Outcome::kDropped) == static_cast<int>(gen.scheduled()) - 10);
  for (const RequestResult& r : tally.results) CHECK(r.latency_s == 0);
  REQUIRE(RunUntil(io, [&] { return gen.in_flight() == 0; }, 3s));
  CHECK(tally.count(Outcome::kTimeout) == 10);
  CHECK(tally.total() == gen.scheduled());
  CHECK(server.accepted == 10);
}

TEST_CASE("a port with no listener gives kConnectError") {
  auto port = AllocatePort();
  REQUIRE(port.ok());
  asio::io_context io;
  Tally tally;
  LoadGenerator gen(io, Options(*port), tally.Sink());
  Burst(io, gen, 50, 200ms);
  CHECK(tally.total() >= 5);
  CHECK(tally.count(Outcome::kConnectError) == static_cast<int>(tally.total()));
  CHECK(tally.total() == gen.scheduled());
  CHECK(gen.open_connections() == 0);
}

TEST_CASE("a host that is not an address gives kConnectError without a lookup") {
  asio::io_context io;
  Tally tally;
  LoadOptions options = Options(1);
  options.host = "no-such-host.invalid";
  LoadGenerator gen(io, options, tally.Sink());
  gen.SetRate(100);
  RunFor(io, 50ms);
  gen.Stop();
  CHECK(tally.total() >= 1);
  CHECK(tally.count(Outcome::kConnectError) == static_cast<int>(tally.total()));
}

TEST_CASE("a connection closed or reset on the request gives kReset") {
  Mode mode = Mode::kClose;
  SUBCASE("FIN") { mode = Mode::kClose; }
  SUBCASE("RST") { mode = Mode::kResetOnRequest; }
  asio::io_context io;
  TestServer server(io, mode);
  Tally tally;
  LoadGenerator gen(io, Options(server.port()), tally.Sink());
  Burst(io, gen, 50, 200ms);
  CHECK(tally.total() >= 5);
  CHECK(tally.count(Outcome::kReset) == static_cast<int>(tally.total()));
  // Fresh connections are not retried: one request, one connection.
  CHECK(server.accepted == static_cast<int>(tally.total()));
  CHECK(gen.open_connections() == 0);
}

TEST_CASE("a non-2xx response gives kHttpStatus with its code and 2xx gives kOk") {
  int code = 503;
  Outcome expected = Outcome::kHttpStatus;
  SUBCASE("503") {
    code = 503;
    expected = Outcome::kHttpStatus;
  }
  SUBCASE("404") {
    code = 404;
    expected = Outcome::kHttpStatus;
  }
  SUBCASE("201") {
    code = 201;
    expected = Outcome::kOk;
  }
  asio::io_context io;
  TestServer server(io, Mode::kAnswer, code);
  Tally tally;
  LoadGenerator gen(io, Options(server.port()), tally.Sink());
  Burst(io, gen, 50, 200ms);
  CHECK(tally.total() >= 5);
  CHECK(tally.count(expected) == static_cast<int>(tally.total()));
  for (const RequestResult& r : tally.results) CHECK(r.status == code);
  CHECK(server.requests > server.accepted);  // a status response keeps the connection
}

TEST_CASE("the request carries method - target - Host and the configured headers") {
  asio::io_context io;
  TestServer server(io, Mode::kAnswer);
  Tally tally;
  LoadOptions options = Options(server.port());
  options.target = "/orders?id=7";
  options.headers["X-Test"] = "yes";
  LoadGenerator gen(io, options, tally.Sink());
  gen.SetRate(10);
  REQUIRE(RunUntil(io, [&] { return tally.total() == 1; }, 1s));
  gen.Stop();
  CHECK(tally.count(Outcome::kOk) == 1);
  const std::string& req = server.last_request;
  CHECK(req.rfind("GET /orders?id=7 HTTP/1.1\r\n", 0) == 0);
  CHECK(req.find("\r\nHost: 127.0.0.1:" + std::to_string(server.port()) + "\r\n") !=
        std::string::npos);
  CHECK(req.find("\r\nX-Test: yes\r\n") != std::string::npos);
}

TEST_CASE("a response with Connection: close is not reused") {
  asio::io_context io;
  TestServer server(io, Mode::kAnswerNoReuse);
  Tally tally;
  LoadGenerator gen(io, Options(server.port()), tally.Sink());
  Burst(io, gen, 50, 200ms);
  CHECK(tally.total() >= 5);
  CHECK(tally.count(Outcome::kOk) == static_cast<int>(tally.total()));
  CHECK(server.accepted == static_cast<int>(tally.total()));
  // The client closes each one: the server, which never closes, sees it.
  CHECK(RunUntil(io, [&] { return server.client_closed == server.accepted; }, 2s));
}

TEST_CASE("a large response body is read and discarded and the connection is reused") {
  asio::io_context io;
  TestServer server(io, Mode::kAnswer, 200, Duration{0}, 3 * 1024 * 1024);
  Tally tally;
  LoadGenerator gen(io, Options(server.port()), tally.Sink());
  Burst(io, gen, 20, 200ms, 3s);
  CHECK(tally.total() >= 3);
  CHECK(tally.count(Outcome::kOk) == static_cast<int>(tally.total()));
  CHECK(server.requests > server.accepted);
}

TEST_CASE("a body that arrives after its header in a separate read is ok") {
  asio::io_context io;
  TestServer server(io, Mode::kAnswerSplit, 200, Duration{0}, 64);
  Tally tally;
  LoadGenerator gen(io, Options(server.port()), tally.Sink());
  Burst(io, gen, 50, 200ms, 3s);
  CHECK(tally.total() >= 5);
  CHECK(tally.count(Outcome::kOk) == static_cast<int>(tally.total()));
}

TEST_CASE("latency is measured from the intended start") {
  asio::io_context io;
  TestServer server(io, Mode::kAnswer, 200, 150ms);
  Tally tally;
  LoadOptions options = Options(server.port());
  LoadGenerator gen(io, options, tally.Sink());
  Burst(io, gen, 20, 200ms);
  REQUIRE(tally.total() >= 3);
  CHECK(tally.count(Outcome::kOk) == static_cast<int>(tally.total()));
  double previous = -1;
  for (const RequestResult& r : tally.results) {
    CHECK(r.latency_s >= 0.150);
    CHECK(r.latency_s < 1.0);
    CHECK(r.intended_s >= 0);
    CHECK(r.intended_s > previous);
    previous = r.intended_s;
  }
  // Requests due 50 ms apart, each held 150 ms: they overlap on new connections.
  CHECK(server.accepted >= 3);
}

TEST_CASE("a stalled loop catches up: latency includes the stall") {
  asio::io_context io;
  TestServer server(io, Mode::kAnswer);
  Tally tally;
  LoadGenerator gen(io, Options(server.port()), tally.Sink());
  Clock::time_point t0 = Clock::now();
  gen.SetRate(100);
  // Block the loop for 300 ms: the requests due meanwhile start late, at once.
  asio::post(io, [] {
    Clock::time_point until = Clock::now() + 300ms;
    while (Clock::now() < until) {
    }
  });
  io.run_until(t0 + 500ms);
  gen.Stop();
  double stopped = ToSeconds(Clock::now() - t0);
  REQUIRE(RunUntil(io, [&] { return gen.in_flight() == 0; }, 2s));
  CHECK(gen.scheduled() >= 51);  // due at 0, 10, ..., 500 ms
  CHECK(gen.scheduled() <= static_cast<uint64_t>(100 * stopped) + 1);
  CHECK(tally.count(Outcome::kOk) == static_cast<int>(gen.scheduled()));
  double worst = 0;
  for (const RequestResult& r : tally.results) worst = std::max(worst, r.latency_s);
  CHECK(worst >= 0.25);
}

TEST_CASE("SetRate changes the rate mid-run and SetRate(0) stops and closes idle connections") {
  asio::io_context io;
  TestServer server(io, Mode::kAnswer);
  Tally tally;
  LoadOptions options = Options(server.port());
  LoadGenerator gen(io, options, tally.Sink());
  auto since_epoch = [&] { return ToSeconds(Clock::now() - options.epoch); };
  double started = since_epoch();
  gen.SetRate(100);
  io.run_until(Clock::now() + 1s);
  double changed = since_epoch();
  gen.SetRate(300);
  io.run_until(Clock::now() + 1s);
  REQUIRE(server.accepted >= 1);

  gen.SetRate(0);
  CHECK(RunUntil(io, [&] { return gen.in_flight() == 0 && gen.open_connections() == 0; }, 2s));
  CHECK(RunUntil(io, [&] { return server.client_closed == server.accepted; }, 2s));
  uint64_t stopped_at = gen.scheduled();
  RunFor(io, 200ms);
  CHECK(gen.scheduled() == stopped_at);
  CHECK(tally.total() == gen.scheduled());
  CHECK(tally.count(Outcome::kOk) == static_cast<int>(tally.total()));

  // Every due request was sent and answered, so the rate shows in the
  // intended start times: 0.8 s windows well inside each phase hold 80
  // requests at 100/s and 240 at 300/s. (Windows, not counts at a wall-clock
  // instant, so a loaded machine cannot fail the test.)
  auto count_between = [&](double from, double to) {
    int n = 0;
    for (const RequestResult& r : tally.results) n += r.intended_s >= from && r.intended_s < to;
    return n;
  };
  CHECK(count_between(started + 0.1, started + 0.9) >= 79);
  CHECK(count_between(started + 0.1, started + 0.9) <= 81);
  CHECK(count_between(changed + 0.1, changed + 0.9) >= 238);
  CHECK(count_between(changed + 0.1, changed + 0.9) <= 242);

  // From 0, the first request is due at once.
  double restarted = since_epoch();
  gen.SetRate(10);
  REQUIRE(RunUntil(io, [&] { return tally.total() == stopped_at + 1; }, 2s));
  CHECK(tally.results.back().intended_s >= restarted);
  CHECK(tally.results.back().intended_s < restarted + 0.05);
}

TEST_CASE("a reused connection the server closes on the request is retried once instead of kReset") {
  asio::io_context io;
  TestServer server(io, Mode::kCloseSecond);
  Tally tally;
  LoadGenerator gen(io, Options(server.port()), tally.Sink());
  Burst(io, gen, 20, 400ms);
  REQUIRE(tally.total() >= 5);
  CHECK(tally.count(Outcome::kOk) == static_cast<int>(tally.total()));
  // The server answers only a connection's first request, so each ok came
  // from a new connection; requests sent to a reused one were retried.
  CHECK(server.accepted == static_cast<int>(tally.total()));
  CHECK(server.requests > static_cast<int>(tally.total()));
}

TEST_CASE("an idle connection the server closes leaves the pool") {
  asio::io_context io;
  TestServer server(io, Mode::kAnswerThenClose);
  Tally tally;
  LoadGenerator gen(io, Options(server.port()), tally.Sink());
  gen.SetRate(2);  // due at 0, 500 ms, 1 s
  REQUIRE(RunUntil(io, [&] { return tally.total() == 1; }, 400ms));
  CHECK(gen.open_connections() == 1);
  // The server closes 50 ms after answering, well before the next request.
  CHECK(RunUntil(io, [&] { return gen.open_connections() == 0; }, 300ms));
  REQUIRE(RunUntil(io, [&] { return tally.total() == 3; }, 1500ms));
  gen.Stop();
  CHECK(tally.count(Outcome::kOk) == 3);
  CHECK(server.accepted == 3);
  CHECK(server.requests == 3);
}

TEST_CASE("destroying the generator with requests in flight closes them without reporting") {
  asio::io_context io;
  TestServer server(io, Mode::kNever);
  int reported = 0;
  auto gen = std::make_unique<LoadGenerator>(io, Options(server.port()),
                                             [&](const RequestResult&) { ++reported; });
  gen->SetRate(100);
  REQUIRE(RunUntil(io, [&] { return server.requests >= 5; }, 2s));
  CHECK(gen->in_flight() >= 5);
  gen.reset();
  CHECK(RunUntil(io, [&] { return server.client_closed == server.accepted; }, 2s));
  CHECK(reported == 0);
}

TEST_CASE("Abort abandons in-flight requests without reporting them") {
  asio::io_context io;
  TestServer server(io, Mode::kNever);
  Tally tally;
  LoadGenerator gen(io, Options(server.port(), 100ms), tally.Sink());
  gen.SetRate(100);
  REQUIRE(RunUntil(io, [&] { return server.requests >= 3; }, 2s));
  gen.Abort();
  CHECK(gen.in_flight() == 0);
  CHECK(gen.open_connections() == 0);
  RunFor(io, 200ms);  // past the client timeout: nothing may be reported
  CHECK(tally.total() == 0);
  CHECK(RunUntil(io, [&] { return server.client_closed == server.accepted; }, 2s));
}

// Out of file descriptors (EMFILE), requests end kConnectError; nothing crashes.
TEST_CASE("running out of file descriptors gives kConnectError") {
  asio::io_context io;
  TestServer server(io, Mode::kNever);
  Tally tally;
  LoadGenerator gen(io, Options(server.port()), tally.Sink());

  rlimit saved{};
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &saved) == 0);
  int open_fds = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    ++open_fds;
  }
  rlimit low = saved;
  low.rlim_cur = static_cast<rlim_t>(open_fds + 10);
  REQUIRE(::setrlimit(RLIMIT_NOFILE, &low) == 0);
  struct Restore {
    rlimit limit;
    ~Restore() { ::setrlimit(RLIMIT_NOFILE, &limit); }
  } restore{saved};

  gen.SetRate(200);
  RunFor(io, 200ms);
  gen.Stop();
  CHECK(tally.count(Outcome::kConnectError) > 0);
  CHECK(gen.in_flight() > 0);
  CHECK(gen.in_flight() <= 10);
  CHECK(gen.in_flight() + tally.total() == gen.scheduled());
}

}  // namespace
}  // namespace faultline
