// Which listener a connection to an address reaches.
#include "harness/common/ip_address.h"

#include <doctest/doctest.h>

namespace faultline {
namespace {

TEST_CASE("Reaches says which upstream addresses come back to a listener") {
  auto a = [](const char* text) { return boost::asio::ip::make_address(text); };
  CHECK(Reaches(a("127.0.0.1"), a("127.0.0.1")));
  CHECK(Reaches(a("::ffff:127.0.0.1"), a("127.0.0.1")));  // IPv4-mapped
  CHECK(Reaches(a("127.0.0.1"), a("::ffff:127.0.0.1")));
  CHECK(Reaches(a("0.0.0.0"), a("127.0.0.1")));  // Linux connects 0.0.0.0 to itself
  CHECK(Reaches(a("127.0.0.1"), a("0.0.0.0")));
  CHECK(Reaches(a("::1"), a("::")));  // [::] takes both families
  CHECK(Reaches(a("127.0.0.1"), a("::")));
  CHECK_FALSE(Reaches(a("::1"), a("0.0.0.0")));  // 0.0.0.0 takes IPv4 only
  CHECK_FALSE(Reaches(a("127.0.0.2"), a("127.0.0.1")));
  CHECK_FALSE(Reaches(a("::1"), a("127.0.0.1")));
}

}  // namespace
}  // namespace faultline
