// Readiness: the TCP, HTTP and log probes, and WaitReady's verdicts.
#include "harness/supervisor/supervisor.h"

#include <doctest/doctest.h>

#include "harness/common/test_http_server.h"
#include "harness/supervisor/supervisor_test_support.h"

namespace faultline {
namespace {

using namespace std::chrono_literals;
using namespace faultline::testing;

TEST_CASE_FIXTURE(SupervisorRig, "TcpProbe is ready only once something listens on the port") {
  REQUIRE(sup.Start(Spec(dir, "target", {"sleep", "30"})).ok());

  // The test plays the target's listener, opened 200 ms into the wait.
  tcp::acceptor acceptor(io);
  uint16_t port = FreePort();
  asio::steady_timer open_later(io, 200ms);
  SteadyClock::time_point opened{};
  open_later.async_wait([&](boost::system::error_code) {
    tcp::endpoint endpoint(asio::ip::address_v4::loopback(), port);
    acceptor.open(endpoint.protocol());
    acceptor.bind(endpoint);
    acceptor.listen();
    opened = SteadyClock::now();
  });

  std::optional<Status> ready;
  SteadyClock::time_point ready_at{};
  sup.WaitReady("target", sup.TcpProbe(port), 5s, [&](Status s) {
    ready = s;
    ready_at = SteadyClock::now();
  });
  REQUIRE(RunUntil(io, [&] { return ready.has_value(); }));
  CHECK_MESSAGE(ready->ok(), ready->message());
  CHECK(opened != SteadyClock::time_point{});
  CHECK(ready_at >= opened);

  bool stopped = false;
  sup.Stop("target", [&] { stopped = true; });
  REQUIRE(RunUntil(io, [&] { return stopped; }));
  CHECK_FALSE(sup.running("target"));
}

TEST_CASE_FIXTURE(SupervisorRig, "HttpProbe waits for the expected status") {
  REQUIRE(sup.Start(Spec(dir, "target", {"sleep", "30"})).ok());
  TestHttpServer server(io, ServerMode::kAnswer);
  server.SetStatus([](int n) { return n > 3 ? 200 : 503; });  // three 503s, then 200

  std::optional<Status> ready =
      AwaitReady(io, sup, "target", sup.HttpProbe(server.port(), "/health", 200), 5s);
  CHECK_MESSAGE(ready->ok(), ready->message());
  CHECK(server.requests == 4);  // three 503s were not taken for ready
  CHECK(server.last_request.starts_with("GET /health HTTP/1.1\r\n"));
}

TEST_CASE_FIXTURE(SupervisorRig,
                  "HttpProbe times out on a server that keeps answering 503 and says so") {
  REQUIRE(sup.Start(Spec(dir, "target", {"sleep", "30"})).ok());
  TestHttpServer server(io, ServerMode::kAnswer, 503);

  std::optional<Status> ready =
      AwaitReady(io, sup, "target", sup.HttpProbe(server.port(), "/ready", 200), 300ms);
  CHECK(ready->code() == Status::Code::kUnavailable);
  CHECK(ready->message() == "\"target\" was not ready after 300ms (http GET 127.0.0.1:" +
                                std::to_string(server.port()) +
                                "/ready for status 200; the last attempt got HTTP 503); its log (" +
                                dir.File("target.log") + ") is empty");
  CHECK(server.requests >= 2);
}

TEST_CASE_FIXTURE(SupervisorRig, "HttpProbe gives up on a server that accepts and never answers") {
  REQUIRE(sup.Start(Spec(dir, "target", {"sleep", "30"})).ok());
  // Listening, never accepting: connects succeed, no reply ever comes.
  tcp::acceptor silent(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
  std::optional<bool> attempt;
  auto start = SteadyClock::now();
  sup.HttpProbe(silent.local_endpoint().port(), "/", 200)([&](bool ready) { attempt = ready; });
  REQUIRE(RunUntil(io, [&] { return attempt.has_value(); }));
  CHECK_FALSE(*attempt);
  CHECK(SteadyClock::now() - start < 3s);  // one attempt's own deadline, not the caller's
}

// A health check slower than one attempt's first deadline (1 s) on a loaded
// machine once could never pass, whatever ready.timeout was.
TEST_CASE_FIXTURE(SupervisorRig, "HttpProbe gives a health check that takes 1.3 s more time") {
  REQUIRE(sup.Start(Spec(dir, "target", {"sleep", "30"})).ok());
  TestHttpServer server(io, ServerMode::kAnswer, 200, 1300ms);
  const auto start = SteadyClock::now();
  std::optional<Status> ready =
      AwaitReady(io, sup, "target", sup.HttpProbe(server.port(), "/healthz", 200), 8s);
  CHECK_MESSAGE(ready->ok(), ready->message());
  CHECK(server.requests >= 2);  // the first attempt gave up after 1 s
  CHECK(SteadyClock::now() - start < 6s);
}

TEST_CASE_FIXTURE(SupervisorRig, "LogProbe is ready when a log line contains the needle") {
  REQUIRE(sup.Start(Shell(dir, "target", "echo starting; sleep 0.2; echo 'now listening on 8080'; exec sleep 30")).ok());
  std::optional<Status> ready = AwaitReady(io, sup, "target", sup.LogProbe("target", "listening"), 5s);
  CHECK_MESSAGE(ready->ok(), ready->message());
  CHECK(ReadAll(dir.File("target.log")).find("now listening on 8080\n") != std::string::npos);
}

TEST_CASE_FIXTURE(SupervisorRig, "WaitReady fails fast when the child exits first") {
  REQUIRE(sup.Start(Shell(dir, "target", "echo 'loading config'; echo 'error: port missing'; exit 1")).ok());
  auto start = SteadyClock::now();
  std::optional<Status> ready = AwaitReady(io, sup, "target", sup.TcpProbe(FreePort()), 10s);
  CHECK(SteadyClock::now() - start < 2s);
  CHECK(ready->code() == Status::Code::kUnavailable);
  CHECK(ready->message() == "\"target\" exited with code 1 before it was ready; last lines of its log (" +
                                dir.File("target.log") + "):\nloading config\nerror: port missing");
}

TEST_CASE_FIXTURE(SupervisorRig, "WaitReady times out naming the probe and the log tail") {
  REQUIRE(sup.Start(Shell(dir, "target", "echo 'warming up'; exec sleep 30")).ok());
  std::optional<Status> logged = AwaitReady(io, sup, "target", sup.LogProbe("target", "warming"), 5s);
  REQUIRE(logged->ok());

  uint16_t port = FreePort();
  auto start = SteadyClock::now();
  std::optional<Status> ready = AwaitReady(io, sup, "target", sup.TcpProbe(port), 300ms);
  CHECK(SteadyClock::now() - start >= 300ms);
  CHECK(ready->message() ==
        "\"target\" was not ready after 300ms (tcp 127.0.0.1:" + std::to_string(port) +
            "; the last attempt got connect: Connection refused); last lines "
            "of its log (" +
            dir.File("target.log") + "):\nwarming up");
  CHECK(sup.running("target"));  // a timeout reports; stopping is the caller's decision
}

TEST_CASE_FIXTURE(SupervisorRig, "WaitReady's explanation follows the probe's result on a timeout only") {
  REQUIRE(sup.Start(Shell(dir, "target", "exec sleep 30")).ok());
  int asked = 0;
  auto explain = [&] {
    ++asked;
    return std::string("it listens elsewhere");
  };
  const uint16_t port = FreePort();
  std::optional<Status> ready;
  sup.WaitReady("target", sup.TcpProbe(port), 200ms, [&](Status s) { ready = s; }, explain);
  REQUIRE(RunUntil(io, [&] { return ready.has_value(); }));
  CHECK(ready->message() == "\"target\" was not ready after 200ms (tcp 127.0.0.1:" +
                                std::to_string(port) +
                                "; the last attempt got connect: Connection refused); it listens "
                                "elsewhere; its log (" + dir.File("target.log") + ") is empty");
  CHECK(asked == 1);

  // Ready, or exited first: not asked.
  tcp::acceptor listening(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
  ready.reset();
  sup.WaitReady("target", sup.TcpProbe(listening.local_endpoint().port()), 5s,
                [&](Status s) { ready = s; }, explain);
  REQUIRE(RunUntil(io, [&] { return ready.has_value(); }));
  CHECK(ready->ok());
  REQUIRE(sup.Start(Shell(dir, "quitter", "exit 2")).ok());
  ready.reset();
  sup.WaitReady("quitter", sup.TcpProbe(port), 5s, [&](Status s) { ready = s; }, explain);
  REQUIRE(RunUntil(io, [&] { return ready.has_value(); }));
  CHECK(ready->message().starts_with("\"quitter\" exited with code 2 before it was ready"));
  CHECK(asked == 1);
}

}  // namespace
}  // namespace faultline
