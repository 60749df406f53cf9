#include "harness/proxyd/address.h"

#include <charconv>

#include "harness/common/text.h"

namespace faultline {

StatusOr<Address> ParseAddress(std::string_view text) {
  auto invalid = [&](const std::string& why) {
    return Status::Invalid("address " + Quote(text) + ": " + why);
  };
  Address out;
  std::string_view port;
  if (text.starts_with('[')) {
    const size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
      return invalid("expected [ipv6]:port");
    out.host = std::string(text.substr(1, close - 1));
    port = text.substr(close + 2);
  } else {
    const size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return invalid("expected host:port");
    out.host = std::string(text.substr(0, colon));
    if (out.host.find(':') != std::string::npos)
      return invalid("write an IPv6 address in brackets: [::1]:port");
    port = text.substr(colon + 1);
    // ":port", as Go's net.Listen and net.Dial take it (Toxiproxy clients
    // send it); faultline means loopback by it, never every interface.
    if (out.host.empty()) out.host = "127.0.0.1";
  }
  if (out.host.empty()) return invalid("the host is empty");
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() || value > 65535)
    return invalid("expected a port number 0..65535 after the last ':'");
  out.port = static_cast<uint16_t>(value);
  return out;
}

std::string ToString(const Address& a) { return JoinHostPort(a.host, a.port); }

}  // namespace faultline
