#include "harness/run/runner.h"

#include <doctest/doctest.h>

using namespace faultline;

TEST_CASE("base URLs must be loopback and are split into host - port - prefix") {
  auto a = ParseLoopbackUrl("http://127.0.0.1:8080");
  REQUIRE(a.ok());
  CHECK(a->host == "127.0.0.1");
  CHECK(a->port == 8080);
  CHECK(a->prefix == "");
  auto b = ParseLoopbackUrl("http://localhost:81/api/");
  REQUIRE(b.ok());
  CHECK(b->host == "127.0.0.1");
  CHECK(b->prefix == "/api");
  auto c = ParseLoopbackUrl("http://[::1]:9000/x");
  REQUIRE(c.ok());
  CHECK(c->host == "::1");
  CHECK(c->port == 9000);
  CHECK(ParseLoopbackUrl("http://127.0.0.2:1").ok());
}

TEST_CASE("a base URL off this machine is refused with the reason") {
  CHECK(ParseLoopbackUrl("http://10.0.0.1:80").status().message() ==
        "base_url \"http://10.0.0.1:80\": host \"10.0.0.1\" is not a loopback address; "
        "faultline sends load only to 127.0.0.0/8 or ::1");
  CHECK(ParseLoopbackUrl("http://example.com/").status().code() == Status::Code::kInvalid);
  CHECK(ParseLoopbackUrl("https://127.0.0.1:1").status().message() ==
        "base_url \"https://127.0.0.1:1\" must start with http://");
  CHECK(ParseLoopbackUrl("http://127.0.0.1:99999").status().message() ==
        "base_url \"http://127.0.0.1:99999\": bad port \"99999\"");
}
