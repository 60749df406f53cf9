#include "harness/census/go_census.h"

#include <doctest/doctest.h>

namespace faultline {

TEST_CASE("go census reads a debug=1 goroutine profile into groups") {
  const char* profile =
      "goroutine profile: total 9\n"
      "6 @ 0x43a1d6 0x4336d7 0x464f49\n"
      "#\t0x464f48\tinternal/poll.runtime_pollWait+0x88\t/usr/lib/go-1.19/src/runtime/netpoll.go:305\n"
      "#\t0x6a1b2c\tmain.(*inventory).get+0x4c\t/src/targets/orders-go/orders.go:84\n"
      "\n"
      "2 @ 0x43a1d6 0x4336d8\n"
      "# labels: {\"a\":\"b\"}\n"
      "#\t0x464f48\tinternal/poll.runtime_pollWait+0x88\t/usr/lib/go-1.19/src/runtime/netpoll.go:305\n"
      "#\t0x6a1b2c\tmain.(*inventory).get+0x4c\t/src/targets/orders-go/orders.go:84\n"
      "\n"
      "1 @ 0x43a1d6\n"
      "#\t0x4a1\truntime/pprof.writeRuntimeProfile+0xb7\t/usr/lib/go-1.19/src/runtime/pprof/pprof.go:725\n";
  StatusOr<Census> c = ParseGoroutineProfile(profile);
  REQUIRE(c.ok());
  CHECK(c->source == "go");
  CHECK(c->total == 9);
  REQUIRE(c->groups.size() == 2);
  CHECK(c->groups[0].count == 8);  // two groups with the same frames merged
  CHECK(c->groups[0].frames == std::vector<std::string>{"internal/poll.runtime_pollWait (netpoll.go:305)",
                                                        "main.(*inventory).get (orders.go:84)"});
  CHECK(c->groups[1].count == 1);
  CHECK(CountMatching(*c, "main.(*inventory).get") == 8);
}

TEST_CASE("go census reads a frame line with only an address as an unnamed frame") {
  // runtime/pprof's printStackRecord writes "#\t%#x" for a frame it cannot name.
  const char* profile =
      "goroutine profile: total 3\n"
      "3 @ 0x43a1d6 0x4a3d22 0x464f49\n"
      "#\t0x43a1d5\tinternal/poll.runtime_pollWait+0x88\t/usr/lib/go-1.19/src/runtime/"
      "netpoll.go:305\n"
      "#\t0x4a3d22\n"
      "#\t0x6a1b2c\tmain.(*inventory).get+0x4c\t/src/targets/orders-go/orders.go:84\n";
  StatusOr<Census> c = ParseGoroutineProfile(profile);
  REQUIRE(c.ok());
  CHECK(c->total == 3);
  REQUIRE(c->groups.size() == 1);
  CHECK(c->groups[0].frames ==
        std::vector<std::string>{"internal/poll.runtime_pollWait (netpoll.go:305)", "?? (0x4a3d22)",
                                 "main.(*inventory).get (orders.go:84)"});
  // An address is "0x" and hex digits; anything else alone is still unreadable.
  for (const char* bad : {"#\tpoll", "#\t0x", "#\t0x4g"}) {
    CAPTURE(bad);
    StatusOr<Census> b = ParseGoroutineProfile(std::string("1 @ 0x1\n") + bad + "\n");
    REQUIRE_FALSE(b.ok());
    CHECK(b.status().message().starts_with("goroutine profile line 2: expected "));
  }
}

TEST_CASE("go census names the line it cannot read") {
  StatusOr<Census> c = ParseGoroutineProfile("goroutine profile: total 1\n<html>oops</html>\n");
  REQUIRE_FALSE(c.ok());
  CHECK(c.status().message() ==
        "goroutine profile line 2: expected \"COUNT @ ADDRESSES\" or "
        "\"#\\tADDRESS\\tFUNCTION\\tFILE:LINE\", got \"<html>oops</html>\"");
}

TEST_CASE("go census that cannot fetch its profile is partial with the reason") {
  Census c = FetchGoCensus("ftp://127.0.0.1:1/x", std::chrono::milliseconds(200));
  CHECK(c.partial);
  CHECK(c.reason == "goroutine profile ftp://127.0.0.1:1/x: not an http:// URL");
  // Port 1 on loopback: nothing listens there, the connect is refused.
  Census refused = FetchGoCensus("http://127.0.0.1:1/debug/pprof/goroutine?debug=1",
                                 std::chrono::milliseconds(500));
  CHECK(refused.partial);
  CHECK(refused.reason.starts_with("goroutine profile http://127.0.0.1:1/debug/pprof/goroutine?debug=1: "));
  CHECK(refused.groups.empty());
}

}  // namespace faultline
