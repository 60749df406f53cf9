// The stand-alone proxy's file: a good one, and its errors word for word.
#include "harness/scenario/proxy_config.h"

#include <doctest/doctest.h>

#include "harness/common/test_temp_dir.h"

using namespace faultline;
using namespace std::chrono_literals;

TEST_CASE("a proxy config file reads its proxies and faults") {
  auto entries = LoadProxyConfigText(R"(
[[proxies]]
name = "db"
listen = "127.0.0.1:0"
upstream = "127.0.0.1:5432"
faults = [{ kind = "latency", latency = "100ms", jitter = "10ms" },
          { kind = "reset_peer", timeout = "2s", fraction = 0.1 }]

[[proxies]]
name = "cache"
listen = "[::1]:16379"
upstream = "localhost:6379"
)",
                                     "p.toml");
  REQUIRE(entries.ok());
  REQUIRE(entries->size() == 2);
  const ProxyConfigEntry& db = (*entries)[0];
  CHECK(db.name == "db");
  CHECK(db.listen == "127.0.0.1:0");
  CHECK(db.upstream == "127.0.0.1:5432");
  REQUIRE(db.faults.size() == 2);
  CHECK(db.faults[0].kind == FaultSpec::Kind::kLatency);
  CHECK(db.faults[0].latency == 100ms);
  CHECK(db.faults[0].jitter == 10ms);
  CHECK(db.faults[0].dependency.empty());
  CHECK(db.faults[1].kind == FaultSpec::Kind::kResetPeer);
  CHECK(db.faults[1].timeout == 2s);
  CHECK(db.faults[1].fraction == doctest::Approx(0.1));
  CHECK((*entries)[1].faults.empty());
  CHECK((*entries)[1].listen == "[::1]:16379");
}

TEST_CASE("a proxy config file reports every error with file line and key") {
  auto bad = LoadProxyConfigText(R"([[proxies]]
name = "db"
listen = "127.0.0.1:0"
faults = [{ kind = "latency", latncy = "100ms", dependency = "x" },
          { kind = "slow_close", delay = "2 s" },
          { kind = "hang", flap = { on = "1s", off = "1s" } }]
[[proxies]]
name = "db"
listen = "127.0.0.1"
upstream = "127.0.0.1:5432"
)",
                                 "p.toml");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message() ==
        "p.toml:1:1: proxies[0].upstream: missing required key\n"
        "p.toml:4:11: proxies[0].faults[0].latency: missing required key for kind \"latency\"\n"
        "p.toml:4:31: proxies[0].faults[0].latncy: unknown key \"latncy\" (did you mean "
        "\"latency\"?)\n"
        "p.toml:4:49: proxies[0].faults[0].dependency: unknown key \"dependency\" (expected one "
        "of: kind, name, fraction, direction, latency, jitter)\n"
        "p.toml:5:42: proxies[0].faults[1].delay: invalid duration \"2 s\": unknown duration unit \" s\" "
        "(use ns, us, ms, s, m or h)\n"
        "p.toml:6:35: proxies[0].faults[2].flap: flap moves a fault across a scenario phase; a "
        "proxy's file sets fixed values\n"
        "p.toml:8:8: proxies[1].name: proxy name \"db\" is already used by proxies[0]\n"
        "p.toml:9:10: proxies[1].listen: expected \"host:port\", got \"127.0.0.1\"");

  auto none = LoadProxyConfigText("", "e.toml");
  REQUIRE_FALSE(none.ok());
  CHECK(none.status().message() == "e.toml:1:1: proxies: at least one [[proxies]] entry is required");

  auto missing = LoadProxyConfig("/nonexistent/faultline/p.toml");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().message() ==
        "/nonexistent/faultline/p.toml: cannot read the file: No such file or directory");
}

TEST_CASE("a proxy config file takes the HTTP faults on a proxy with protocol http only") {
  auto entries = LoadProxyConfigText(R"([[proxies]]
name = "api"
listen = "127.0.0.1:0"
upstream = "127.0.0.1:8080"
protocol = "http"
faults = [{ kind = "abort", status = 503, fraction = 0.2, match = { path_prefix = "/stock" } },
          { kind = "latency", latency = "10ms" }]
)",
                                     "p.toml");
  REQUIRE(entries.ok());
  const ProxyConfigEntry& api = (*entries)[0];
  CHECK(api.http);
  REQUIRE(api.faults.size() == 2);
  CHECK(api.faults[0].kind == FaultSpec::Kind::kAbort);
  CHECK(api.faults[0].status == 503);
  CHECK(api.faults[0].match.path_prefix == "/stock");

  auto tcp = LoadProxyConfigText(R"([[proxies]]
name = "api"
listen = "127.0.0.1:0"
upstream = "127.0.0.1:8080"
faults = [{ kind = "hang_request" }]
[[proxies]]
name = "db"
listen = "127.0.0.1:0"
upstream = "127.0.0.1:5432"
protocol = "htp"
faults = [{ kind = "abort", status = 503 }]
)",
                                 "p.toml");
  REQUIRE_FALSE(tcp.ok());
  CHECK(tcp.status().message() ==
        "p.toml:5:20: proxies[0].faults[0].kind: the HTTP fault \"hang_request\" needs an "
        "HTTP-aware proxy: set protocol = \"http\" on this proxy\n"
        "p.toml:10:12: proxies[1].protocol: unknown protocol \"htp\" (did you mean \"http\"?)");
}
