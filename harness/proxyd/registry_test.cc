// The registry on its own: real proxies on loopback, an io_context that the
// test runs only where a proxy must accept (binding and closing are synchronous).
#include "harness/proxyd/registry.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace faultline {
namespace {

struct Fixture {
  asio::io_context io;
  ManualClock clock;
  std::vector<std::string> log;
  ProxyRegistry registry{io, clock, [](const std::string&) { return 1; }, [this](const std::string& line) { log.push_back(line); }};

  ProxyState Create(const std::string& name, const std::string& listen = "127.0.0.1:0") {
    ApiResult<ProxyState> r = registry.Create({name, listen, "127.0.0.1:9", true});
    REQUIRE_MESSAGE(r.ok(), r.error().message);
    return *r;
  }
};

uint16_t PortOf(const ProxyState& s) { return ParseAddress(s.settings.listen)->port; }

// Whether something accepts connections on 127.0.0.1:port (the kernel
// completes the handshake from the backlog, so the loop need not run).
bool Accepts(uint16_t port) {
  asio::io_context io;
  tcp::socket socket(io);
  boost::system::error_code ec;
  socket.connect(tcp::endpoint(asio::ip::address_v4::loopback(), port), ec);
  return !ec;
}

ProxyFault Toxic(const std::string& name, ProxyFault::Kind kind = ProxyFault::Kind::kLatency) {
  ProxyFault f;
  f.kind = kind;
  f.name = name;
  return f;
}

TEST_CASE("create binds the proxy and shows the real port - logging one line") {
  Fixture f;
  ProxyState s = f.Create("redis");
  CHECK(s.settings.enabled);
  CHECK(s.settings.listen.starts_with("127.0.0.1:"));
  CHECK(PortOf(s) != 0);
  CHECK(Accepts(PortOf(s)));
  REQUIRE(f.log.size() == 1);
  CHECK(f.log[0] == "proxy redis listening on " + s.settings.listen + " -> 127.0.0.1:9");
}

TEST_CASE("create refuses duplicates - missing fields and bad addresses") {
  Fixture f;
  f.Create("redis");
  struct Case {
    ProxySettings settings;
    int status;
    const char* message;
  };
  const Case cases[] = {
      {{"redis", "127.0.0.1:0", "127.0.0.1:9", true}, 409, "proxy already exists"},
      {{"", "127.0.0.1:0", "127.0.0.1:9", true}, 400, "missing required field: name"},
      {{"db", "127.0.0.1:0", "", true}, 400, "missing required field: upstream"},
      {{"db", "nowhere", "127.0.0.1:9", true}, 400,
       "bad request body: listen: address \"nowhere\": expected host:port"},
      {{"db", "db.internal:5000", "127.0.0.1:9", true}, 400,
       "bad request body: listen: address \"db.internal:5000\": not an IP address or localhost"},
      {{"db", "127.0.0.1:0", "db:99999", true}, 400,
       "bad request body: upstream: address \"db:99999\": expected a port number 0..65535 "
       "after the last ':'"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.message);
    ApiResult<ProxyState> r = f.registry.Create(c.settings);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().status == c.status);
    CHECK(r.error().message == c.message);
  }
  CHECK(f.registry.List().size() == 1);
}

TEST_CASE("a bind failure is a 500 and the proxy is not created") {
  Fixture f;
  tcp::acceptor taken(f.io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
  const std::string listen = "127.0.0.1:" + std::to_string(taken.local_endpoint().port());
  ApiResult<ProxyState> r = f.registry.Create({"redis", listen, "127.0.0.1:9", true});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().status == 500);
  CHECK(r.error().message == "proxy redis: bind " + listen + ": Address already in use");
  CHECK(f.registry.List().empty());
  CHECK(f.registry.Get("redis").error().status == 404);
}

// Every connection would open another to itself until the fds ran out.
TEST_CASE("a proxy whose upstream is its own listen address is a 400") {
  Fixture f;
  uint16_t port = 0;
  {
    tcp::acceptor probe(f.io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
    port = probe.local_endpoint().port();
  }
  const std::string self = "127.0.0.1:" + std::to_string(port);
  for (const std::string& upstream : {self, "localhost:" + std::to_string(port),
                                      "[::ffff:127.0.0.1]:" + std::to_string(port)}) {
    ApiResult<ProxyState> r = f.registry.Create({"loop", self, upstream, true});
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().status == 400);
    CHECK(r.error().message == "proxy loop: upstream " + upstream + " is its own listen address " +
                                   self + ": it would connect to itself");
    CHECK(f.registry.List().empty());
    CHECK_FALSE(Accepts(port));
  }
  // An IPv4 listener cannot be reached at ::1: whoever listens there is not a loop.
  const std::string any = "0.0.0.0:" + std::to_string(port);
  ApiResult<ProxyState> v6 = f.registry.Create({"v6", any, "[::1]:" + std::to_string(port), true});
  CHECK(v6.ok());
  if (v6.ok()) CHECK_FALSE(f.registry.Delete("v6"));
  // Nor can a running proxy be pointed at itself; it keeps its upstream.
  ProxyState s = f.Create("redis");
  const std::string own = "127.0.0.1:" + std::to_string(PortOf(s));
  ApiResult<ProxyState> patched = f.registry.Update("redis", {{}, own, {}});
  REQUIRE_FALSE(patched.ok());
  CHECK(patched.error().status == 400);
  CHECK(f.registry.Get("redis")->settings.upstream == "127.0.0.1:9");
}

// An upstream that is down shows in the log, not only as closed clients;
// a storm of them is one line per 5 s with the count. This test runs the
// io_context (bounded) so that the proxy accepts and tries to connect.
TEST_CASE("an upstream the proxy cannot reach is logged at most once per 5 s") {
  Fixture f;
  uint16_t down = 0;  // a port nothing listens on: bound, then closed
  {
    tcp::acceptor probe(f.io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
    down = probe.local_endpoint().port();
  }
  const std::string upstream = "127.0.0.1:" + std::to_string(down);
  ApiResult<ProxyState> s = f.registry.Create({"db", "127.0.0.1:0", upstream, true});
  REQUIRE(s.ok());
  // Connects a client and runs the loop until the proxy has closed it.
  auto refused_once = [&] {
    tcp::socket client(f.io);
    client.connect(tcp::endpoint(asio::ip::address_v4::loopback(), PortOf(*s)));
    client.non_blocking(true);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (std::chrono::steady_clock::now() < deadline) {
      f.io.run_for(std::chrono::milliseconds(5));
      char byte;
      boost::system::error_code ec;
      client.read_some(asio::buffer(&byte, 1), ec);
      if (ec && ec != asio::error::would_block) return true;  // closed by the proxy
    }
    return false;
  };
  auto lines = [&] {
    return std::count_if(f.log.begin(), f.log.end(), [](const std::string& l) {
      return l.find("cannot reach upstream") != std::string::npos;
    });
  };
  const std::string head = "proxy db: cannot reach upstream " + upstream + ": Connection refused";
  REQUIRE(refused_once());
  REQUIRE(lines() == 1);
  CHECK(f.log.back() == head + " (1 connection closed)");
  REQUIRE(refused_once());
  REQUIRE(refused_once());
  CHECK(lines() == 1);  // within 5 s of the first line
  f.clock.Advance(std::chrono::seconds(5));
  REQUIRE(refused_once());
  REQUIRE(lines() == 2);
  CHECK(f.log.back() == head + " (3 connections closed since the last such line)");
}

TEST_CASE("disabling closes the listener and keeps the port - enabling binds it again") {
  Fixture f;
  ProxyState s = f.Create("redis");
  const uint16_t port = PortOf(s);
  ApiResult<ProxyState> off = f.registry.Update("redis", {{}, {}, false});
  REQUIRE(off.ok());
  CHECK_FALSE(off->settings.enabled);
  CHECK(off->settings.listen == s.settings.listen);
  CHECK_FALSE(Accepts(port));
  ApiResult<ProxyState> on = f.registry.Update("redis", {{}, {}, true});
  REQUIRE(on.ok());
  CHECK(on->settings.enabled);
  CHECK(PortOf(*on) == port);
  CHECK(Accepts(port));
}

TEST_CASE("a new listen address restarts the proxy - a new upstream keeps its port") {
  Fixture f;
  ProxyState s = f.Create("redis");
  ApiResult<ProxyState> moved = f.registry.Update("redis", {"127.0.0.1:0", {}, {}});
  REQUIRE(moved.ok());
  CHECK(PortOf(*moved) != PortOf(s));
  CHECK_FALSE(Accepts(PortOf(s)));
  CHECK(Accepts(PortOf(*moved)));
  ApiResult<ProxyState> re = f.registry.Update("redis", {{}, "127.0.0.1:10", {}});
  REQUIRE(re.ok());
  CHECK(re->settings.upstream == "127.0.0.1:10");
  CHECK(PortOf(*re) == PortOf(*moved));
  CHECK(f.registry.Update("nope", {}).error().message == "proxy not found");
}

TEST_CASE("a listen host that is no IP address is a 400 that leaves the proxy as it was") {
  Fixture f;
  ProxyState s = f.Create("redis");
  REQUIRE(f.registry.AddToxic("redis", Toxic("slow")).ok());
  ApiResult<ProxyState> r = f.registry.Update("redis", {"db.internal:5000", {}, {}});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().status == 400);
  CHECK(r.error().message ==
        "bad request body: listen: address \"db.internal:5000\": not an IP address or localhost");
  ApiResult<ProxyState> now = f.registry.Get("redis");
  REQUIRE(now.ok());
  CHECK(now->settings.enabled);
  CHECK(now->settings.listen == s.settings.listen);
  CHECK(now->toxics.size() == 1);
  CHECK(Accepts(PortOf(s)));
}

TEST_CASE("toxic names are unique across streams - replace and remove find them by name") {
  Fixture f;
  f.Create("redis");
  ProxyFault up = Toxic("slow");
  up.direction = ProxyFault::Direction::kUpstream;
  REQUIRE(f.registry.AddToxic("redis", up).ok());
  ApiResult<ProxyFault> again = f.registry.AddToxic("redis", Toxic("slow"));
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().status == 409);
  CHECK(again.error().message == "toxic already exists");
  REQUIRE(f.registry.AddToxic("redis", Toxic("stuck", ProxyFault::Kind::kHang)).ok());
  ProxyFault changed = up;
  changed.fraction = 0.5;
  REQUIRE(f.registry.ReplaceToxic("redis", changed).ok());
  CHECK(f.registry.Toxics("redis")->at(0).fraction == 0.5);  // kept its place
  CHECK_FALSE(f.registry.RemoveToxic("redis", "slow"));
  CHECK(f.registry.RemoveToxic("redis", "slow")->message == "toxic not found");
  CHECK(f.registry.GetToxic("redis", "stuck")->kind == ProxyFault::Kind::kHang);
  CHECK(f.registry.GetToxic("nope", "stuck").error().message == "proxy not found");
  CHECK(f.log.back() == "proxy redis: toxic removed: slow: latency 0s upstream on 50% of connections");
}

TEST_CASE("populate checks every proxy before creating any") {
  Fixture f;
  ApiResult<std::vector<ProxyState>> r = f.registry.Populate(
      {{"a", "127.0.0.1:0", "127.0.0.1:9", true}, {"b", "127.0.0.1:0", "", true}});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message == "missing required field: upstream at proxy 2");
  CHECK(f.registry.List().empty());
  r = f.registry.Populate(
      {{"a", "127.0.0.1:0", "127.0.0.1:9", true}, {"a", "127.0.0.1:0", "127.0.0.1:9", true}});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message == "duplicate proxy name \"a\"");
  CHECK(f.registry.List().empty());
}

TEST_CASE("populate checks every listen host before it replaces any proxy") {
  Fixture f;
  ProxyState a = f.Create("a");
  ApiResult<std::vector<ProxyState>> r = f.registry.Populate(
      {{"a", "127.0.0.1:0", "127.0.0.1:10", true}, {"b", "db.internal:5000", "127.0.0.1:9", true}});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().status == 400);
  CHECK(r.error().message == "bad request body: listen at proxy 2: address \"db.internal:5000\": "
                             "not an IP address or localhost");
  REQUIRE(f.registry.List().size() == 1);
  CHECK(f.registry.Get("a")->settings.upstream == "127.0.0.1:9");
  CHECK(f.registry.Get("a")->settings.enabled);
  CHECK(Accepts(PortOf(a)));
}

TEST_CASE("populate keeps an unchanged proxy with its toxics and replaces a changed one") {
  Fixture f;
  ProxyState a = f.Create("a");
  ProxyState b = f.Create("b");
  REQUIRE(f.registry.AddToxic("a", Toxic("slow")).ok());
  REQUIRE(f.registry.AddToxic("b", Toxic("slow")).ok());
  ApiResult<std::vector<ProxyState>> r = f.registry.Populate(
      {a.settings, {"b", "127.0.0.1:0", "127.0.0.1:9", true}, {"c", "127.0.0.1:0", "127.0.0.1:9"}});
  REQUIRE(r.ok());
  REQUIRE(r->size() == 3);
  CHECK((*r)[0].toxics.size() == 1);
  CHECK((*r)[0].settings.listen == a.settings.listen);
  CHECK((*r)[1].toxics.empty());
  CHECK((*r)[2].settings.enabled);
  CHECK(f.registry.List().size() == 3);
}

TEST_CASE("a populate entry that cannot bind leaves the proxy it replaces disabled as it was") {
  Fixture f;
  ProxyState a = f.Create("a");
  REQUIRE(f.registry.AddToxic("a", Toxic("slow")).ok());
  tcp::acceptor taken(f.io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
  const std::string listen = "127.0.0.1:" + std::to_string(taken.local_endpoint().port());
  ApiResult<std::vector<ProxyState>> r =
      f.registry.Populate({{"a", listen, "127.0.0.1:10", true}});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().status == 500);
  ApiResult<ProxyState> kept = f.registry.Get("a");
  REQUIRE(kept.ok());
  CHECK_FALSE(kept->settings.enabled);
  CHECK(kept->settings.listen == a.settings.listen);
  CHECK(kept->settings.upstream == "127.0.0.1:9");
  CHECK(kept->toxics.size() == 1);
  CHECK(f.log.back() ==
        "proxy a kept, disabled, with its settings and toxics: its replacement failed");
  REQUIRE(f.registry.Update("a", {{}, {}, true}).ok());
  CHECK(Accepts(PortOf(a)));
}

TEST_CASE("reset enables every proxy and removes every toxic") {
  Fixture f;
  ProxyState s = f.Create("a");
  f.Create("b");
  REQUIRE(f.registry.AddToxic("a", Toxic("slow")).ok());
  REQUIRE(f.registry.Update("b", {{}, {}, false}).ok());
  CHECK_FALSE(f.registry.Reset());
  for (const auto& p : f.registry.List()) {
    CHECK(p.settings.enabled);
    CHECK(p.toxics.empty());
  }
  CHECK(Accepts(PortOf(s)));
  CHECK(f.log.back() == "reset: every proxy enabled, every toxic removed");
}

TEST_CASE("a reset that cannot bind a proxy again says so in its log line") {
  Fixture f;
  ProxyState a = f.Create("a");
  f.Create("b");
  REQUIRE(f.registry.Update("a", {{}, {}, false}).ok());
  tcp::acceptor taken(f.io, tcp::endpoint(asio::ip::address_v4::loopback(), PortOf(a)));
  ApiFailure failed = f.registry.Reset();
  REQUIRE(failed);
  CHECK(failed->status == 500);
  CHECK_FALSE(f.registry.Get("a")->settings.enabled);
  CHECK(f.log.back() ==
        "reset: every toxic removed, every proxy enabled but a (cannot bind; disabled)");
}

TEST_CASE("disabling an http proxy logs its request counts on a line of their own") {
  Fixture f;
  REQUIRE(f.registry.Create({"web", "127.0.0.1:0", "127.0.0.1:9", true, true}).ok());
  REQUIRE(f.registry.Update("web", {{}, {}, false}).ok());
  REQUIRE(f.log.size() >= 2);
  CHECK(f.log[f.log.size() - 2] == "proxy web disabled (listener and connections closed)");
  CHECK(f.log.back() == "proxy web requests: 0 answered, 0 abandoned, 0 fault, 0 open");
}

TEST_CASE("delete closes the proxy and forgets it") {
  Fixture f;
  ProxyState s = f.Create("a");
  CHECK_FALSE(f.registry.Delete("a"));
  CHECK_FALSE(Accepts(PortOf(s)));
  CHECK(f.registry.Delete("a")->status == 404);
  CHECK(f.registry.List().empty());
}

TEST_CASE("an HTTP fault goes only on a proxy created with http") {
  Fixture f;
  f.Create("tcp");
  ApiResult<ProxyFault> refused = f.registry.AddToxic("tcp", Toxic("abort", ProxyFault::Kind::kAbort));
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().status == 400);
  CHECK(refused.error().message ==
        "the HTTP fault \"abort\" needs a proxy with protocol = \"http\"; proxy \"tcp\" forwards bytes");

  ApiResult<ProxyState> http = f.registry.Create({"web", "127.0.0.1:0", "127.0.0.1:9", true, true});
  REQUIRE(http.ok());
  CHECK(f.log.back().ends_with(" -> 127.0.0.1:9 (http)"));
  CHECK(f.registry.AddToxic("web", Toxic("abort", ProxyFault::Kind::kAbort)).ok());
}

TEST_CASE("every answer about an http proxy carries its request counts") {
  Fixture f;
  ApiResult<ProxyState> created =
      f.registry.Create({"web", "127.0.0.1:0", "127.0.0.1:9", true, true});
  REQUIRE(created.ok());
  CHECK(created->requests.has_value());
  ApiResult<ProxyState> updated = f.registry.Update("web", {{}, {}, true});
  REQUIRE(updated.ok());
  CHECK(updated->requests.has_value());
  CHECK(f.registry.Get("web")->requests.has_value());
  ApiResult<std::vector<ProxyState>> kept = f.registry.Populate({created->settings});
  REQUIRE(kept.ok());
  REQUIRE(kept->size() == 1);
  CHECK((*kept)[0].requests.has_value());
  CHECK_FALSE(f.Create("tcp").requests.has_value());
}

}  // namespace
}  // namespace faultline
