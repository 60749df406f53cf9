// Black-box tests of attaching to a service faultline did not start: by
// port, pid and pid file; none or two candidates; the attached service dying
// mid-run; setup and teardown commands; a fixed proxy port in use; and the
// attached service surviving the run and faultline's SIGINT, SIGTERM and
// SIGKILL. The test starts the "user's" service itself and ends it itself.
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include <nlohmann/json.hpp>

#include "tests/child_process.h"

using namespace faultline::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

const std::string kFaultline = FAULTLINE_BIN_DIR "/faultline";

bool Has(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

UserProcess OrdersService() {
  return UserProcess({FAULTLINE_BIN_DIR "/orders-service", "--port", "0", "--inventory",
                      "http://127.0.0.1:9", "--mode", "propagate", "--budget", "300ms"});
}

// Two unrelated processes listening on one port (SO_REUSEPORT).
const char* kReusePort = R"(
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen()
print("listening on 127.0.0.1:%d" % s.getsockname()[1], flush=True)
import signal
signal.pause()
)";

// A listening socket held by this test process; port() is its port.
class OwnListener {
 public:
  OwnListener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(::listen(fd_, 1) == 0);
    REQUIRE(::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) == 0);
    port_ = ntohs(a.sin_port);
  }
  ~OwnListener() { ::close(fd_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

// A scenario attached as `attach` (a TOML inline table), load on /healthz,
// two 1 s phases, with `extra` appended; written into `dir`.
std::string Scenario(const TempDir& dir, const std::string& attach, const std::string& extra = "",
                     const std::string& base_url = "") {
  const std::string path = dir.path() + "/attach.toml";
  std::ofstream(path) << "name = \"attach\"\n[target]\nname = \"orders\"\nattach = " << attach
                      << "\n"
                      << (base_url.empty() ? "" : "base_url = \"" + base_url + "\"\n")
                      << "[load]\nrate = 20\npath = \"/healthz\"\ntimeout = \"1s\"\n"
                         "[[phases]]\nname = \"one\"\nduration = \"1s\"\n"
                         "[[phases]]\nname = \"two\"\nduration = \"1s\"\n"
                      << extra;
  return path;
}

ProcessRun Run(const TempDir& dir, const std::string& scenario,
               const std::function<void(pid_t, const std::string&)>& on_output = {}) {
  return RunProcess({kFaultline, "run", scenario, "--out", dir.path() + "/out"}, 60s, on_output);
}

json AttachResults(const TempDir& dir) {
  return json::parse(ReadFile(dir.path() + "/out/results.json"));
}

// The run measured the attached process's own tree and left it running.
void CheckAttached(const TempDir& dir, const ProcessRun& run, const UserProcess& service) {
  INFO(run.err);
  CHECK(run.exit_code == 0);
  const json v = AttachResults(dir)["variants"][0];
  CHECK(v["outcome"] == "pass");
  CHECK(Has(v["events"][0]["message"].get<std::string>(),
            "target \"orders\" is attached: pid " + std::to_string(service.pid()) +
                " (orders-service), "));  // the program, not only a number
  CHECK(v["requests"]["ok"].get<int>() >= 20);
  CHECK(v["logs"].empty());  // no log of a process faultline did not start
  for (const json& e : v["events"]) CHECK_FALSE(Has(e["message"].get<std::string>(), "warning"));
  CHECK(service.alive());
}

}  // namespace

TEST_CASE("attach by port pid and pid file samples the service and leaves it running") {
  BecomeSubreaper();
  UserProcess service = OrdersService();
  REQUIRE(service.port() > 0);
  const std::string url = "http://127.0.0.1:" + std::to_string(service.port());
  SUBCASE("by port") {
    TempDir dir;
    auto run = Run(dir, Scenario(dir, "{ port = " + std::to_string(service.port()) + " }"));
    CheckAttached(dir, run, service);
  }
  SUBCASE("by pid") {
    TempDir dir;
    auto run = Run(dir, Scenario(dir, "{ pid = " + std::to_string(service.pid()) + " }", "", url));
    CheckAttached(dir, run, service);
  }
  SUBCASE("by pid file") {
    TempDir dir;
    std::ofstream(dir.path() + "/orders.pid") << service.pid() << "\n";
    auto run = Run(dir, Scenario(dir, "{ pid_file = \"" + dir.path() + "/orders.pid\" }", "", url));
    CheckAttached(dir, run, service);
  }
}

TEST_CASE("an attached service that does not listen on base_url's port is warned about") {
  BecomeSubreaper();
  UserProcess service = OrdersService();
  REQUIRE(service.port() > 0);
  OwnListener elsewhere;  // this test process: the load goes there, not to the service
  TempDir dir;
  auto run = Run(dir, Scenario(dir, "{ pid = " + std::to_string(service.pid()) + " }", "",
                               "http://127.0.0.1:" + std::to_string(elsewhere.port())));
  const std::string warning = "the attached pid " + std::to_string(service.pid()) +
                              " (orders-service) and its children hold no socket listening on "
                              "127.0.0.1:" + std::to_string(elsewhere.port()) +
                              " of target.base_url, where the load goes, held by pid " +
                              std::to_string(::getpid());
  CHECK(Has(run.out + run.err, "warning: " + warning));
  const json events = AttachResults(dir)["variants"][0]["events"];
  REQUIRE(events.size() >= 2);
  CHECK(Has(events[1]["message"].get<std::string>(), warning));
  CHECK(service.alive());
}

TEST_CASE("exit 3 before any load: nothing or two processes to attach to") {
  BecomeSubreaper();
  TempDir dir;
  SUBCASE("nothing listens") {
    int port = 0;
    {
      OwnListener gone;  // a port that was free a moment ago
      port = gone.port();
    }
    auto run = Run(dir, Scenario(dir, "{ port = " + std::to_string(port) + " }"));
    CHECK(run.exit_code == 3);
    CHECK(Has(run.err, "attach to the process listening on port " + std::to_string(port) +
                           ": no process listens on port " + std::to_string(port)));
    CHECK(AttachResults(dir)["variants"][0]["requests"]["total"] == 0);
  }
  SUBCASE("two unrelated processes listen") {
    UserProcess first({"/usr/bin/env", "python3", "-c", kReusePort, "0"});
    REQUIRE(first.port() > 0);
    UserProcess second({"/usr/bin/env", "python3", "-c", kReusePort, std::to_string(first.port())});
    REQUIRE(second.port() == first.port());
    auto run = Run(dir, Scenario(dir, "{ port = " + std::to_string(first.port()) + " }"));
    CHECK(run.exit_code == 3);
    INFO(run.err);
    CHECK(Has(run.err, "2 processes listen on port " + std::to_string(first.port()) + ": pid "));
    CHECK(Has(run.err, "pid " + std::to_string(first.pid()) + " (python"));
    CHECK(Has(run.err, "pid " + std::to_string(second.pid()) + " (python"));
    CHECK(first.alive());
    CHECK(second.alive());
  }
  SUBCASE("a pid that does not exist") {
    // Linux pids stay below pid_max, at most 2^22: this one cannot exist.
    auto run = Run(dir, Scenario(dir, "{ pid = 4194304 }", "", "http://127.0.0.1:9"));
    CHECK(run.exit_code == 3);
    CHECK(Has(run.err, "attach to pid 4194304: no process 4194304 is visible in /proc"));
  }
  CHECK(WaitGone(Descendants(::getpid()), 5s).empty());
}

TEST_CASE("an attached service that dies mid-run is an event and fails the variant") {
  BecomeSubreaper();
  UserProcess service = OrdersService();
  TempDir dir;
  bool killed = false;
  auto run = Run(dir, Scenario(dir, "{ port = " + std::to_string(service.port()) + " }"),
                 [&](pid_t, const std::string& err) {
                   if (!killed && Has(err, "phase two")) {
                     killed = true;
                     service.End();
                   }
                 });
  INFO(run.err);
  CHECK(run.exit_code == 1);
  const json v = AttachResults(dir)["variants"][0];
  CHECK(v["outcome"] == "fail");
  bool event = false;
  for (const json& e : v["events"]) {
    event = event || e["message"] == "process \"orders\" exited (an attached process: its exit "
                                     "status goes to its own parent) during the run";
  }
  CHECK(event);
}

TEST_CASE("setup failing is exit 3 and teardown always runs") {
  BecomeSubreaper();
  UserProcess service = OrdersService();
  TempDir dir;
  const std::string attach = "{ port = " + std::to_string(service.port()) + " }";
  const std::string torn = dir.path() + "/torn-${variant.name}";
  SUBCASE("a failing setup command") {
    auto run = Run(dir, Scenario(dir, attach,
                                 "[[variants]]\nname = \"v\"\nsetup = [[\"sh\", \"-c\", \"echo no flag; "
                                 "exit 4\"]]\nteardown = [[\"touch\", \"" + torn + "\"]]\n"));
    CHECK(run.exit_code == 3);
    CHECK(Has(run.err, "variant setup: setup-1 (sh -c echo no flag; exit 4) exited with code 4; "
                       "last lines of its log (" + dir.path() + "/out/logs/v/setup-1.log):\nno flag"));
    CHECK(AttachResults(dir)["variants"][0]["requests"]["total"] == 0);
    CHECK(::access((dir.path() + "/torn-v").c_str(), F_OK) == 0);
  }
  SUBCASE("after SIGINT") {
    bool sent = false;
    auto run = Run(dir, Scenario(dir, attach,
                                 "[[variants]]\nname = \"v\"\nsetup = [[\"true\"]]\n"
                                 "teardown = [[\"touch\", \"" + torn + "\"]]\n"),
                   [&](pid_t pid, const std::string& err) {
                     if (!sent && Has(err, "phase one")) {
                       sent = true;
                       ::kill(pid, SIGINT);
                     }
                   });
    CHECK(run.exit_code == 130);
    CHECK(::access((dir.path() + "/torn-v").c_str(), F_OK) == 0);
  }
  CHECK(service.alive());
}

TEST_CASE("the attached service survives faultline's SIGINT SIGTERM and SIGKILL") {
  BecomeSubreaper();
  UserProcess service = OrdersService();
  for (int signo : {SIGINT, SIGTERM, SIGKILL}) {
    CAPTURE(signo);
    TempDir dir;
    bool sent = false;
    auto run = Run(dir, Scenario(dir, "{ port = " + std::to_string(service.port()) + " }"),
                   [&](pid_t pid, const std::string& err) {
                     if (!sent && Has(err, "phase one")) {
                       sent = true;
                       ::kill(pid, signo);
                     }
                   });
    CHECK(sent);
    if (signo == SIGKILL) {
      CHECK(run.signal == SIGKILL);
    } else {
      CHECK(run.exit_code == 130);
    }
    CHECK(service.alive());
    // Nothing of faultline's is left (its watchdog ends when it dies).
    std::set<pid_t> left = Descendants(::getpid());
    left.erase(service.pid());
    CHECK(WaitGone(left, 10s).empty());
  }
  service.End();
}

TEST_CASE("a fixed proxy port in use is exit 3 naming the port and its holder") {
  BecomeSubreaper();
  UserProcess service = OrdersService();
  OwnListener held;
  TempDir dir;
  const std::string port = std::to_string(held.port());
  auto run = Run(dir, Scenario(dir, "{ port = " + std::to_string(service.port()) + " }",
                               "[[dependencies]]\nname = \"inventory\"\naddress = \"127.0.0.1:9\"\n"
                               "proxy = true\nlisten = " + port + "\n"));
  CHECK(run.exit_code == 3);
  INFO(run.err);
  CHECK(Has(run.err, "fault proxy for \"inventory\": proxy inventory: bind 127.0.0.1:" + port));
  CHECK(Has(run.err, ", held by pid " + std::to_string(::getpid()) + " (cli_test) (port " + port +
                         " is fixed by the dependency's listen)"));
  CHECK(service.alive());
}
