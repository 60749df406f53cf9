#include "harness/census/go_census.h"

#include <doctest/doctest.h>

#include <array>
#include <memory>
#include <thread>

#include "harness/common/asio.h"
#include "harness/common/text.h"

namespace faultline {

namespace {

// A profile server on 127.0.0.1:0, on a thread of its own, that answers one
// request: `head` at once, then one byte of `trickle` (then '#'s) every
// `interval` until `for_at_most` has passed since it started, then closes.
// It stops early when the client closes; the destructor stops and joins it
// either way.
class TricklingServer {
 public:
  TricklingServer(std::string head, std::string trickle, std::chrono::milliseconds interval,
                  std::chrono::milliseconds for_at_most)
      : head_(std::move(head)),
        trickle_(std::move(trickle)),
        interval_(interval),
        until_(std::chrono::steady_clock::now() + for_at_most) {
    acceptor_.async_accept([this](const boost::system::error_code& ec, tcp::socket socket) {
      if (ec) return;
      socket_ = std::make_unique<tcp::socket>(std::move(socket));
      ReadRequest();
    });
    port_ = acceptor_.local_endpoint().port();  // before the thread shares the acceptor
    thread_ = std::thread([this] { io_.run(); });
  }
  ~TricklingServer() {
    io_.stop();
    thread_.join();
  }
  uint16_t port() const { return port_; }

 private:
  void ReadRequest() {
    socket_->async_read_some(
        asio::buffer(in_), [this](const boost::system::error_code& ec, size_t n) {
          if (ec) return;
          request_.append(in_.data(), n);
          if (request_.find("\r\n\r\n") == std::string::npos) return ReadRequest();
          asio::async_write(*socket_, asio::buffer(head_),
                            [this](const boost::system::error_code& ec, size_t) {
                              if (!ec) Trickle();
                            });
        });
  }
  void Trickle() {
    if (std::chrono::steady_clock::now() >= until_) return socket_->close();
    timer_.expires_after(interval_);
    timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      const char* next = sent_ < trickle_.size() ? &trickle_[sent_++] : "#";
      asio::async_write(*socket_, asio::buffer(next, 1),
                        [this](const boost::system::error_code& ec, size_t) {
                          if (!ec) Trickle();  // an error: the client closed
                        });
    });
  }

  asio::io_context io_;
  tcp::acceptor acceptor_{io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)};
  asio::steady_timer timer_{io_};
  std::unique_ptr<tcp::socket> socket_;
  std::array<char, 1024> in_{};
  std::string request_;
  std::string head_;
  std::string trickle_;
  size_t sent_ = 0;  // bytes of trickle_ written
  std::chrono::milliseconds interval_;
  std::chrono::steady_clock::time_point until_;
  uint16_t port_ = 0;
  std::thread thread_;
};

}  // namespace

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

TEST_CASE("go census refuses bad counts and a body that is not a profile") {
  for (const char* bad : {"goroutine profile: total 1\n-5 @ 0x1\n#\t0x1\tf+0x1\tf.go:1\n",
                          "goroutine profile: total 1\n99999999999999999999 @ 0x1\n"
                          "#\t0x1\tf+0x1\tf.go:1\n",
                          "goroutine profile: total 1\n+1 @ 0x1\n#\t0x1\tf+0x1\tf.go:1\n"}) {
    CAPTURE(bad);
    StatusOr<Census> c = ParseGoroutineProfile(bad);
    REQUIRE_FALSE(c.ok());
    CHECK(c.status().message().starts_with("goroutine profile line 2: expected "));
  }
  StatusOr<Census> overflow = ParseGoroutineProfile(
      "goroutine profile: total 1\n18446744073709551615 @ 0x1\n#\t0x1\tf+0x1\tf.go:1\n"
      "\n1 @ 0x2\n#\t0x2\tg+0x1\tg.go:1\n");
  REQUIRE_FALSE(overflow.ok());
  CHECK(overflow.status().message() == "goroutine counts add up to more than 2^64");
  for (const char* not_a_profile : {"", "\n", "1 @ 0x1\n#\t0x1\tf+0x1\tf.go:1\n"}) {
    CAPTURE(not_a_profile);
    StatusOr<Census> c = ParseGoroutineProfile(not_a_profile);
    REQUIRE_FALSE(c.ok());
    CHECK(c.status().message() ==
          "no \"goroutine profile: total N\" line: not a debug=1 goroutine profile");
  }
  StatusOr<Census> bad_total = ParseGoroutineProfile("goroutine profile: total -3\n");
  REQUIRE_FALSE(bad_total.ok());
  CHECK(bad_total.status().message() ==
        "goroutine profile line 1: bad total \"goroutine profile: total -3\"");
}

// The next two were found by tests/fuzz/go_profile_fuzz.cc; the reproducers
// are in tests/fuzz/corpus/go_profile/crash-*.
TEST_CASE("go census refuses a frame line whose function is empty") {
  // Go writes a frame it cannot name as its address alone; a line with a
  // function field always has a name in it. It read as the frame " (main.go:40)".
  for (const char* bad : {"#\t0x1\t+0x88\t/src/main.go:40", "#\t0x1\t+0x88"}) {
    CAPTURE(bad);
    const std::string profile = std::string("goroutine profile: total 1\n1 @ 0x1\n") + bad + "\n";
    StatusOr<Census> c = ParseGoroutineProfile(profile);
    REQUIRE_FALSE(c.ok());
    CHECK(c.status().message() ==
          "goroutine profile line 3: expected \"COUNT @ ADDRESSES\" or "
          "\"#\\tADDRESS\\tFUNCTION\\tFILE:LINE\", got " +
              Quote(bad));
  }
}

TEST_CASE("go census escapes the control bytes of a profile and cuts stacks past 256 frames") {
  // The profile is the target's text; it is printed one frame a line.
  StatusOr<Census> escaped = ParseGoroutineProfile(
      "goroutine profile: total 1\n1 @ 0x1\n#\t0x1\tmain.\x1b[2Jwipe+0x1\t/src/a\rb.go:3\n");
  REQUIRE(escaped.ok());
  REQUIRE(escaped->groups.size() == 1);
  CHECK(escaped->groups[0].frames == std::vector<std::string>{"main.\\x1b[2Jwipe (a\\x0db.go:3)"});
  StatusOr<Census> bad = ParseGoroutineProfile("goroutine profile: total 1\n\x1b[2J\n");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message().ends_with("got \"\\x1b[2J\""));

  std::string deep = "goroutine profile: total 3\n2 @ 0x1\n";
  for (int i = 0; i < 300; ++i) deep += "#\t0x1\tf" + std::to_string(i) + "+0x1\tf.go:1\n";
  deep += "\n1 @ 0x2\n#\t0x2\tg+0x1\tg.go:1\n";
  StatusOr<Census> cut = ParseGoroutineProfile(deep);
  REQUIRE(cut.ok());
  REQUIRE(cut->groups.size() == 2);
  CHECK(cut->total == 3);
  CHECK(cut->groups[0].frames.size() == 256);
  CHECK(cut->groups[0].frames.back() == "f255 (f.go:1)");
  CHECK(cut->groups[1].frames == std::vector<std::string>{"g (g.go:1)"});
  CHECK(cut->partial);
  CHECK(cut->reason == "1 stacks were cut at 256 frames (their outer frames are missing)");
}

TEST_CASE("go census refuses counts past 2^64 in groups of the same stack") {
  // Identical stacks are merged by adding their counts: 2^64 - 1 and 1 of
  // the same stack wrapped to a group of 0 goroutines and a complete census.
  for (const char* profile :
       {"goroutine profile: total 0\n18446744073709551615 @ 0x1\n#\t0x1\tf+0x1\tf.go:1\n"
        "\n1 @ 0x1\n#\t0x1\tf+0x1\tf.go:1\n",
        "goroutine profile: total 9\n4 @ \n18446744073709551615 @ "}) {
    CAPTURE(profile);
    StatusOr<Census> c = ParseGoroutineProfile(profile);
    REQUIRE_FALSE(c.ok());
    CHECK(c.status().message() == "goroutine counts add up to more than 2^64");
  }
}

TEST_CASE("go census of a profile cut short is partial and says so") {
  const std::string whole =
      "goroutine profile: total 905\n900 @ 0x1\n#\t0x1\tmain.(*service).callInventory+0x1\t"
      "/src/main.go:40\n\n5 @ 0x2\n#\t0x2\tmain.idle+0x1\t/src/main.go:9\n";
  StatusOr<Census> ok = ParseGoroutineProfile(whole);
  REQUIRE(ok.ok());
  CHECK_FALSE(ok->partial);
  // The last group lost: fewer goroutines than the total.
  StatusOr<Census> groups_lost = ParseGoroutineProfile(whole.substr(0, whole.find("\n\n") + 1));
  REQUIRE(groups_lost.ok());
  CHECK(groups_lost->partial);
  CHECK(groups_lost->total == 900);
  CHECK(groups_lost->reason == "cut short: it says total 905, its stacks hold 900");
  // Cut inside the last frame's line: the counts add up, the line has no end.
  StatusOr<Census> mid_line = ParseGoroutineProfile(whole.substr(0, whole.size() - 8));
  REQUIRE(mid_line.ok());
  CHECK(mid_line->partial);
  CHECK(mid_line->reason ==
        "cut short: it says total 905, its stacks hold 905 and its last line has no end");
}

TEST_CASE("go census that cannot fetch its profile is partial with the reason") {
  Census c = FetchGoCensus("ftp://127.0.0.1:1/x", std::chrono::milliseconds(200));
  CHECK(c.partial);
  CHECK(c.reason == "goroutine profile ftp://127.0.0.1:1/x: must start with http://");
  // Port 1 on loopback: nothing listens there, the connect is refused.
  Census refused = FetchGoCensus("http://127.0.0.1:1/debug/pprof/goroutine?debug=1",
                                 std::chrono::milliseconds(500));
  CHECK(refused.partial);
  CHECK(refused.reason.starts_with("goroutine profile http://127.0.0.1:1/debug/pprof/goroutine?debug=1: "));
  CHECK(refused.groups.empty());
}

TEST_CASE("go census timeout bounds the whole fetch of a profile that trickles in") {
  // Each read gets a byte well within the timeout; only the whole fetch is
  // too slow. The server gives up on its own after 4 s, so without the bound
  // the test still ends.
  const std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n";
  struct Case {
    std::string name;
    std::string head;
    std::string trickle;
  };
  for (const Case& c : {Case{"the body trickles", head, "goroutine profile: total 1\n"},
                        Case{"the response head trickles", "", head}}) {
    CAPTURE(c.name);
    TricklingServer server(c.head, c.trickle, std::chrono::milliseconds(50),
                           std::chrono::seconds(4));
    std::string url =
        "http://127.0.0.1:" + std::to_string(server.port()) + "/debug/pprof/goroutine?debug=1";
    auto t0 = std::chrono::steady_clock::now();
    Census census = FetchGoCensus(url, std::chrono::milliseconds(300));
    double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    CHECK(census.partial);
    CHECK(census.reason ==
          "goroutine profile " + url + ": timed out after 300ms (target.census.timeout)");
    CHECK(census.groups.empty());
    CHECK(elapsed >= 0.29);
    CHECK(elapsed < 1.5);
    CHECK(census.pause_s < 1.5);
  }
}

TEST_CASE("go census fetches a profile from localhost and refuses other hosts") {
  const std::string profile =
      "goroutine profile: total 2\n2 @ 0x43a1d6\n#\t0x6a1b2c\tmain.wait+0x4c\t/src/main.go:9\n";
  TricklingServer server(
      "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(profile.size()) + "\r\n\r\n" + profile,
      "", std::chrono::milliseconds(50), std::chrono::milliseconds(0));
  Census census = FetchGoCensus("http://localhost:" + std::to_string(server.port()) + "/p?debug=1",
                                std::chrono::seconds(5));
  CHECK_FALSE(census.partial);
  CHECK(census.reason == "");
  CHECK(census.total == 2);
  REQUIRE(census.groups.size() == 1);
  CHECK(census.groups[0].frames == std::vector<std::string>{"main.wait (main.go:9)"});

  Census named = FetchGoCensus("http://profiles.example:6060/debug/pprof/goroutine?debug=1",
                               std::chrono::milliseconds(200));
  CHECK(named.partial);
  CHECK(named.reason ==
        "goroutine profile http://profiles.example:6060/debug/pprof/goroutine?debug=1: host "
        "\"profiles.example\" is not a loopback address (127.0.0.0/8, ::1 or localhost)");
  // The profile is the target's own: never read from another machine.
  Census remote = FetchGoCensus("http://10.1.2.3:6060/p", std::chrono::milliseconds(200));
  CHECK(remote.reason == "goroutine profile http://10.1.2.3:6060/p: host \"10.1.2.3\" is not a "
                         "loopback address (127.0.0.0/8, ::1 or localhost)");
  Census bad_port = FetchGoCensus("http://127.0.0.1:99999/x", std::chrono::milliseconds(200));
  CHECK(bad_port.reason == "goroutine profile http://127.0.0.1:99999/x: bad port \"99999\"");
}

}  // namespace faultline
