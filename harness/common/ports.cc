#include "harness/common/ports.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <mutex>
#include <random>

namespace faultline {
namespace {

constexpr uint16_t kLowest = 10000;  // below: well-known and commonly configured ports
constexpr uint32_t kMinRoom = 1000;  // a smaller room is not worth walking
constexpr uint32_t kTries = 256;

// Binds 127.0.0.1:port (0 = the kernel's choice) without SO_REUSEADDR and
// returns the bound port, or 0 with errno set.
uint16_t TryBind(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  socklen_t len = sizeof addr;
  uint16_t bound = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
    bound = ntohs(addr.sin_port);
  int e = errno;
  ::close(fd);
  errno = e;
  return bound;
}

}  // namespace

PortRange EphemeralPorts() {
  std::ifstream in("/proc/sys/net/ipv4/ip_local_port_range");
  unsigned first = 0, last = 0;
  if (in >> first >> last && first >= 1 && first <= last && last <= 65535)
    return {static_cast<uint16_t>(first), static_cast<uint16_t>(last)};
  return {32768, 60999};  // the kernel's default
}

PortRange AllocationRange(PortRange ephemeral) {
  PortRange below{kLowest, static_cast<uint16_t>(ephemeral.first - 1)};
  if (ephemeral.first <= kLowest) below = {};
  PortRange above{};
  if (ephemeral.last < 65535)
    above = {std::max<uint16_t>(static_cast<uint16_t>(ephemeral.last + 1), kLowest), 65535};
  const PortRange& best = below.size() >= above.size() ? below : above;
  return best.size() >= kMinRoom ? best : PortRange{};
}

StatusOr<uint16_t> AllocatePortIn(PortRange range, uint32_t* cursor) {
  const uint32_t tries = std::min<uint32_t>(kTries, range.size());
  for (uint32_t i = 0; i < tries; ++i) {
    const auto port = static_cast<uint16_t>(range.first + (*cursor)++ % range.size());
    if (TryBind(port) == port) return port;
    // Only a port in use is worth passing over; no socket (EMFILE) or no
    // permission fails the same way on every port.
    if (errno != EADDRINUSE)
      return Status::Unavailable("allocate a free port on 127.0.0.1: port " +
                                 std::to_string(port) + ": " + std::strerror(errno));
  }
  if (tries > 0)
    return Status::Unavailable("allocate a free port on 127.0.0.1: the " + std::to_string(tries) +
                               " tried between " + std::to_string(range.first) + " and " +
                               std::to_string(range.last) + " are all taken");
  const uint16_t port = TryBind(0);
  if (port == 0)
    return Status::Unavailable(std::string("allocate a free port on 127.0.0.1: ") +
                               std::strerror(errno));
  return port;
}

StatusOr<uint16_t> AllocatePort() {
  static std::mutex mu;
  static const PortRange range = AllocationRange(EphemeralPorts());
  static uint32_t cursor = std::random_device{}();
  std::lock_guard<std::mutex> lock(mu);
  return AllocatePortIn(range, &cursor);
}

}  // namespace faultline
