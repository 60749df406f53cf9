#include "harness/common/loopback_url.h"

#include <doctest/doctest.h>

namespace faultline {
namespace {

TEST_CASE("loopback URLs are split into host - port - path") {
  auto a = ParseLoopbackUrl("http://127.0.0.1:8080");
  REQUIRE(a.ok());
  CHECK(a->host == "127.0.0.1");
  CHECK(a->port == 8080);
  CHECK(a->prefix == "");
  CHECK(a->target == "/");
  auto b = ParseLoopbackUrl("http://localhost:81/api/");
  REQUIRE(b.ok());
  CHECK(b->host == "127.0.0.1");
  CHECK(b->prefix == "/api");
  CHECK(b->target == "/api/");
  CHECK(b->authority == "localhost:81");  // a request's Host, as written
  auto c = ParseLoopbackUrl("http://[::1]:9000/debug/pprof/goroutine?debug=1");
  REQUIRE(c.ok());
  CHECK(c->host == "::1");
  CHECK(c->port == 9000);
  CHECK(c->target == "/debug/pprof/goroutine?debug=1");
  CHECK(c->authority == "[::1]:9000");
  auto d = ParseLoopbackUrl("http://127.0.0.2");
  REQUIRE(d.ok());
  CHECK(d->port == 80);
  auto upper = ParseLoopbackUrl("http://LocalHost:82/");  // host names know no case
  REQUIRE(upper.ok());
  CHECK(upper->host == "127.0.0.1");
  auto mapped = ParseLoopbackUrl("http://[::ffff:127.0.0.1]:83/");
  REQUIRE(mapped.ok());
  CHECK(mapped->host == "127.0.0.1");
  CHECK(mapped->authority == "[::ffff:127.0.0.1]:83");
}

TEST_CASE("a URL off this machine or malformed is refused with the reason") {
  for (const auto& [url, message] : std::initializer_list<std::pair<const char*, const char*>>{
           {"http://10.0.0.1:80",
            "host \"10.0.0.1\" is not a loopback address (127.0.0.0/8, ::1 or localhost)"},
           {"http://example.com/",
            "host \"example.com\" is not a loopback address (127.0.0.0/8, ::1 or localhost)"},
           {"http://[::2]:80/",
            "host \"::2\" is not a loopback address (127.0.0.0/8, ::1 or localhost)"},
           {"https://127.0.0.1:1", "must start with http://"},
           {"http://127.0.0.1:99999", "bad port \"99999\""},
           {"http://127.0.0.1:0", "bad port \"0\""},
           {"http://127.0.0.1:", "bad port \"\""},
           {"http://127.0.0.1:8x/", "bad port \"8x\""},
           {"http://[::1/", "unclosed ["},
           {"http://[::1]8080/", "expected ':' after ']'"},
           // Not a valid Host header, and ambiguous: which colon is the port's?
           {"http://::1:8080/", "write an IPv6 address in brackets (http://[::1]:8080/)"},
           {"http://[::1%lo]:8080/", "host \"::1%lo\" has a zone id, which loopback needs not"},
           {"http://[::ffff:10.0.0.1]:80/",
            "host \"::ffff:10.0.0.1\" is not a loopback address (127.0.0.0/8, ::1 or localhost)"}}) {
    CAPTURE(url);
    auto parsed = ParseLoopbackUrl(url);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.status().code() == Status::Code::kInvalid);
    CHECK(parsed.status().message() == message);
  }
}

}  // namespace
}  // namespace faultline
