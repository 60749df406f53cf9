#include "harness/common/loopback_url.h"

#include <cstdlib>

#include "harness/common/asio.h"
#include "harness/common/ip_address.h"
#include "harness/common/text.h"

namespace faultline {

StatusOr<LoopbackUrl> ParseLoopbackUrl(const std::string& url) {
  const std::string scheme = "http://";
  if (url.rfind(scheme, 0) != 0) return Status::Invalid("must start with http://");
  const std::string rest = url.substr(scheme.size());
  const size_t slash = rest.find('/');
  const std::string authority = rest.substr(0, slash);
  LoopbackUrl out;
  out.authority = authority;
  out.target = slash == std::string::npos ? "/" : rest.substr(slash);
  out.prefix = slash == std::string::npos ? "" : rest.substr(slash);
  if (!out.prefix.empty() && out.prefix.back() == '/') out.prefix.pop_back();
  std::string host, port;
  if (!authority.empty() && authority[0] == '[') {
    const size_t close = authority.find(']');
    if (close == std::string::npos) return Status::Invalid("unclosed [");
    host = authority.substr(1, close - 1);
    const std::string after = authority.substr(close + 1);
    if (!after.empty() && after[0] != ':') return Status::Invalid("expected ':' after ']'");
    if (!after.empty()) port = after.substr(1);
  } else {
    // An IPv6 address has colons of its own: "::1:8080" is ambiguous, and
    // a Host header must bracket it.
    if (authority.find(':') != authority.rfind(':')) {
      return Status::Invalid("write an IPv6 address in brackets (http://[::1]:8080/)");
    }
    const size_t colon = authority.rfind(':');
    host = authority.substr(0, colon);
    if (colon != std::string::npos) port = authority.substr(colon + 1);
  }
  if (host.find('%') != std::string::npos) {
    return Status::Invalid("host " + Quote(host) + " has a zone id, which loopback needs not");
  }
  if (EqualsIgnoringCase(host, "localhost")) host = "127.0.0.1";
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(host, ec);
  if (!ec) addr = Unmapped(addr);  // [::ffff:127.0.0.1]
  if (ec || !addr.is_loopback())
    return Status::Invalid("host " + Quote(host) +
                           " is not a loopback address (127.0.0.0/8, ::1 or localhost)");
  out.host = addr.to_string();
  out.port = 80;
  if (!port.empty() || authority.ends_with(":")) {
    char* end = nullptr;
    const long p = std::strtol(port.c_str(), &end, 10);
    if (port.empty() || *end != '\0' || p <= 0 || p > 65535)
      return Status::Invalid("bad port " + Quote(port));
    out.port = static_cast<uint16_t>(p);
  }
  return out;
}

}  // namespace faultline
