#include "harness/common/ip_address.h"

namespace faultline {

std::optional<boost::asio::ip::address> IpAddressOf(const std::string& host) {
  if (host == "localhost") return boost::asio::ip::address_v4::loopback();
  boost::system::error_code ec;
  auto address = boost::asio::ip::make_address(host, ec);
  if (ec) return std::nullopt;
  return address;
}

boost::asio::ip::address Unmapped(const boost::asio::ip::address& a) {
  if (a.is_v6() && a.to_v6().is_v4_mapped()) {
    return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, a.to_v6());
  }
  return a;
}

bool Reaches(const boost::asio::ip::address& to, const boost::asio::ip::address& bound) {
  const boost::asio::ip::address up = Unmapped(to), at = Unmapped(bound);
  if (up == at) return true;
  // Linux connects an unspecified destination to the machine itself.
  const bool local = up.is_loopback() || up.is_unspecified();
  if (at.is_unspecified()) return local && (at.is_v6() || up.is_v4());
  return up.is_unspecified() && at.is_loopback() && up.is_v4() == at.is_v4();
}

}  // namespace faultline
