// Address: a "host:port" address as the control API and the command line
// write it ("127.0.0.1:8474", "localhost:0", "[::1]:6379").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "harness/common/status.h"

namespace faultline {

struct Address {
  std::string host;   // a name or an address, without IPv6 brackets
  uint16_t port = 0;  // 0: any free port (for a listen address)
  bool operator==(const Address&) const = default;
};

/// Parses "host:port" or "[v6]:port"; ":port" means 127.0.0.1:port (for a
/// listen address too: loopback, not every interface). The port is 0..65535.
/// Invalid (naming `text`) otherwise, and for an empty "[]".
StatusOr<Address> ParseAddress(std::string_view text);

/// "host:port", with brackets around an IPv6 address: the inverse of
/// ParseAddress.
std::string ToString(const Address& a);

}  // namespace faultline
