#include "harness/supervisor/supervisor.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <doctest/doctest.h>

#include "harness/common/ports.h"

namespace faultline {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// A fresh directory for logs, removed at the end of the test.
struct TempDir {
  TempDir() {
    char tmpl[] = "/tmp/faultline-supervisor-XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string File(const std::string& name) const { return path + "/" + name; }
  std::string path;
};

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

ChildSpec Spec(const TempDir& dir, const std::string& name, std::vector<std::string> argv) {
  ChildSpec spec;
  spec.name = name;
  spec.argv = std::move(argv);
  spec.log_path = dir.File(name + ".log");
  return spec;
}

ChildSpec Shell(const TempDir& dir, const std::string& name, const std::string& script) {
  return Spec(dir, name, {"/bin/sh", "-c", script});
}

// Runs the io_context until `done()` or the limit; returns done().
template <typename Pred>
bool RunUntil(asio::io_context& io, Pred done, Duration limit = 5s) {
  auto deadline = Clock::now() + limit;
  while (!done() && Clock::now() < deadline) {
    io.run_for(10ms);
    if (io.stopped()) io.restart();
  }
  return done();
}

// True once `pid` no longer exists or is a zombie (reaping it if it is ours,
// e.g. an orphan reparented to this subreaper process).
bool Gone(pid_t pid) {
  waitpid(pid, nullptr, WNOHANG);
  if (kill(pid, 0) != 0 && errno == ESRCH) return true;
  std::string stat = ReadAll("/proc/" + std::to_string(pid) + "/stat");
  size_t paren = stat.rfind(')');
  return paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] == 'Z';
}

bool WaitGone(pid_t pid, Duration limit = 5s) {
  auto deadline = Clock::now() + limit;
  while (!Gone(pid)) {
    if (Clock::now() >= deadline) return false;
    usleep(10000);  // polling a condition with a deadline
  }
  return true;
}

// Kills (by pid) whatever a failed test left behind.
struct KillOnExit {
  std::vector<pid_t> pids;
  ~KillOnExit() {
    for (pid_t pid : pids) {
      if (pid > 0) {
        kill(pid, SIGKILL);
        waitpid(pid, nullptr, 0);
      }
    }
  }
};

// Reads "key value" from a log once the line is there.
pid_t PidFromLog(const std::string& path, const std::string& key) {
  std::istringstream in(ReadAll(path));
  std::string word;
  while (in >> word) {
    if (word == key && in >> word) return static_cast<pid_t>(std::stol(word));
  }
  return 0;
}

uint16_t FreePort() {
  auto port = AllocatePort();
  REQUIRE(port.ok());
  return *port;
}

TEST_CASE("TcpProbe is ready only once something listens on the port") {
  TempDir dir;
  asio::io_context io;
  Supervisor sup(io, nullptr);
  REQUIRE(sup.Start(Spec(dir, "target", {"sleep", "30"})).ok());

  // The test plays the target's listener, opened 200 ms into the wait.
  tcp::acceptor acceptor(io);
  uint16_t port = FreePort();
  asio::steady_timer open_later(io, 200ms);
  Clock::time_point opened{};
  open_later.async_wait([&](boost::system::error_code) {
    tcp::endpoint endpoint(asio::ip::address_v4::loopback(), port);
    acceptor.open(endpoint.protocol());
    acceptor.bind(endpoint);
    acceptor.listen();
    opened = Clock::now();
  });

  std::optional<Status> ready;
  Clock::time_point ready_at{};
  sup.WaitReady("target", sup.TcpProbe(port), 5s, [&](Status s) {
    ready = s;
    ready_at = Clock::now();
  });
  REQUIRE(RunUntil(io, [&] { return ready.has_value(); }));
  CHECK_MESSAGE(ready->ok(), ready->message());
  CHECK(opened != Clock::time_point{});
  CHECK(ready_at >= opened);

  bool stopped = false;
  sup.Stop("target", [&] { stopped = true; });
  REQUIRE(RunUntil(io, [&] { return stopped; }));
  CHECK_FALSE(sup.running("target"));
}

// Answers every request with 503 for the first `unready` requests, then 200.
struct StatusServer {
  StatusServer(asio::io_context& io, int unready) : acceptor(io), unready(unready) {
    tcp::endpoint endpoint(asio::ip::address_v4::loopback(), 0);
    acceptor.open(endpoint.protocol());
    acceptor.bind(endpoint);
    acceptor.listen();
    Accept();
  }
  uint16_t port() const { return acceptor.local_endpoint().port(); }
  void Accept() {
    acceptor.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
      if (ec) return;
      auto s = std::make_shared<tcp::socket>(std::move(socket));
      auto buf = std::make_shared<asio::streambuf>();
      asio::async_read_until(*s, *buf, "\r\n\r\n", [this, s, buf](boost::system::error_code ec, size_t) {
        if (ec) return;
        std::string head(asio::buffers_begin(buf->data()), asio::buffers_end(buf->data()));
        last_request_line = head.substr(0, head.find("\r\n"));
        ++requests;
        auto reply = std::make_shared<std::string>(
            requests > unready ? "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
                               : "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n");
        asio::async_write(*s, asio::buffer(*reply), [s, reply](boost::system::error_code, size_t) {});
      });
      Accept();
    });
  }
  tcp::acceptor acceptor;
  int unready;
  int requests = 0;
  std::string last_request_line;
};

TEST_CASE("HttpProbe waits for the expected status") {
  TempDir dir;
  asio::io_context io;
  Supervisor sup(io, nullptr);
  REQUIRE(sup.Start(Spec(dir, "target", {"sleep", "30"})).ok());
  StatusServer server(io, 3);

  std::optional<Status> ready;
  sup.WaitReady("target", sup.HttpProbe(server.port(), "/health", 200), 5s,
                [&](Status s) { ready = s; });
  REQUIRE(RunUntil(io, [&] { return ready.has_value(); }));
  CHECK_MESSAGE(ready->ok(), ready->message());
  CHECK(server.requests == 4);  // three 503s were not taken for ready
  CHECK(server.last_request_line == "GET /health HTTP/1.1");
}

TEST_CASE("HttpProbe times out on a server that keeps answering 503") {
  TempDir dir;
  asio::io_context io;
  Supervisor sup(io, nullptr);
  REQUIRE(sup.Start(Spec(dir, "target", {"sleep", "30"})).ok());
  StatusServer server(io, 1000000);

  std::optional<Status> ready;
  sup.WaitReady("target", sup.HttpProbe(server.port(), "/ready", 200), 300ms,
                [&](Status s) { ready = s; });
  REQUIRE(RunUntil(io, [&] { return ready.has_value(); }));
  CHECK(ready->code() == Status::Code::kUnavailable);
  CHECK(ready->message() == "\"target\" was not ready after 300ms (http GET 127.0.0.1:" +
                                std::to_string(server.port()) + "/ready for status 200); its log (" +
                                dir.File("target.log") + ") is empty");
  CHECK(server.requests >= 2);
}

TEST_CASE("HttpProbe gives up on a server that accepts and never answers") {
  TempDir dir;
  asio::io_context io;
  Supervisor sup(io, nullptr);
  REQUIRE(sup.Start(Spec(dir, "target", {"sleep", "30"})).ok());
  // Listening, never accepting: connects succeed, no reply ever comes.
  tcp::acceptor silent(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
  std::optional<bool> attempt;
  auto start = Clock::now();
  sup.HttpProbe(silent.local_endpoint().port(), "/", 200)([&](bool ready) { attempt = ready; });
  REQUIRE(RunUntil(io, [&] { return attempt.has_value(); }));
  CHECK_FALSE(*attempt);
  CHECK(Clock::now() - start < 3s);  // one attempt's own deadline, not the caller's
}

TEST_CASE("LogProbe is ready when a log line contains the needle") {
  TempDir dir;
  asio::io_context io;
  Supervisor sup(io, nullptr);
  REQUIRE(sup.Start(Shell(dir, "target", "echo starting; sleep 0.2; echo 'now listening on 8080'; exec sleep 30")).ok());
  std::optional<Status> ready;
  sup.WaitReady("target", sup.LogProbe("target", "listening"), 5s, [&](Status s) { ready = s; });
  REQUIRE(RunUntil(io, [&] { return ready.has_value(); }));
  CHECK_MESSAGE(ready->ok(), ready->message());
  CHECK(ReadAll(dir.File("target.log")).find("now listening on 8080\n") != std::string::npos);
}

TEST_CASE("Start reports a program that cannot be executed") {
  TempDir dir;
  asio::io_context io;
  Supervisor sup(io, nullptr);
  auto pid = sup.Start(Spec(dir, "inventory", {"faultline-no-such-program"}));
  REQUIRE_FALSE(pid.ok());
  CHECK(pid.status().code() == Status::Code::kUnavailable);
  CHECK(pid.status().message() ==
        "start \"inventory\": cannot execute \"faultline-no-such-program\": No such file or directory");
  CHECK_FALSE(sup.running("inventory"));

  auto denied = sup.Start(Spec(dir, "inventory", {dir.path}));  // a directory
  REQUIRE_FALSE(denied.ok());
  CHECK(denied.status().message() ==
        "start \"inventory\": cannot execute \"" + dir.path + "\": Permission denied");

  auto no_log = sup.Start(Spec(dir, "x", {"sleep", "1"}));
  ChildSpec bad_log = Spec(dir, "x", {"sleep", "1"});
  bad_log.log_path = dir.File("missing/x.log");
  auto log_failure = sup.Start(bad_log);
  REQUIRE(no_log.ok());
  REQUIRE_FALSE(log_failure.ok());  // "x" is running: refused before the log is opened
  CHECK(log_failure.status().message() == "start \"x\": already running (pid " +
                                               std::to_string(*no_log) + ")");
  bad_log.name = "y";
  log_failure = sup.Start(bad_log);
  REQUIRE_FALSE(log_failure.ok());
  CHECK(log_failure.status().message() == "start \"y\": cannot open log file \"" +
                                               bad_log.log_path + "\": No such file or directory");
}

TEST_CASE("An unexpected exit is noticed at once with its code and log") {
  TempDir dir;
  asio::io_context io;
  Supervisor sup(io, nullptr);
  std::vector<ExitInfo> exits;
  sup.OnUnexpectedExit([&](const ExitInfo& info) { exits.push_back(info); });
  auto start = Clock::now();
  auto pid = sup.Start(Shell(dir, "inventory", "echo 'fatal: bad config' >&2; exit 3"));
  REQUIRE(pid.ok());
  REQUIRE(RunUntil(io, [&] { return !exits.empty(); }));
  CHECK(Clock::now() - start < 1s);
  CHECK(exits[0].name == "inventory");
  CHECK(exits[0].pid == *pid);
  CHECK_FALSE(exits[0].signaled);
  CHECK(exits[0].code == 3);
  CHECK(exits[0].Describe() == "exited with code 3");
  CHECK(sup.LogTail("inventory") == "fatal: bad config");
  CHECK_FALSE(sup.running("inventory"));
  CHECK_FALSE(sup.pid("inventory"));
  // Once per exit: nothing more arrives.
  io.run_for(100ms);
  CHECK(exits.size() == 1);
}

TEST_CASE("A child killed by a signal is described with the signal's name") {
  TempDir dir;
  asio::io_context io;
  Supervisor sup(io, nullptr);
  std::optional<ExitInfo> exit;
  sup.OnUnexpectedExit([&](const ExitInfo& info) { exit = info; });
  auto pid = sup.Start(Spec(dir, "target", {"sleep", "30"}));
  REQUIRE(pid.ok());
  REQUIRE(kill(*pid, SIGKILL) == 0);
  REQUIRE(RunUntil(io, [&] { return exit.has_value(); }));
  CHECK(exit->signaled);
  CHECK(exit->code == SIGKILL);
  CHECK(exit->Describe() == "killed by signal 9 (SIGKILL)");
}

TEST_CASE("WaitReady fails fast when the child exits first") {
  TempDir dir;
  asio::io_context io;
  Supervisor sup(io, nullptr);
  REQUIRE(sup.Start(Shell(dir, "target", "echo 'loading config'; echo 'error: port missing'; exit 1")).ok());
  std::optional<Status> ready;
  auto start = Clock::now();
  sup.WaitReady("target", sup.TcpProbe(FreePort()), 10s, [&](Status s) { ready = s; });
  REQUIRE(RunUntil(io, [&] { return ready.has_value(); }));
  CHECK(Clock::now() - start < 2s);
  CHECK(ready->code() == Status::Code::kUnavailable);
  CHECK(ready->message() == "\"target\" exited with code 1 before it was ready; last lines of its log (" +
                                dir.File("target.log") + "):\nloading config\nerror: port missing");
}

TEST_CASE("WaitReady times out naming the probe and the log tail") {
  TempDir dir;
  asio::io_context io;
  Supervisor sup(io, nullptr);
  REQUIRE(sup.Start(Shell(dir, "target", "echo 'warming up'; exec sleep 30")).ok());
  std::optional<Status> logged;
  sup.WaitReady("target", sup.LogProbe("target", "warming"), 5s, [&](Status s) { logged = s; });
  REQUIRE(RunUntil(io, [&] { return logged.has_value(); }));
  REQUIRE(logged->ok());

  uint16_t port = FreePort();
  std::optional<Status> ready;
  auto start = Clock::now();
  sup.WaitReady("target", sup.TcpProbe(port), 300ms, [&](Status s) { ready = s; });
  REQUIRE(RunUntil(io, [&] { return ready.has_value(); }));
  CHECK(Clock::now() - start >= 300ms);
  CHECK(ready->message() == "\"target\" was not ready after 300ms (tcp 127.0.0.1:" +
                                std::to_string(port) + "); last lines of its log (" +
                                dir.File("target.log") + "):\nwarming up");
  CHECK(sup.running("target"));  // a timeout reports; stopping is the caller's decision
}

TEST_CASE("Stop escalates to SIGKILL after the grace period for the whole group") {
  TempDir dir;
  asio::io_context io;
  Supervisor sup(io, nullptr);
  bool unexpected = false;
  sup.OnUnexpectedExit([&](const ExitInfo&) { unexpected = true; });
  ChildSpec spec = Shell(dir, "stubborn", "trap '' TERM; sleep 300 & echo grandchild $!; wait");
  spec.stop_grace = 300ms;
  REQUIRE(sup.Start(spec).ok());
  std::optional<Status> ready;
  sup.WaitReady("stubborn", sup.LogProbe("stubborn", "grandchild"), 5s, [&](Status s) { ready = s; });
  REQUIRE(RunUntil(io, [&] { return ready.has_value(); }));
  REQUIRE(ready->ok());
  pid_t grandchild = PidFromLog(spec.log_path, "grandchild");
  REQUIRE(grandchild > 0);
  KillOnExit cleanup{{grandchild}};

  bool stopped = false;
  auto start = Clock::now();
  sup.Stop("stubborn", [&] { stopped = true; });
  REQUIRE(RunUntil(io, [&] { return stopped; }));
  auto took = Clock::now() - start;
  CHECK(took >= 300ms);  // SIGTERM was ignored
  CHECK(took < 2s);
  CHECK_FALSE(unexpected);
  CHECK_FALSE(sup.running("stubborn"));
  CHECK(WaitGone(grandchild));
}

TEST_CASE("StopAll stops children in reverse start order") {
  TempDir dir;
  asio::io_context io;
  Supervisor sup(io, nullptr);
  const std::string order = dir.File("order");
  for (const std::string name : {"dependency", "target"}) {
    REQUIRE(sup.Start(Shell(dir, name, "trap 'echo " + name + " >> " + order +
                                           "; exit 0' TERM; sleep 300 & echo up; wait")).ok());
  }
  for (const std::string name : {"dependency", "target"}) {
    std::optional<Status> ready;
    sup.WaitReady(name, sup.LogProbe(name, "up"), 5s, [&](Status s) { ready = s; });
    REQUIRE(RunUntil(io, [&] { return ready.has_value(); }));
    REQUIRE(ready->ok());
  }
  bool stopped = false;
  sup.StopAll([&] { stopped = true; });
  REQUIRE(RunUntil(io, [&] { return stopped; }));
  CHECK_FALSE(sup.running("dependency"));
  CHECK_FALSE(sup.running("target"));
  CHECK(ReadAll(order) == "target\ndependency\n");

  // Stopping what has already exited completes at once.
  bool again = false;
  sup.Stop("target", [&] { again = true; });
  REQUIRE(RunUntil(io, [&] { return again; }, 1s));
}

TEST_CASE("The log captures stdout and stderr with the extended environment and an empty stdin") {
  TempDir dir;
  asio::io_context io;
  Supervisor sup(io, nullptr);
  std::optional<ExitInfo> exit;
  sup.OnUnexpectedExit([&](const ExitInfo& info) { exit = info; });
  ChildSpec spec = Shell(dir, "target", "echo out; echo err >&2; echo \"mode=$FAULTLINE_MODE\"; cat; echo end");
  spec.env["FAULTLINE_MODE"] = "propagate";
  REQUIRE(sup.Start(spec).ok());
  REQUIRE(RunUntil(io, [&] { return exit.has_value(); }));
  CHECK(exit->code == 0);
  CHECK(ReadAll(spec.log_path) == "out\nerr\nmode=propagate\nend\n");
  CHECK(sup.log_path("target") == spec.log_path);
  CHECK(sup.LogTail("target", 2) == "mode=propagate\nend");
}

TEST_CASE("Destroying the Supervisor kills and reaps its children") {
  TempDir dir;
  asio::io_context io;
  pid_t pid = 0;
  {
    Supervisor sup(io, nullptr);
    auto started = sup.Start(Spec(dir, "target", {"sleep", "30"}));
    REQUIRE(started.ok());
    pid = *started;
    CHECK(sup.pid("target") == pid);
    CHECK(kill(pid, 0) == 0);
  }
  // Reaped, not a zombie: the pid no longer exists at all.
  CHECK(kill(pid, 0) != 0);
  CHECK(errno == ESRCH);
}

// The guarantee: the harness is SIGKILLed, and still nothing it started
// survives. The grandchild has no PDEATHSIG (fork clears it): only the
// watchdog can kill it.
TEST_CASE("No child outlives a SIGKILLed harness") {
  // Orphans are reparented to this process, so they can be reaped here.
  REQUIRE(prctl(PR_SET_CHILD_SUBREAPER, 1) == 0);
  int report[2];
  REQUIRE(pipe2(report, O_CLOEXEC) == 0);
  TempDir dir;

  pid_t harness = fork();
  REQUIRE(harness >= 0);
  if (harness == 0) {
    // The fake harness: no doctest here, only an exit code.
    close(report[0]);
    alarm(30);  // bounds its life if the test fails to kill it
    auto watchdog = Watchdog::Start();
    if (!watchdog.ok()) _exit(10);
    asio::io_context io;
    Supervisor sup(io, watchdog->get());
    ChildSpec spec = Shell(dir, "target", "sleep 300 & echo grandchild $!; wait");
    auto pid = sup.Start(spec);
    if (!pid.ok()) _exit(11);
    bool ready = false;
    sup.WaitReady("target", sup.LogProbe("target", "grandchild"), 5s, [&](Status s) {
      if (!s.ok()) _exit(12);
      ready = true;
    });
    if (!RunUntil(io, [&] { return ready; })) _exit(13);
    pid_t pids[3] = {(*watchdog)->pid(), *pid, PidFromLog(spec.log_path, "grandchild")};
    if (write(report[1], pids, sizeof pids) != sizeof pids) _exit(14);
    for (;;) pause();
  }
  close(report[1]);
  KillOnExit cleanup{{harness}};
  pid_t pids[3] = {0, 0, 0};
  ssize_t n = read(report[0], pids, sizeof pids);
  close(report[0]);
  REQUIRE(n == sizeof pids);
  const pid_t watchdog = pids[0], child = pids[1], grandchild = pids[2];
  cleanup.pids.insert(cleanup.pids.end(), {watchdog, child, grandchild});
  REQUIRE(grandchild > 0);
  CHECK(kill(child, 0) == 0);
  CHECK(kill(grandchild, 0) == 0);

  REQUIRE(kill(harness, SIGKILL) == 0);
  int status = 0;
  REQUIRE(waitpid(harness, &status, 0) == harness);
  CHECK(WIFSIGNALED(status));
  cleanup.pids[0] = 0;

  CHECK(WaitGone(child));
  CHECK(WaitGone(grandchild));
  CHECK(WaitGone(watchdog));  // its job done, it exits
}

TEST_CASE("The watchdog leaves unregistered groups alone and exits when closed") {
  auto watchdog = Watchdog::Start();
  REQUIRE(watchdog.ok());
  TempDir dir;
  asio::io_context io;
  pid_t watchdog_pid = (*watchdog)->pid();
  CHECK(kill(watchdog_pid, 0) == 0);
  pid_t pid = 0;
  {
    Supervisor sup(io, watchdog->get());
    auto started = sup.Start(Spec(dir, "target", {"sleep", "30"}));
    REQUIRE(started.ok());
    pid = *started;
    bool stopped = false;
    sup.Stop("target", [&] { stopped = true; });
    REQUIRE(RunUntil(io, [&] { return stopped; }));
  }
  auto start = Clock::now();
  watchdog = Status::Unavailable("closed");  // ~Watchdog: closes the socket, reaps
  CHECK(Clock::now() - start < 1s);  // nothing registered: no grace period to wait out
  CHECK(kill(watchdog_pid, 0) != 0);
  CHECK(kill(pid, 0) != 0);
}

}  // namespace
}  // namespace faultline
