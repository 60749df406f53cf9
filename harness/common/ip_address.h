// Host text as an address, and which listener a TCP connection to an
// address reaches, for the checks that a proxy would connect to itself and
// that an attached target listens where the load goes.
#pragma once

#include <optional>
#include <string>

#include <boost/asio/ip/address.hpp>

namespace faultline {

/// `host` as an address: an address literal, or "localhost" (127.0.0.1);
/// nullopt for a name. A proxy listens only at an address; an upstream
/// name is resolved per connection.
std::optional<boost::asio::ip::address> IpAddressOf(const std::string& host);

/// `a`, or its IPv4 address when it is IPv4-mapped ("::ffff:127.0.0.1").
boost::asio::ip::address Unmapped(const boost::asio::ip::address& a);

/// Whether a connection to `to` reaches a listener bound to `bound` (the
/// same port assumed): the same address (an IPv4-mapped IPv6 address is
/// its IPv4 one), or a loopback or unspecified address of a family an
/// unspecified listener takes (0.0.0.0 takes IPv4, [::] both).
bool Reaches(const boost::asio::ip::address& to, const boost::asio::ip::address& bound);

}  // namespace faultline
