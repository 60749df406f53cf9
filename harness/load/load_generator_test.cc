// The load generator against a real loopback server: outcomes, connections
// and teardown. The schedule is tested in load_schedule_test.cc.
#include "harness/load/load_generator.h"

#include <sys/resource.h>

#include <filesystem>
#include <memory>
#include <set>
#include <string>

#include <doctest/doctest.h>

#include "harness/common/clock.h"
#include "harness/common/out_of_fds.h"
#include "harness/common/ports.h"
#include "harness/load/load_test_support.h"
#include "harness/common/traceparent.h"

namespace faultline {
namespace {

using namespace std::chrono_literals;
using namespace faultline::testing;

TEST_CASE("outcome names are the results.json spellings") {
  CHECK(std::string(ToString(Outcome::kOk)) == "ok");
  CHECK(std::string(ToString(Outcome::kHttpStatus)) == "http_status");
  CHECK(std::string(ToString(Outcome::kConnectError)) == "connect_error");
  CHECK(std::string(ToString(Outcome::kReset)) == "reset");
  CHECK(std::string(ToString(Outcome::kTimeout)) == "timeout");
  CHECK(std::string(ToString(Outcome::kDropped)) == "dropped");
}

TEST_CASE("client timeout ends the request as kTimeout and closes its connection") {
  LoadRig rig(200ms, ServerMode::kNever);
  auto& [io, clock, server, tally, gen] = rig;
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

TEST_CASE("a port with no listener gives kConnectError") {
  asio::io_context io;
  AsioClock clock(io);
  Tally tally;
  LoadGenerator gen(io, clock, Options(FreePort()), tally.Sink());
  Burst(io, gen, 50, 200ms);
  CHECK(tally.total() >= 5);
  CHECK(tally.count(Outcome::kConnectError) == static_cast<int>(tally.total()));
  CHECK(tally.total() == gen.scheduled());
  CHECK(gen.open_connections() == 0);
}

TEST_CASE("a host that is not an address gives kConnectError without a lookup") {
  asio::io_context io;
  AsioClock clock(io);
  Tally tally;
  LoadOptions options = Options(1);
  options.host = "no-such-host.invalid";
  LoadGenerator gen(io, clock, options, tally.Sink());
  gen.SetRate(100);
  RunFor(io, 50ms);
  gen.Stop();
  CHECK(tally.total() >= 1);
  CHECK(tally.count(Outcome::kConnectError) == static_cast<int>(tally.total()));
}

TEST_CASE("a connection closed or reset on the request gives kReset") {
  ServerMode mode = ServerMode::kClose;
  SUBCASE("FIN") { mode = ServerMode::kClose; }
  SUBCASE("RST") { mode = ServerMode::kResetOnRequest; }
  LoadRig rig(10s, mode);
  auto& [io, clock, server, tally, gen] = rig;
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
  LoadRig rig(10s, ServerMode::kAnswer, code);
  auto& [io, clock, server, tally, gen] = rig;
  Burst(io, gen, 50, 200ms);
  CHECK(tally.total() >= 5);
  CHECK(tally.count(expected) == static_cast<int>(tally.total()));
  for (const RequestResult& r : tally.results) CHECK(r.status == code);
  CHECK(server.requests > server.accepted);  // a status response keeps the connection
}

TEST_CASE("the request carries method - target - Host and the configured headers") {
  ServedLoop loop(ServerMode::kAnswer);
  auto& [io, clock, server, tally] = loop;
  LoadOptions options = Options(server.port());
  options.target = "/orders?id=7";
  options.headers["X-Test"] = "yes";
  LoadGenerator gen(io, clock, options, tally.Sink());
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

TEST_CASE("every request carries its own traceparent and its result the trace id") {
  ServedLoop loop(ServerMode::kAnswer);
  auto& [io, clock, server, tally] = loop;
  LoadOptions options = Options(server.port());
  options.trace_seed = 42;
  LoadGenerator gen(io, clock, options, tally.Sink());
  gen.SetRate(100);
  REQUIRE(RunUntil(io, [&] { return tally.total() >= 3; }, 2s));
  gen.Stop();
  REQUIRE(RunUntil(io, [&] { return gen.in_flight() == 0; }, 2s));
  std::set<std::string> ids;
  for (const RequestResult& r : tally.results) {
    CHECK(TraceIdOf("00-" + r.trace_id + "-0000000000000001-01") == r.trace_id);
    ids.insert(r.trace_id);
  }
  CHECK(ids.size() == tally.total());
  // The last request on the wire is the last one reported (one at a time at this rate).
  const std::string& req = server.last_request;
  const std::string line = "\r\ntraceparent: " + TraceparentFor(42, tally.total() - 1) + "\r\n";
  CHECK(req.find(line) != std::string::npos);
  CHECK(req.rfind("GET / HTTP/1.1\r\ntraceparent: 00-", 0) == 0);
  CHECK(tally.results.back().trace_id == TraceIdFor(42, tally.total() - 1));
}

TEST_CASE("a configured traceparent is sent as given and no trace id is recorded") {
  ServedLoop loop(ServerMode::kAnswer);
  auto& [io, clock, server, tally] = loop;
  LoadOptions options = Options(server.port());
  const std::string given = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
  options.headers["Traceparent"] = given;
  LoadGenerator gen(io, clock, options, tally.Sink());
  gen.SetRate(10);
  REQUIRE(RunUntil(io, [&] { return tally.total() == 1; }, 1s));
  gen.Stop();
  CHECK(tally.results[0].trace_id.empty());
  const std::string& req = server.last_request;
  CHECK(req.find("\r\nTraceparent: " + given + "\r\n") != std::string::npos);
  CHECK(req.find("traceparent") == std::string::npos);
}

TEST_CASE("trace ids are valid - unique per index - and repeat per seed") {
  std::set<std::string> ids;
  for (uint64_t i = 0; i < 1000; ++i) {
    const std::string id = TraceIdFor(7, i);
    REQUIRE(id.size() == 32);
    CHECK(TraceIdOf(TraceparentFor(7, i)) == id);
    ids.insert(id);
  }
  CHECK(ids.size() == 1000);
  CHECK(TraceIdFor(7, 3) == TraceIdFor(7, 3));
  CHECK(TraceIdFor(7, 3) != TraceIdFor(8, 3));
  CHECK(TraceparentFor(7, 3).rfind("00-" + TraceIdFor(7, 3) + "-", 0) == 0);
  CHECK(TraceparentFor(7, 3).size() == 55);
}

TEST_CASE("TraceIdOf rejects malformed traceparent values") {
  const std::string id = "0af7651916cd43dd8448eb211c80319c";
  CHECK(TraceIdOf("00-" + id + "-b7ad6b7169203331-01") == id);
  CHECK(TraceIdOf("01-" + id + "-b7ad6b7169203331-01-extra") == id);  // a later version
  CHECK(TraceIdOf("00-" + id + "-b7ad6b7169203331-01-extra").empty());
  CHECK(TraceIdOf("ff-" + id + "-b7ad6b7169203331-01").empty());
  CHECK(TraceIdOf("00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01").empty());
  CHECK(TraceIdOf("00-00000000000000000000000000000000-b7ad6b7169203331-01").empty());
  CHECK(TraceIdOf("00-" + id + "-0000000000000000-01").empty());  // an all-zero parent id
  CHECK(TraceIdOf("00-" + id + "-b7ad6b716920333-01").empty());
  CHECK(TraceIdOf("").empty());
  CHECK(TraceIdOf("00_" + id + "-b7ad6b7169203331-01").empty());
}

TEST_CASE("a response with Connection: close is not reused") {
  LoadRig rig(10s, ServerMode::kAnswerNoReuse);
  auto& [io, clock, server, tally, gen] = rig;
  Burst(io, gen, 50, 200ms);
  CHECK(tally.total() >= 5);
  CHECK(tally.count(Outcome::kOk) == static_cast<int>(tally.total()));
  CHECK(server.accepted == static_cast<int>(tally.total()));
  // The client closes each one: the server, which never closes, sees it.
  CHECK(RunUntil(io, [&] { return server.client_closed == server.accepted; }, 2s));
}

TEST_CASE("a large response body is read and discarded and the connection is reused") {
  LoadRig rig(10s, ServerMode::kAnswer, 200, Duration{0}, 3 * 1024 * 1024);
  auto& [io, clock, server, tally, gen] = rig;
  // 200 ms apart: each 3 MiB answer is read long before the next request is
  // due, even on a loaded machine, so the next one finds its connection idle.
  Burst(io, gen, 5, 1s, 3s);
  CHECK(tally.total() >= 3);
  CHECK(tally.count(Outcome::kOk) == static_cast<int>(tally.total()));
  CHECK(server.requests > server.accepted);
}

TEST_CASE("a body that arrives after its header in a separate read is ok") {
  LoadRig rig(10s, ServerMode::kAnswerSplit, 200, Duration{0}, 64);
  auto& [io, clock, server, tally, gen] = rig;
  Burst(io, gen, 50, 200ms, 3s);
  CHECK(tally.total() >= 5);
  CHECK(tally.count(Outcome::kOk) == static_cast<int>(tally.total()));
}

TEST_CASE("a reused connection the server closes on the request is retried once instead of kReset") {
  LoadRig rig(10s, ServerMode::kCloseSecond);
  auto& [io, clock, server, tally, gen] = rig;
  Burst(io, gen, 20, 400ms);
  REQUIRE(tally.total() >= 5);
  CHECK(tally.count(Outcome::kOk) == static_cast<int>(tally.total()));
  // The server answers only a connection's first request, so each ok came
  // from a new connection; requests sent to a reused one were retried.
  CHECK(server.accepted == static_cast<int>(tally.total()));
  CHECK(server.requests > static_cast<int>(tally.total()));
  // Each retry is reported as such (results.json counts them): the target
  // got more requests than the schedule, and failed the first attempts.
  int retried = 0;
  for (const RequestResult& r : tally.results) retried += r.retried ? 1 : 0;
  CHECK(retried == server.requests - static_cast<int>(tally.total()));
  CHECK(retried > 0);
}

TEST_CASE("an idle connection the server closes leaves the pool") {
  LoadRig rig(10s, ServerMode::kAnswerThenClose);
  auto& [io, clock, server, tally, gen] = rig;
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
  AsioClock clock(io);
  TestHttpServer server(io, ServerMode::kNever);
  int reported = 0;
  auto gen = std::make_unique<LoadGenerator>(io, clock, Options(server.port()),
                                             [&](const RequestResult&) { ++reported; });
  gen->SetRate(100);
  REQUIRE(RunUntil(io, [&] { return server.requests >= 5; }, 2s));
  CHECK(gen->in_flight() >= 5);
  gen.reset();
  CHECK(RunUntil(io, [&] { return server.client_closed == server.accepted; }, 2s));
  CHECK(reported == 0);
}

TEST_CASE("Abort abandons in-flight requests without reporting them") {
  LoadRig rig(100ms, ServerMode::kNever);
  auto& [io, clock, server, tally, gen] = rig;
  gen.SetRate(100);
  REQUIRE(RunUntil(io, [&] { return server.requests >= 3; }, 2s));
  gen.Abort();
  CHECK(gen.in_flight() == 0);
  CHECK(gen.open_connections() == 0);
  RunFor(io, 200ms);  // past the client timeout: nothing may be reported
  CHECK(tally.total() == 0);
  CHECK(RunUntil(io, [&] { return server.client_closed == server.accepted; }, 2s));
}

// Out of file descriptors (EMFILE), a request that gets no socket was never
// sent: dropped, with no latency or start lag (a connect error once read as
// the target's, at 0.1 ms), and noted for the variant; nothing crashes.
TEST_CASE("a request faultline has no file descriptor for is dropped and noted") {
  LoadRig rig(10s, ServerMode::kNever);
  auto& [io, clock, server, tally, gen] = rig;

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

  const uint64_t noted = OutOfFdsNoted();
  gen.SetRate(200);
  RunFor(io, 200ms);
  gen.Stop();
  CHECK(tally.count(Outcome::kDropped) > 0);
  CHECK(tally.count(Outcome::kConnectError) == 0);
  CHECK(OutOfFdsNoted() - noted == static_cast<uint64_t>(tally.count(Outcome::kDropped)));
  CHECK(gen.in_flight() > 0);
  CHECK(gen.in_flight() <= 10);
  CHECK(gen.in_flight() + tally.total() == gen.scheduled());
}

}  // namespace
}  // namespace faultline
