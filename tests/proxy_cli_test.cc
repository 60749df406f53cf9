// Black-box tests of `faultline proxy`: it prints its addresses, forwards
// bytes, serves the control API, ends with 0 on SIGTERM within a bound, and
// refuses bad arguments with 2 or 3 and a clear message.
#include <doctest/doctest.h>
#include <httplib.h>
#include <signal.h>

#include <nlohmann/json.hpp>
#include <fstream>
#include <regex>
#include <thread>

#include "harness/proxy/proxy_test_rig.h"
#include "tests/child_process.h"

using namespace faultline::testing;
namespace asio = faultline::asio;
using faultline::tcp;
using namespace std::chrono_literals;

namespace {

const std::string kBin = FAULTLINE_BIN_DIR "/faultline";

ProcessRun Proxy(std::vector<std::string> args,
                 const std::function<void(pid_t, const std::string&)>& on_output = {}) {
  args.insert(args.begin(), {kBin, "proxy"});
  return RunProcess(args, 20s, on_output);
}

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// The port of the first line of `err` matching `pattern` (one group: the port).
int PortIn(const std::string& err, const std::string& pattern) {
  std::smatch m;
  if (!std::regex_search(err, m, std::regex(pattern))) return 0;
  return std::stoi(m[1]);
}

// An echo server on a thread of its own, standing in for the dependency.
class Upstream {
 public:
  Upstream() : work_(io_.get_executor()), echo_(io_), thread_([this] { io_.run(); }) {}
  ~Upstream() {
    asio::post(io_, [this] { echo_.CloseAll(); });
    work_.reset();
    io_.stop();
    thread_.join();
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(echo_.port()); }

 private:
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  EchoServer echo_;
  std::thread thread_;
};

}  // namespace

TEST_CASE("faultline proxy --listen forwards bytes and exits 0 soon after SIGTERM") {
  Upstream upstream;
  std::string echoed;
  faultline::SteadyClock::time_point signalled{};
  auto r = Proxy({"--listen", "127.0.0.1:0", "--upstream", upstream.address(), "--name", "db"},
                 [&](pid_t pid, const std::string& err) {
                   const int port = PortIn(err, "proxy db listening on 127\\.0\\.0\\.1:(\\d+) -> " +
                                                    upstream.address() + "\n");
                   if (port == 0 || signalled != faultline::SteadyClock::time_point{}) return;
                   Client client(static_cast<uint16_t>(port));
                   echoed = client.Exchange("hello");
                   signalled = faultline::SteadyClock::now();
                   ::kill(pid, SIGTERM);
                 });
  CHECK(echoed == "hello");
  CHECK_FALSE(r.timed_out);
  CHECK(r.exit_code == 0);
  CHECK(Contains(r.err, "received SIGTERM, stopping"));
  CHECK(faultline::SteadyClock::now() - signalled < 5s);
}

TEST_CASE("faultline proxy --toxic puts a fault on the proxy and logs it") {
  Upstream upstream;
  bool signalled = false;
  auto r = Proxy({"--listen", "127.0.0.1:0", "--upstream", upstream.address(), "--toxic",
                  R"({"type": "latency", "attributes": {"latency": 100}})"},
                 [&](pid_t pid, const std::string& err) {
                   if (signalled || !Contains(err, "listening on")) return;
                   signalled = true;
                   ::kill(pid, SIGINT);
                 });
  CHECK(r.exit_code == 0);
  CHECK(Contains(r.err, "proxy proxy: toxic added: latency_downstream: latency 100ms\n"));
  CHECK(Contains(r.err, "received SIGINT, stopping"));
}

TEST_CASE("faultline proxy --api serves the control API until SIGTERM") {
  Upstream upstream;
  int status_create = 0;
  std::string version;
  bool signalled = false;
  auto r = Proxy({"--api", "127.0.0.1:0"}, [&](pid_t pid, const std::string& err) {
    const int port = PortIn(err, "api listening on 127\\.0\\.0\\.1:(\\d+)\n");
    if (port == 0 || signalled) return;
    httplib::Client api("127.0.0.1", port);
    api.set_read_timeout(5s);
    if (auto v = api.Get("/version")) version = v->body;
    nlohmann::json p = {{"name", "redis"}, {"listen", "127.0.0.1:0"},
                        {"upstream", upstream.address()}};
    if (auto c = api.Post("/proxies", p.dump(), "application/json")) status_create = c->status;
    signalled = true;
    ::kill(pid, SIGTERM);
  });
  CHECK(status_create == 201);
  CHECK(Contains(version, "\"version\""));
  CHECK(r.exit_code == 0);
  CHECK(Contains(r.err, "proxy redis listening on 127.0.0.1:"));
}

TEST_CASE("faultline proxy --config creates the file's proxies and faults - the API shows them") {
  Upstream upstream;
  TempDir dir;
  const std::string config = dir.path() + "/proxies.toml";
  std::ofstream(config) << "[[proxies]]\nname = \"db\"\nlisten = \"127.0.0.1:0\"\n"
                        << "upstream = \"" << upstream.address() << "\"\n"
                        << "faults = [{ kind = \"latency\", latency = \"200ms\" }]\n";
  std::string echoed;
  nlohmann::json toxics;
  auto elapsed = faultline::Duration(0);
  bool signalled = false;
  auto r = Proxy({"--config", config, "--api", "127.0.0.1:0"}, [&](pid_t pid, const std::string& err) {
    const int port = PortIn(err, "proxy db listening on 127\\.0\\.0\\.1:(\\d+) -> ");
    const int api_port = PortIn(err, "api listening on 127\\.0\\.0\\.1:(\\d+)\n");
    if (port == 0 || api_port == 0 || signalled) return;
    Client client(static_cast<uint16_t>(port));
    const auto start = faultline::SteadyClock::now();
    echoed = client.Exchange("hello");
    elapsed = faultline::SteadyClock::now() - start;
    httplib::Client api("127.0.0.1", api_port);
    api.set_read_timeout(5s);
    if (auto got = api.Get("/proxies/db/toxics")) toxics = nlohmann::json::parse(got->body);
    signalled = true;
    ::kill(pid, SIGTERM);
  });
  CHECK(r.exit_code == 0);
  CHECK(echoed == "hello");
  CHECK(elapsed >= 200ms);
  REQUIRE(toxics.size() == 1);
  CHECK(toxics[0]["type"] == "latency");
  CHECK(toxics[0]["attributes"]["latency"] == 200);
  CHECK(Contains(r.err, "proxy db: toxic added: latency 200ms\n"));
}

TEST_CASE("faultline proxy --config with protocol http answers the matched requests itself and counts them") {
  httplib::Server upstream;
  upstream.Get(R"(/.*)", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("from upstream", "text/plain");
  });
  const int upstream_port = upstream.bind_to_any_port("127.0.0.1");
  REQUIRE(upstream_port > 0);
  std::thread serving([&] { upstream.listen_after_bind(); });
  TempDir dir;
  const std::string config = dir.path() + "/proxies.toml";
  std::ofstream(config) << "[[proxies]]\nname = \"api\"\nlisten = \"127.0.0.1:0\"\n"
                        << "upstream = \"127.0.0.1:" << upstream_port << "\"\n"
                        << "protocol = \"http\"\n"
                        << "faults = [{ kind = \"abort\", status = 503, body = \"no stock\", "
                        << "match = { path_prefix = \"/stock\" } }]\n";
  int stock_status = 0, other_status = 0;
  std::string stock_body, other_body;
  nlohmann::json toxics, requests;
  bool signalled = false;
  auto r = Proxy({"--config", config, "--api", "127.0.0.1:0"}, [&](pid_t pid, const std::string& err) {
    const int port = PortIn(err, "proxy api listening on 127\\.0\\.0\\.1:(\\d+) -> .* \\(http\\)\n");
    const int api_port = PortIn(err, "api listening on 127\\.0\\.0\\.1:(\\d+)\n");
    if (port == 0 || api_port == 0 || signalled) return;
    httplib::Client client("127.0.0.1", port);
    client.set_read_timeout(5s);
    if (auto got = client.Get("/stock/42")) {
      stock_status = got->status;
      stock_body = got->body;
    }
    if (auto got = client.Get("/orders/42")) {
      other_status = got->status;
      other_body = got->body;
    }
    httplib::Client api("127.0.0.1", api_port);
    api.set_read_timeout(5s);
    if (auto got = api.Get("/proxies/api/toxics")) toxics = nlohmann::json::parse(got->body);
    if (auto got = api.Get("/proxies/api")) requests = nlohmann::json::parse(got->body)["requests"];
    signalled = true;
    ::kill(pid, SIGTERM);
  });
  upstream.stop();
  serving.join();
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(stock_status == 503);  // answered by the proxy, never forwarded
  CHECK(stock_body == "no stock");
  CHECK(other_status == 200);  // not matched: forwarded
  CHECK(other_body == "from upstream");
  REQUIRE(toxics.size() == 1);
  CHECK(toxics[0]["type"] == "abort");
  CHECK(toxics[0]["attributes"]["status"] == 503);
  CHECK(toxics[0]["attributes"]["match"]["path_prefix"] == "/stock");
  // What the proxy saw of the requests: live over the API, and at the end.
  CHECK(requests == nlohmann::json{{"answered", 1}, {"abandoned", 0}, {"fault", 1}, {"open", 0}});
  CHECK(Contains(r.err, "proxy api requests: 1 answered, 0 abandoned, 1 fault, 0 open\n"));
}

TEST_CASE("faultline proxy --config refuses an HTTP fault on a TCP proxy") {
  TempDir dir;
  const std::string config = dir.path() + "/proxies.toml";
  std::ofstream(config) << "[[proxies]]\nname = \"api\"\nlisten = \"127.0.0.1:0\"\n"
                        << "upstream = \"127.0.0.1:9\"\n"
                        << "faults = [{ kind = \"abort\", status = 503 }]\n";
  auto r = Proxy({"--config", config});
  CHECK(r.exit_code == 2);
  CHECK(Contains(r.err, config + ":5:20: proxies[0].faults[0].kind: the HTTP fault \"abort\" needs an "
                        "HTTP-aware proxy: set protocol = \"http\" on this proxy"));
}

TEST_CASE("faultline proxy --config with errors exits 2 naming file line and key") {
  TempDir dir;
  const std::string config = dir.path() + "/proxies.toml";
  std::ofstream(config) << "[[proxies]]\nname = \"db\"\nlisten = \"127.0.0.1:0\"\n"
                        << "upstream = \"127.0.0.1:9\"\n"
                        << "faults = [{ kind = \"latency\", latncy = \"200ms\" }]\n";
  auto r = Proxy({"--config", config});
  CHECK(r.exit_code == 2);
  CHECK(Contains(r.err, config + ":5:"));
  CHECK(Contains(r.err, "(did you mean \"latency\"?)"));
}

TEST_CASE("faultline proxy refuses bad arguments with exit 2 and a port in use with exit 3") {
  auto none = Proxy({});
  CHECK(none.exit_code == 2);
  CHECK(Contains(none.err, "faultline proxy: nothing to run: give --listen and --upstream"));
  auto half = Proxy({"--listen", "127.0.0.1:0"});
  CHECK(half.exit_code == 2);
  CHECK(Contains(half.err, "faultline proxy: --listen and --upstream go together"));
  auto bad = Proxy({"--listen", "nowhere", "--upstream", "127.0.0.1:9"});
  CHECK(bad.exit_code == 2);
  CHECK(Contains(bad.err, "listen: address \"nowhere\": expected host:port"));
  auto toxic = Proxy({"--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:9", "--toxic",
                      R"({"type": "lag"})"});
  CHECK(toxic.exit_code == 2);
  CHECK(Contains(toxic.err, "invalid toxic type"));
  auto seed = Proxy({"--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:9", "--seed", "-1"});
  CHECK(seed.exit_code == 2);
  CHECK(Contains(seed.err, "--seed: expected a whole number >= 0, got -1"));

  asio::io_context io;
  tcp::acceptor taken(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
  const std::string in_use = "127.0.0.1:" + std::to_string(taken.local_endpoint().port());
  auto busy = Proxy({"--listen", in_use, "--upstream", "127.0.0.1:9"});
  CHECK(busy.exit_code == 3);
  CHECK(Contains(busy.err, "faultline proxy: proxy proxy: bind " + in_use + ": "));
  auto api_busy = Proxy({"--api", in_use});
  CHECK(api_busy.exit_code == 3);
  CHECK(Contains(api_busy.err, "control API: cannot listen on " + in_use));
}
