// Finding the process to attach to, on a canned /proc: by port, pid and pid
// file; none, several, a pre-forking server, a socket nobody visible holds.
#include "harness/run/attach.h"

#include <sys/stat.h>

#include <doctest/doctest.h>

#include <fstream>

#include "harness/common/test_temp_dir.h"
#include "harness/sampler/fake_procfs.h"

using namespace faultline;

namespace {

const char* kTcpHeader =
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
    "timeout inode\n";

// A /proc/net/tcp row: local port `port` (hex), state `state` (hex), `inode`.
std::string TcpRow(int sl, const std::string& local, const std::string& state, uint64_t inode) {
  return "   " + std::to_string(sl) + ": " + local + " 00000000:0000 " + state +
         " 00000000:00000000 00:00000000 00000000  1000        0 " + std::to_string(inode) +
         " 1 0000000000000000 100 0 0 10 0\n";
}

// Port 8080 (1F90) listens on 127.0.0.1 as inode 500 and on [::] as 600;
// port 9000 (2328) is only connected, not listening.
FakeProcFs Canned() {
  FakeProcFs fs;
  fs.files["net/tcp"] = std::string(kTcpHeader) + TcpRow(0, "0100007F:1F90", "0A", 500) +
                        TcpRow(1, "0100007F:2328", "01", 501);
  fs.files["net/tcp6"] = std::string(kTcpHeader) +
                         TcpRow(0, "00000000000000000000000000000000:1F90", "0A", 600);
  fs.AddProcess(1, 0, 1, 4000, 0, 0, {});
  fs.files["1/comm"] = "init\n";
  return fs;
}

AttachPlan ByPort(uint16_t port) { return AttachPlan{port, 0, ""}; }

}  // namespace

TEST_CASE("attach by port finds the one process holding the listening socket") {
  FakeProcFs fs = Canned();
  fs.AddProcess(100, 1, 4, 1000, 0, 0, {{3, "socket:[500]"}, {4, "socket:[600]"}});
  fs.files["100/comm"] = "orders-service\n";
  fs.AddProcess(200, 1, 1, 1000, 0, 0, {{3, "socket:[501]"}});
  auto pid = FindAttached(fs, ByPort(8080));
  REQUIRE(pid.ok());
  CHECK(*pid == 100);
  CHECK(DescribePid(fs, 100) == "pid 100 (orders-service)");
}

TEST_CASE("attach by port names every unrelated process listening on it") {
  FakeProcFs fs = Canned();
  fs.AddProcess(123, 1, 1, 1000, 0, 0, {{3, "socket:[500]"}});
  fs.AddProcess(456, 1, 1, 1000, 0, 0, {{3, "socket:[600]"}});
  fs.files["123/comm"] = "orders-service\n";
  fs.files["456/comm"] = "orders-service\n";
  auto pid = FindAttached(fs, ByPort(8080));
  REQUIRE_FALSE(pid.ok());
  CHECK(pid.status().message() ==
        "attach to the process listening on port 8080: 2 processes listen on port 8080: pid 123 "
        "(orders-service), pid 456 (orders-service); attach to one of them by pid");
}

TEST_CASE("attach by port takes the parent of a pre-forking server") {
  FakeProcFs fs = Canned();
  fs.AddProcess(100, 1, 1, 1000, 0, 0, {{3, "socket:[500]"}});
  fs.AddProcess(101, 100, 1, 1000, 0, 0, {{3, "socket:[500]"}});
  fs.AddProcess(102, 101, 1, 1000, 0, 0, {{3, "socket:[500]"}});
  auto pid = FindAttached(fs, ByPort(8080));
  REQUIRE(pid.ok());
  CHECK(*pid == 100);
}

TEST_CASE("attach by port says when nothing listens or no visible process holds the socket") {
  FakeProcFs fs = Canned();
  auto none = FindAttached(fs, ByPort(9000));  // only an ESTABLISHED socket there
  REQUIRE_FALSE(none.ok());
  CHECK(none.status().message() ==
        "attach to the process listening on port 9000: no process listens on port 9000 (looked "
        "in /proc/net/tcp and /proc/net/tcp6)");
  auto hidden = FindAttached(fs, ByPort(8080));
  REQUIRE_FALSE(hidden.ok());
  CHECK(hidden.status().message() ==
        "attach to the process listening on port 8080: a socket listens on port 8080, but no "
        "process visible in this machine's /proc holds it (a process of another user, or one in "
        "a container with its own pid namespace)");
  CHECK(PortHolderText(fs, 8080) == "");
}

TEST_CASE("an attached tree that does not listen on the load's port is warned about") {
  FakeProcFs fs = Canned();
  fs.AddProcess(100, 1, 1, 1000, 0, 0, {{3, "socket:[500]"}});  // a pre-forking server
  fs.AddProcess(101, 100, 1, 1000, 0, 0, {{3, "socket:[500]"}});
  fs.AddProcess(300, 1, 1, 1000, 0, 0, {});  // an app behind a front on 8080
  fs.files["100/comm"] = "nginx\n";
  fs.files["300/comm"] = "python3\n";
  CHECK(LoadPortWarning(fs, 100, "127.0.0.1", 8080) == "");
  CHECK(LoadPortWarning(fs, 101, "127.0.0.1", 8080) == "");  // a worker holds the socket it inherited
  CHECK(LoadPortWarning(fs, 300, "127.0.0.1", 8080) ==
        "the attached pid 300 (python3) and its children hold no socket listening on "
        "127.0.0.1:8080 of target.base_url, where the load goes, held by pid 100 (nginx): what is "
        "measured gets the load only if that process forwards to it");
  CHECK(LoadPortWarning(fs, 300, "127.0.0.1", 9000) ==
        "the attached pid 300 (python3) and its children hold no socket listening on "
        "127.0.0.1:9000 of target.base_url, where the load goes, and nothing listens there");
  FakeProcFs hidden = Canned();
  hidden.AddProcess(300, 1, 1, 1000, 0, 0, {});
  CHECK(LoadPortWarning(hidden, 300, "127.0.0.1", 8080).ends_with(
      ", and no process visible in this machine's /proc holds the socket listening there"));
}

TEST_CASE("the load's address counts as well as its port") {
  FakeProcFs fs;
  // 8081: pid 400 on [::1] only. 8082: pid 400 on [::1], pid 500 on
  // 127.0.0.1. 8083: pid 500 on 0.0.0.0. 8084: pid 500 on [::] (both).
  fs.files["net/tcp"] = std::string(kTcpHeader) + TcpRow(0, "0100007F:1F92", "0A", 702) +
                        TcpRow(1, "00000000:1F93", "0A", 703);
  fs.files["net/tcp6"] =
      std::string(kTcpHeader) + TcpRow(0, "00000000000000000000000001000000:1F91", "0A", 701) +
      TcpRow(1, "00000000000000000000000001000000:1F92", "0A", 704) +
      TcpRow(2, "00000000000000000000000000000000:1F94", "0A", 705);
  fs.AddProcess(1, 0, 1, 4000, 0, 0, {});
  fs.AddProcess(400, 1, 1, 1000, 0, 0, {{3, "socket:[701]"}, {4, "socket:[704]"}});
  fs.AddProcess(500, 1, 1, 1000, 0, 0,
                {{3, "socket:[702]"}, {4, "socket:[703]"}, {5, "socket:[705]"}});
  fs.files["400/comm"] = "server6\n";
  fs.files["500/comm"] = "other\n";
  CHECK(LoadPortWarning(fs, 400, "::1", 8081) == "");
  CHECK(LoadPortWarning(fs, 400, "127.0.0.1", 8081) ==
        "the attached pid 400 (server6) and its children hold no socket listening on "
        "127.0.0.1:8081 of target.base_url, where the load goes: they listen on port 8081 at "
        "::1 only, which target.base_url should name (http://[::1]:8081)");
  // Another process has the load's address on the same port: it gets the load.
  CHECK(LoadPortWarning(fs, 400, "127.0.0.1", 8082).ends_with(
      "held by pid 500 (other): what is measured gets the load only if that process forwards "
      "to it"));
  CHECK(LoadPortWarning(fs, 500, "localhost", 8083) == "");
  CHECK(LoadPortWarning(fs, 500, "::1", 8083).ends_with("at 0.0.0.0 only, which "
                                                        "target.base_url should name "
                                                        "(http://127.0.0.1:8083)"));
  CHECK(LoadPortWarning(fs, 500, "127.0.0.1", 8084) == "");  // [::] takes IPv4 too
  CHECK(LoadPortWarning(fs, 500, "::1", 8084) == "");

  // Readiness probes 127.0.0.1: only a tree that listens elsewhere alone is
  // told where it listens.
  CHECK(ReadyAddressHint(fs, 400, 8081) ==
        "pid 400 (server6) listens on port 8081 at ::1 only, and faultline connects to "
        "127.0.0.1: bind it to 127.0.0.1, or to :: (IPv6 and IPv4)");
  CHECK(ReadyAddressHint(fs, 400, 8082) == "pid 400 (server6) listens on port 8082 at ::1 only, "
                                           "and faultline connects to 127.0.0.1: bind it to "
                                           "127.0.0.1, or to :: (IPv6 and IPv4)");
  CHECK(ReadyAddressHint(fs, 500, 8082) == "");  // it is there: something else is wrong
  CHECK(ReadyAddressHint(fs, 500, 8083) == "");  // 0.0.0.0
  CHECK(ReadyAddressHint(fs, 500, 8084) == "");  // [::]
  CHECK(ReadyAddressHint(fs, 500, 8081) == "");  // not its socket
  CHECK(ReadyAddressHint(fs, 1, 8081).starts_with("pid 1 listens on port 8081 at ::1 only"));
}

TEST_CASE("an attached process whose open files cannot be read is not said to listen nowhere") {
  FakeProcFs fs = Canned();
  fs.AddProcess(100, 1, 1, 1000, 0, 0, {{3, "socket:[500]"}});
  fs.files["100/comm"] = "postgres\n";
  fs.fds_refused.insert(100);  // another user's
  CHECK(LoadPortWarning(fs, 100, "127.0.0.1", 8080) ==
        "faultline cannot tell whether the attached pid 100 (postgres) listens on "
        "127.0.0.1:8080 of target.base_url, where the load goes: it may not read that "
        "process's open files (another user's: run faultline as that user, or as root)");
}

TEST_CASE("attach by pid refuses a missing or exited process") {
  FakeProcFs fs = Canned();
  fs.AddProcess(100, 1, 1, 1000, 0, 0, {});
  CHECK(*FindAttached(fs, AttachPlan{0, 100, ""}) == 100);
  auto missing = FindAttached(fs, AttachPlan{0, 77, ""});
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().message() ==
        "attach to pid 77: no process 77 is visible in /proc (it has exited, or it runs in a "
        "container with its own pid namespace)");
  std::string& stat = fs.files["100/stat"];
  stat.replace(stat.find(") S "), 4, ") Z ");
  fs.files["100/comm"] = "svc\n";
  auto zombie = FindAttached(fs, AttachPlan{0, 100, ""});
  REQUIRE_FALSE(zombie.ok());
  CHECK(zombie.status().message() == "attach to pid 100: pid 100 (svc) has exited (it is a zombie)");
}

TEST_CASE("attach by pid takes a process whose main thread exited while others run") {
  FakeProcFs fs = Canned();
  fs.AddProcess(100, 1, 6, 1000, 0, 0, {});  // pthread_exit in main, 5 threads left
  std::string& stat = fs.files["100/stat"];
  stat.replace(stat.find(") S "), 4, ") Z ");
  CHECK(*FindAttached(fs, AttachPlan{0, 100, ""}) == 100);
}

TEST_CASE("attach by pid refuses a thread and faultline's own ancestors") {
  FakeProcFs fs = Canned();
  fs.AddProcess(100, 1, 1, 1000, 0, 0, {});  // a shell running faultline
  fs.AddProcess(200, 100, 1, 1000, 0, 0, {});  // faultline
  fs.files["self/stat"] = fs.files["200/stat"];
  fs.AddProcess(300, 1, 2, 1000, 0, 0, {});  // the service, and its thread 301
  fs.files["301/stat"] = fs.files["300/stat"];
  fs.files["301/status"] = "Name:\tsvc\nTgid:\t300\nPid:\t301\nPPid:\t1\n";
  fs.files["300/comm"] = "svc\n";
  fs.files["100/comm"] = "bash\n";
  CHECK(*FindAttached(fs, AttachPlan{0, 300, ""}) == 300);
  auto thread = FindAttached(fs, AttachPlan{0, 301, ""});
  REQUIRE_FALSE(thread.ok());
  CHECK(thread.status().message() ==
        "attach to pid 301: 301 is a thread of pid 300 (svc); attach to that process");
  for (pid_t ancestor : {1, 100, 200}) {
    auto own = FindAttached(fs, AttachPlan{0, ancestor, ""});
    REQUIRE_FALSE(own.ok());
    CHECK(own.status().message().find("is faultline itself or one of its ancestors") !=
          std::string::npos);
  }
  CHECK(FindAttached(fs, AttachPlan{0, 100, ""}).status().message() ==
        "attach to pid 100: pid 100 (bash) is faultline itself or one of its ancestors, so its "
        "tree holds faultline; attach to the service's own process");
}

TEST_CASE("attach by pid file reads the pid and names a bad file") {
  FakeProcFs fs = Canned();
  fs.AddProcess(100, 1, 1, 1000, 0, 0, {});
  const std::string dir = faultline::testing::MakeTempDir("attach");
  const std::string good = dir + "/svc.pid", bad = dir + "/bad.pid";
  std::ofstream(good) << "100\n";
  std::ofstream(bad) << "not a pid\n";
  CHECK(*FindAttached(fs, AttachPlan{0, 0, good}) == 100);
  auto garbled = FindAttached(fs, AttachPlan{0, 0, bad});
  REQUIRE_FALSE(garbled.ok());
  CHECK(garbled.status().message() == "attach to the pid in \"" + bad + "\": \"" + bad +
                                          "\" holds \"not a pid\", not a pid");
  const std::string none = dir + "/none.pid";
  auto unreadable = FindAttached(fs, AttachPlan{0, 0, none});
  REQUIRE_FALSE(unreadable.ok());
  CHECK(unreadable.status().message() == "attach to the pid in \"" + none + "\": cannot read \"" +
                                             none + "\": No such file or directory");
  // What is no pid file is refused without being read whole (a folder threw
  // from the stream and skipped the teardown; /dev/zero read until out of
  // memory; a FIFO blocked the run in open; megabytes were quoted whole).
  const std::string fifo = dir + "/fifo.pid", huge = dir + "/huge.pid";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  std::ofstream(huge) << std::string(3000000, '7');
  for (const std::string& path : {dir, std::string("/dev/zero"), fifo}) {
    auto refused = FindAttached(fs, AttachPlan{0, 0, path});
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.status().message() == "attach to the pid in \"" + path + "\": \"" + path +
                                            "\" is not a regular file");
  }
  auto big = FindAttached(fs, AttachPlan{0, 0, huge});
  REQUIRE_FALSE(big.ok());
  CHECK(big.status().message() == "attach to the pid in \"" + huge + "\": \"" + huge +
                                      "\" holds more than 64 bytes, not a pid");
  std::filesystem::remove_all(dir);
}

TEST_CASE("a port's holder is named for a fixed proxy port in use") {
  FakeProcFs fs = Canned();
  fs.AddProcess(321, 1, 1, 1000, 0, 0, {{3, "socket:[600]"}});
  fs.files["321/comm"] = "redis-server\n";
  CHECK(PortHolderText(fs, 8080) == ", held by pid 321 (redis-server)");
}
