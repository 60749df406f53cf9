// target.attach, dependency listen and variant setup/teardown: what they
// load to, and every error word for word.
#include <doctest/doctest.h>

#include "harness/scenario/loader_test_util.h"

using namespace faultline;
using namespace faultline::testing;

namespace {

const BadCase kAttachCases[] = {
    {"attach with argv",
     R"(target = { argv = ["t"], attach = { port = 8080 } }
phases = [{ name = "a", duration = "1s" }]
)",
     {"s.toml:1:19: target.argv: the target has both argv and attach: give argv to start it, or "
      "attach to sample one already running"}},

    {"attach naming nothing",
     R"([target]
attach = {}
[[phases]]
name = "a"
duration = "1s"
)",
     {"s.toml:2:10: target.attach: needs one of port, pid or pid_file: the process to attach to"}},

    {"attach naming two",
     R"(target = { attach = { port = 8080, pid = 12 }, base_url = "http://127.0.0.1:1" }
phases = [{ name = "a", duration = "1s" }]
)",
     {"s.toml:1:21: target.attach: give only one of port, pid and pid_file"}},

    {"attach by pid without base_url",
     R"(target = { attach = { pid = 12 } }
phases = [{ name = "a", duration = "1s" }]
)",
     {"s.toml:1:10: target.base_url: missing required key: a target attached by pid or pid_file "
      "has no known port, so the load needs its address (\"http://127.0.0.1:8080\")"}},

    {"attach with keys of a started target",
     R"(target = { attach = { port = 8080 }, env = { A = "1" }, stop_grace = "1s" }
phases = [{ name = "a", duration = "1s" }]
)",
     {"s.toml:1:44: target.env: \"env\" only applies to a target started from argv, not to an "
      "attached one",
      "s.toml:1:70: target.stop_grace: \"stop_grace\" only applies to a target started from argv, "
      "not to an attached one"}},

    {"attach port out of range",
     R"(target = { attach = { port = 70000 } }
phases = [{ name = "a", duration = "1s" }]
)",
     {"s.toml:1:30: target.attach.port: expected a port number 1..65535, got 70000"}},

    {"attach pid past Linux's largest (it wrapped to another process)",
     R"(target = { attach = { pid = 4294997040 }, base_url = "http://127.0.0.1:1" }
phases = [{ name = "a", duration = "1s" }]
)",
     {"s.toml:1:29: target.attach.pid: expected a pid 1..4194304, got 4294997040"}},

    {"neither argv nor attach",
     R"(target = { name = "svc" }
phases = [{ name = "a", duration = "1s" }]
)",
     {"s.toml:1:10: target.argv: missing required key"}},

    {"an attached target's proxy needs a fixed port",
     R"(target = { attach = { port = 8080 } }
phases = [{ name = "a", duration = "1s" }]
[[dependencies]]
name = "db"
address = "127.0.0.1:5432"
proxy = true
)",
     {"s.toml:6:1: dependencies[0].proxy: the target is attached, so it cannot be pointed at a "
      "port chosen per run: give the fault proxy in front of \"db\" a fixed port with listen = "
      "PORT (the port the target already calls)"}},

    {"listen without a proxy",
     R"(target = { argv = ["t"] }
phases = [{ name = "a", duration = "1s" }]
[[dependencies]]
name = "db"
argv = ["db"]
listen = 5432
)",
     {"s.toml:6:10: dependencies[0].listen: \"listen\" is the port of dependency \"db\"'s fault "
      "proxy: set proxy = true too"}},

    {"a proxy listening on its dependency's own address",
     R"(target = { argv = ["t"] }
phases = [{ name = "a", duration = "1s" }]
[[dependencies]]
name = "db"
address = "localhost:5432"
proxy = true
listen = 5432
)",
     {"s.toml:7:10: dependencies[0].listen: listen = 5432 is dependency \"db\"'s own address "
      "\"localhost:5432\": its fault proxy would connect to itself; the proxy needs a port of "
      "its own, which the target calls instead"}},

    {"an IPv6 address without its port",
     R"(target = { argv = ["t"] }
phases = [{ name = "a", duration = "1s" }]
[[dependencies]]
name = "db"
address = "[::1]"
)",
     {"s.toml:5:11: dependencies[0].address: expected \"host:port\", got \"[::1]\": no port "
      "after the ]"}},

    {"an IPv6 address without brackets",
     R"(target = { argv = ["t"] }
phases = [{ name = "a", duration = "1s" }]
[[dependencies]]
name = "db"
address = "::1:5432"
)",
     {"s.toml:5:11: dependencies[0].address: write an IPv6 address in brackets with its port "
      "(\"[::1]:5432\"), got \"::1:5432\""}},

    {"a proxy listening on its dependency's own address written IPv4-mapped",
     R"(target = { argv = ["t"] }
phases = [{ name = "a", duration = "1s" }]
[[dependencies]]
name = "db"
address = "[::ffff:127.0.0.1]:5432"
proxy = true
listen = 5432
)",
     {"s.toml:7:10: dependencies[0].listen: listen = 5432 is dependency \"db\"'s own address "
      "\"[::ffff:127.0.0.1]:5432\": its fault proxy would connect to itself; the proxy needs a "
      "port of its own, which the target calls instead"}},

    {"setup that is not an array of commands",
     R"(target = { argv = ["t"] }
phases = [{ name = "a", duration = "1s" }]
[[variants]]
name = "v"
setup = ["flag", "on"]
teardown = [[], ["ok", 1]]
hook_timeout = "0s"
)",
     {"s.toml:5:10: variants[0].setup[0]: expected a command: a non-empty array of strings (the "
      "program and its arguments), got string \"flag\"",
      "s.toml:5:18: variants[0].setup[1]: expected a command: a non-empty array of strings (the "
      "program and its arguments), got string \"on\"",
      "s.toml:6:13: variants[0].teardown[0]: expected a command: a non-empty array of strings "
      "(the program and its arguments), got an empty array",
      "s.toml:6:24: variants[0].teardown[1][1]: expected a string, got integer 1",
      "s.toml:7:16: variants[0].hook_timeout: must be longer than 0s, got \"0s\""}},

    {"setup with an unknown variable",
     R"(target = { argv = ["t"] }
phases = [{ name = "a", duration = "1s" }]
[[variants]]
name = "v"
setup = [["flag", "${variant.mode}"]]
)",
     {"s.toml:5:19: variants[0].setup[0][1]: unknown variable \"variant.mode\": no variant sets "
      "\"mode\" in vars"}},
};

}  // namespace

TEST_CASE("attach listen and hooks report every error word for word") {
  CheckBadCases(kAttachCases);
}

TEST_CASE("attach listen and hooks load into the scenario") {
  Scenario s = Load(R"(
[target]
name = "orders"
attach = { port = 8080 }
[[dependencies]]
name = "inventory"
address = "127.0.0.1:9001"
proxy = true
listen = 9000
[[variants]]
name = "on"
vars = { flag = "x" }
setup = [["flag", "${variant.flag}", "${proxy.inventory}"]]
teardown = [["flag", "off"], ["true"]]
hook_timeout = "5s"
[[phases]]
name = "a"
duration = "1s"
)");
  REQUIRE(s.target.attach.has_value());
  CHECK(s.target.attach->port == 8080);
  CHECK(s.target.attach->Describe() == "the process listening on port 8080");
  CHECK(s.target.argv.empty());
  CHECK(s.target.base_url == "http://127.0.0.1:${port.orders}");
  CHECK(s.dependencies[0].listen == 9000);
  CHECK(s.variants[0].setup ==
        std::vector<std::vector<std::string>>{{"flag", "${variant.flag}", "${proxy.inventory}"}});
  CHECK(s.variants[0].teardown.size() == 2);
  CHECK(s.variants[0].hook_timeout == std::chrono::seconds(5));

  Scenario by_file = Load(R"(
target = { attach = { pid_file = "/run/${variant.name}.pid" }, base_url = "http://127.0.0.1:81" }
phases = [{ name = "a", duration = "1s" }]
)");
  CHECK(by_file.target.attach->Describe() == "the pid in \"/run/${variant.name}.pid\"");
  CHECK(by_file.variants[0].hook_timeout == std::chrono::seconds(30));
}
