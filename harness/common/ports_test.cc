#include "harness/common/ports.h"

#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <set>

namespace faultline {
namespace {

// A listening socket on 127.0.0.1:port (0 = any), closed on scope exit.
struct Listener {
  int fd = -1;
  uint16_t port = 0;
  explicit Listener(uint16_t want) {
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(want);
    socklen_t len = sizeof addr;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 && ::listen(fd, 1) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
      port = ntohs(addr.sin_port);
  }
  ~Listener() { ::close(fd); }
};

TEST_CASE("allocated ports lie outside the ephemeral range - no outgoing connection can take one") {
  const PortRange eph = EphemeralPorts();
  REQUIRE(AllocationRange(eph).size() > 0);  // true of every stock Linux
  std::set<uint16_t> seen;
  for (int i = 0; i < 200; ++i) {
    auto port = AllocatePort();
    REQUIRE(port.ok());
    CHECK((*port < eph.first || *port > eph.last));
    seen.insert(*port);
    Listener l(*port);  // and it can really be listened on
    CHECK(l.port == *port);
  }
  CHECK(seen.size() == 200);  // no port handed out twice in a row of calls
}

TEST_CASE("the allocation range is the larger room outside the ephemeral range") {
  CHECK(AllocationRange({32768, 60999}).first == 10000);
  CHECK(AllocationRange({32768, 60999}).last == 32767);
  CHECK(AllocationRange({1024, 40000}).first == 40001);
  CHECK(AllocationRange({1024, 40000}).last == 65535);
  CHECK(AllocationRange({1024, 65000}).size() == 0);  // 535 ports: too few, bind(0) instead
  CHECK(AllocationRange({10500, 65535}).size() == 0);
  // A range that ends low leaves the well-known ports below 10000 alone.
  CHECK(AllocationRange({1024, 4999}).first == 10000);
  CHECK(AllocationRange({1024, 4999}).last == 65535);
  CHECK(AllocationRange({500, 600}).first == 10000);
}

TEST_CASE("a port something listens on is skipped") {
  Listener taken(0);
  REQUIRE(taken.port != 0);
  uint32_t cursor = 0;
  const PortRange range{taken.port, static_cast<uint16_t>(taken.port + 50)};
  auto port = AllocatePortIn(range, &cursor);
  REQUIRE(port.ok());
  CHECK(*port != taken.port);
  CHECK(*port > taken.port);
}

TEST_CASE("a range with every port taken is an error naming it") {
  Listener taken(0);
  REQUIRE(taken.port != 0);
  uint32_t cursor = 0;
  auto port = AllocatePortIn({taken.port, taken.port}, &cursor);
  REQUIRE(!port.ok());
  CHECK(port.status().message().find("are all taken") != std::string::npos);
}

TEST_CASE("a bind that fails for another reason than a taken port says why at once") {
  // In a child: with no file descriptor left, every socket() fails (EMFILE).
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    rlimit none{0, 0};
    ::setrlimit(RLIMIT_NOFILE, &none);
    uint32_t cursor = 0;
    auto port = AllocatePortIn({20000, 29999}, &cursor);
    const bool said = !port.ok() && cursor == 1 &&
                      port.status().message().find("Too many open files") != std::string::npos;
    ::_exit(said ? 0 : 1);
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("no room outside the ephemeral range: the kernel's choice") {
  uint32_t cursor = 0;
  auto port = AllocatePortIn({}, &cursor);
  REQUIRE(port.ok());
  CHECK(*port != 0);
}

}  // namespace
}  // namespace faultline
