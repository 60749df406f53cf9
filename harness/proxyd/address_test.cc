#include "harness/proxyd/address.h"

#include <doctest/doctest.h>

namespace faultline {
namespace {

TEST_CASE("ParseAddress reads host:port and bracketed IPv6") {
  CHECK(*ParseAddress("127.0.0.1:8474") == Address{"127.0.0.1", 8474});
  CHECK(*ParseAddress("localhost:0") == Address{"localhost", 0});
  CHECK(*ParseAddress("[::1]:6379") == Address{"::1", 6379});
  CHECK(*ParseAddress(":26379") == Address{"127.0.0.1", 26379});  // as Go's net.Dial takes it
  CHECK(*ParseAddress(":0") == Address{"127.0.0.1", 0});
  CHECK(ToString(Address{"::1", 6379}) == "[::1]:6379");
  CHECK(ToString(Address{"db.internal", 5432}) == "db.internal:5432");
}

TEST_CASE("ParseAddress names the address and what is wrong with it") {
  struct Case {
    const char* text;
    const char* message;
  };
  const Case cases[] = {
      {"8474", "address \"8474\": expected host:port"},
      {"[]:8474", "address \"[]:8474\": the host is empty"},
      {"localhost:", "address \"localhost:\": expected a port number 0..65535 after the last ':'"},
      {"localhost:70000",
       "address \"localhost:70000\": expected a port number 0..65535 after the last ':'"},
      {"localhost:80x", "address \"localhost:80x\": expected a port number 0..65535 after the "
                        "last ':'"},
      {"::1:80", "address \"::1:80\": write an IPv6 address in brackets: [::1]:port"},
      {"[::1]80", "address \"[::1]80\": expected [ipv6]:port"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.text);
    StatusOr<Address> r = ParseAddress(c.text);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == Status::Code::kInvalid);
    CHECK(r.status().message() == c.message);
  }
}

}  // namespace
}  // namespace faultline
