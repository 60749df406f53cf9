// The control API over HTTP on 127.0.0.1, driven with httplib::Client as a
// Toxiproxy client would: each point of issue 9's API list, and a proxy
// created over the API that forwards bytes and delays them under `latency`.
#include "harness/proxyd/api_server.h"

#include <doctest/doctest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>

#include "harness/proxy/proxy_test_rig.h"
#include "harness/proxyd/registry.h"
#include "harness/proxyd/toxiproxy_api.h"

namespace faultline {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
using testing::EchoServer;

// The API server on port 0, its registry on an io_context run by a thread
// of the test, and an echo server there to stand in for a dependency.
class ApiRig {
 public:
  ApiRig() : work_(io_.get_executor()) {
    registry_ = std::make_unique<ProxyRegistry>(
        io_, clock_, [](const std::string&) { return 1; }, [](const std::string&) {});
    api_ = std::make_unique<ToxiproxyApi>(*registry_, "test-1.0");
    server_ = std::make_unique<ApiServer>(io_, *api_);
    echo_ = std::make_unique<EchoServer>(io_);
    Status s = server_->Listen("127.0.0.1", 0);
    REQUIRE_MESSAGE(s.ok(), s.message());
    thread_ = std::thread([this] { io_.run(); });
  }
  ~ApiRig() {
    server_->Stop();
    std::promise<void> cleared;
    asio::post(io_, [&] {
      registry_.reset();
      echo_.reset();
      cleared.set_value();
    });
    CHECK(cleared.get_future().wait_for(5s) == std::future_status::ready);
    work_.reset();
    io_.stop();
    thread_.join();
  }

  httplib::Client Client() {
    httplib::Client c("127.0.0.1", server_->port());
    c.set_connection_timeout(5s);
    c.set_read_timeout(5s);
    return c;
  }
  std::string echo_address() const { return "127.0.0.1:" + std::to_string(echo_->port()); }
  ApiServer& server() { return *server_; }
  /// POST /proxies: `name` on 127.0.0.1:0 in front of the echo server.
  json CreateProxy(httplib::Client& c, const std::string& name);

 private:
  asio::io_context io_;
  AsioClock clock_{io_};
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::unique_ptr<ProxyRegistry> registry_;
  std::unique_ptr<ToxiproxyApi> api_;
  std::unique_ptr<ApiServer> server_;
  std::unique_ptr<EchoServer> echo_;
  std::thread thread_;
};

json Body(const httplib::Result& r) {
  REQUIRE(r);
  return r->body.empty() ? json() : json::parse(r->body);
}

json Post(httplib::Client& c, const std::string& path, const json& body, int status) {
  auto r = c.Post(path.c_str(), body.dump(), "application/json");
  REQUIRE(r);
  CHECK_MESSAGE(r->status == status, r->body);
  return Body(r);
}

json Error(int status, const std::string& message) {
  return json{{"error", message}, {"status", status}};
}

json NewProxy(const std::string& name, const std::string& upstream) {
  return json{{"name", name}, {"listen", "127.0.0.1:0"}, {"upstream", upstream}};
}

json ApiRig::CreateProxy(httplib::Client& c, const std::string& name) {
  return Post(c, "/proxies", NewProxy(name, echo_address()), 201);
}

uint16_t PortOf(const json& proxy) {
  return ParseAddress(proxy["listen"].get<std::string>())->port;
}

TEST_CASE("the control API says why it cannot listen") {
  ApiRig rig;
  asio::io_context io;
  AsioClock clock(io);
  ProxyRegistry registry(
      io, clock, [](const std::string&) { return 1; }, [](const std::string&) {});
  ToxiproxyApi api(registry, "test-1.0");
  ApiServer second(io, api);
  const Status taken = second.Listen("127.0.0.1", rig.server().port());
  REQUIRE_FALSE(taken.ok());
  CHECK(taken.message() == "control API: cannot listen on 127.0.0.1:" +
                               std::to_string(rig.server().port()) +
                               ": bind: Address already in use");
  const Status not_local = second.Listen("192.0.2.1", 0);  // TEST-NET-1: no interface has it
  REQUIRE_FALSE(not_local.ok());
  CHECK(not_local.message() ==
        "control API: cannot listen on 192.0.2.1:0: bind: Cannot assign requested address");
}

TEST_CASE("GET /proxies is an empty object when there are none") {
  ApiRig rig;
  auto c = rig.Client();
  auto r = c.Get("/proxies");
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->get_header_value("Content-Type") == "application/json");
  CHECK(Body(r) == json::object());
}

TEST_CASE("POST /proxies creates a proxy - shows the bound port - lists it by name") {
  ApiRig rig;
  auto c = rig.Client();
  json p = rig.CreateProxy(c, "redis");
  CHECK(p["name"] == "redis");
  CHECK(p["enabled"] == true);
  CHECK(p["upstream"] == rig.echo_address());
  CHECK(p["toxics"] == json::array());
  CHECK(PortOf(p) != 0);
  json all = Body(c.Get("/proxies"));
  CHECK(all.size() == 1);
  CHECK(all["redis"] == p);
  CHECK(Body(c.Get("/proxies/redis")) == p);
}

TEST_CASE("POST /proxies errors: duplicate 409 - missing field 400 - bad JSON 400 - bind 500") {
  ApiRig rig;
  auto c = rig.Client();
  json p = rig.CreateProxy(c, "redis");
  CHECK(Post(c, "/proxies", NewProxy("redis", rig.echo_address()), 409) ==
        Error(409, "proxy already exists"));
  CHECK(Post(c, "/proxies", json{{"upstream", rig.echo_address()}}, 400) ==
        Error(400, "missing required field: name"));
  CHECK(Post(c, "/proxies", json{{"name", "db"}}, 400) ==
        Error(400, "missing required field: upstream"));
  auto bad = c.Post("/proxies", "{\"name\": ", "application/json");
  REQUIRE(bad);
  CHECK(bad->status == 400);
  CHECK(Body(bad)["error"].get<std::string>().starts_with("bad request body: "));
  json taken = NewProxy("db", rig.echo_address());
  taken["listen"] = p["listen"];
  json failed = Post(c, "/proxies", taken, 500);
  CHECK(failed["status"] == 500);
  CHECK(Body(c.Get("/proxies")).size() == 1);
  CHECK(c.Get("/proxies/db")->status == 404);
}

TEST_CASE("POST /proxies with enabled null creates an enabled proxy - false a disabled one") {
  ApiRig rig;
  auto c = rig.Client();
  json p = NewProxy("redis", rig.echo_address());
  p["enabled"] = nullptr;
  CHECK(Post(c, "/proxies", p, 201)["enabled"] == true);
  json off = NewProxy("db", rig.echo_address());
  off["enabled"] = false;
  CHECK(Post(c, "/proxies", off, 201)["enabled"] == false);
}

TEST_CASE("GET /proxies/{p} of an unknown proxy is 404 proxy not found") {
  ApiRig rig;
  auto c = rig.Client();
  CHECK(c.Get("/proxies/nope")->status == 404);
  CHECK(Body(c.Get("/proxies/nope")) == Error(404, "proxy not found"));
  CHECK(Body(c.Delete("/proxies/nope")) == Error(404, "proxy not found"));
  CHECK(Body(c.Get("/proxies/nope/toxics")) == Error(404, "proxy not found"));
}

TEST_CASE("PATCH /proxies/{p} merges fields - disabling closes the listener and keeps the port") {
  ApiRig rig;
  auto c = rig.Client();
  json p = rig.CreateProxy(c, "redis");
  testing::Client before(PortOf(p));
  REQUIRE(before.Exchange("ping") == "ping");

  auto r = c.Patch("/proxies/redis", R"({"enabled": false})", "application/json");
  REQUIRE(r);
  CHECK(r->status == 200);
  json off = Body(r);
  CHECK(off["enabled"] == false);
  CHECK(off["listen"] == p["listen"]);
  CHECK(off["upstream"] == p["upstream"]);
  CHECK(before.ReadEnd() != asio::error::would_block);  // its connection was closed
  CHECK(testing::Client(PortOf(p)).connect_error() == asio::error::connection_refused);

  json on = Post(c, "/proxies/redis", json{{"enabled", true}}, 200);  // POST works too
  CHECK(on["listen"] == p["listen"]);
  CHECK(testing::Client(PortOf(p)).Exchange("pong") == "pong");
}

TEST_CASE("PATCH /proxies/{p} with a new listen address restarts it there") {
  ApiRig rig;
  auto c = rig.Client();
  json p = rig.CreateProxy(c, "redis");
  auto r = c.Patch("/proxies/redis", R"({"listen": "127.0.0.1:0"})", "application/json");
  REQUIRE(r);
  json moved = Body(r);
  CHECK(moved["enabled"] == true);
  CHECK(moved["listen"] != p["listen"]);
  CHECK(testing::Client(PortOf(moved)).Exchange("ping") == "ping");
}

TEST_CASE("a listen or upstream without a host means 127.0.0.1 as Go's :port does") {
  ApiRig rig;
  auto c = rig.Client();
  const std::string upstream = ":" + std::to_string(ParseAddress(rig.echo_address())->port);
  json p = Post(c, "/proxies", json{{"name", "redis"}, {"listen", ":0"}, {"upstream", upstream}},
                201);
  CHECK(p["listen"].get<std::string>().starts_with("127.0.0.1:"));
  CHECK(p["upstream"] == upstream);
  CHECK(testing::Client(PortOf(p)).Exchange("ping") == "ping");
}

TEST_CASE("DELETE /proxies/{p} is 204 and closes the proxy") {
  ApiRig rig;
  auto c = rig.Client();
  json p = rig.CreateProxy(c, "redis");
  auto r = c.Delete("/proxies/redis");
  REQUIRE(r);
  CHECK(r->status == 204);
  CHECK(r->body.empty());
  CHECK(Body(c.Get("/proxies")) == json::object());
  CHECK(testing::Client(PortOf(p)).connect_error() == asio::error::connection_refused);
}

TEST_CASE("POST /proxies/{p}/toxics is 200 with Toxiproxy's defaults - GET lists it") {
  ApiRig rig;
  auto c = rig.Client();
  rig.CreateProxy(c, "redis");
  json t = Post(c, "/proxies/redis/toxics",
                json{{"type", "latency"}, {"attributes", {{"latency", 100}}}}, 200);
  CHECK(t == json{{"name", "latency_downstream"},
                  {"type", "latency"},
                  {"stream", "downstream"},
                  {"toxicity", 1.0},
                  {"attributes", {{"latency", 100}, {"jitter", 0}}}});
  CHECK(Body(c.Get("/proxies/redis/toxics")) == json::array({t}));
  CHECK(Body(c.Get("/proxies/redis/toxics/latency_downstream")) == t);
  CHECK(Body(c.Get("/proxies/redis"))["toxics"] == json::array({t}));
}

TEST_CASE("POST /proxies/{p}/toxics errors: name taken in either stream 409 - bad stream or type 400") {
  ApiRig rig;
  auto c = rig.Client();
  rig.CreateProxy(c, "redis");
  Post(c, "/proxies/redis/toxics", json{{"name", "t"}, {"type", "timeout"}, {"stream", "upstream"}},
       200);
  CHECK(Post(c, "/proxies/redis/toxics", json{{"name", "t"}, {"type", "latency"}}, 409) ==
        Error(409, "toxic already exists"));
  CHECK(Post(c, "/proxies/redis/toxics", json{{"type", "latency"}, {"stream", "sideways"}}, 400) ==
        Error(400, "stream was invalid, can be either upstream or downstream"));
  CHECK(Post(c, "/proxies/redis/toxics", json{{"type", "lag"}}, 400) ==
        Error(400, "invalid toxic type"));
  CHECK(Post(c, "/proxies/nope/toxics", json{{"type", "latency"}}, 404) ==
        Error(404, "proxy not found"));
  CHECK(Body(c.Get("/proxies/redis/toxics/nope")) == Error(404, "toxic not found"));
}

TEST_CASE("PATCH /proxies/{p}/toxics/{t} merges attributes and toxicity - DELETE removes it") {
  ApiRig rig;
  auto c = rig.Client();
  rig.CreateProxy(c, "redis");
  Post(c, "/proxies/redis/toxics",
       json{{"name", "slow"}, {"type", "latency"}, {"attributes", {{"latency", 100}, {"jitter", 5}}}},
       200);
  auto r = c.Patch("/proxies/redis/toxics/slow",
                   R"({"attributes": {"latency": 300}, "toxicity": 0.5})", "application/json");
  REQUIRE(r);
  CHECK(r->status == 200);
  json t = Body(r);
  CHECK(t["attributes"] == json{{"latency", 300}, {"jitter", 5}});
  CHECK(t["toxicity"] == 0.5);
  CHECK(Post(c, "/proxies/redis/toxics/slow", json{{"toxicity", 1}}, 200)["toxicity"] == 1.0);
  auto d = c.Delete("/proxies/redis/toxics/slow");
  REQUIRE(d);
  CHECK(d->status == 204);
  CHECK(Body(c.Get("/proxies/redis/toxics")) == json::array());
  CHECK(Body(c.Delete("/proxies/redis/toxics/slow")) == Error(404, "toxic not found"));
}

TEST_CASE("POST /populate validates all before creating any - keeps unchanged proxies' toxics") {
  ApiRig rig;
  auto c = rig.Client();
  json bad = json::array({NewProxy("a", rig.echo_address()), json{{"name", "b"}}});
  CHECK(Post(c, "/populate", bad, 400) ==
        Error(400, "missing required field: upstream at proxy 2"));
  CHECK(Body(c.Get("/proxies")) == json::object());

  json created = Post(c, "/populate",
                      json::array({NewProxy("a", rig.echo_address()),
                                   NewProxy("b", rig.echo_address())}),
                      201);
  REQUIRE(created["proxies"].size() == 2);
  json a = created["proxies"][0];
  Post(c, "/proxies/a/toxics", json{{"type", "latency"}}, 200);
  json again = Post(c, "/populate",
                    json::array({json{{"name", "a"}, {"listen", a["listen"]},
                                      {"upstream", a["upstream"]}, {"enabled", nullptr}}}),
                    201);
  CHECK(again["proxies"][0]["toxics"].size() == 1);
  CHECK(again["proxies"][0]["listen"] == a["listen"]);
}

TEST_CASE("POST /reset enables every proxy and removes every toxic") {
  ApiRig rig;
  auto c = rig.Client();
  json p = rig.CreateProxy(c, "a");
  rig.CreateProxy(c, "b");
  Post(c, "/proxies/a/toxics", json{{"type", "hang"}}, 200);
  Post(c, "/proxies/b", json{{"enabled", false}}, 200);
  auto r = c.Post("/reset", "", "application/json");
  REQUIRE(r);
  CHECK(r->status == 204);
  json all = Body(c.Get("/proxies"));
  CHECK(all["a"]["toxics"] == json::array());
  CHECK(all["b"]["enabled"] == true);
  CHECK(testing::Client(PortOf(p)).Exchange("ping") == "ping");
}

TEST_CASE("POST /reset removing a timeout toxic closes the connections it held") {
  ApiRig rig;
  auto c = rig.Client();
  json p = rig.CreateProxy(c, "redis");
  testing::Client client(PortOf(p));
  REQUIRE(client.Exchange("ping") == "ping");
  Post(c, "/proxies/redis/toxics", json{{"type", "timeout"}, {"attributes", {{"timeout", 0}}}}, 200);
  REQUIRE(client.Send("lost"));
  CHECK(client.Silent(100ms));
  REQUIRE(c.Post("/reset", "", "application/json")->status == 204);
  CHECK(client.ReadEnd() == asio::error::eof);
}

TEST_CASE("POST /reset without Content-Length is answered as Ruby's Net::HTTP sends it") {
  ApiRig rig;
  testing::Client raw(rig.server().port());
  const std::string request = "POST /reset HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  REQUIRE(raw.Send(request));
  CHECK(raw.Read(12).starts_with("HTTP/1.1 204"));
}

TEST_CASE("GET /version answers with the version") {
  ApiRig rig;
  auto c = rig.Client();
  CHECK(Body(c.Get("/version")) == json{{"version", "test-1.0"}});
}

TEST_CASE("a browser's User-Agent gets 403 - unknown paths 404 - wrong methods 405") {
  ApiRig rig;
  auto c = rig.Client();
  auto r = c.Get("/proxies", {{"User-Agent", "Mozilla/5.0 (X11; Linux x86_64)"}});
  REQUIRE(r);
  CHECK(r->status == 403);
  CHECK(c.Get("/nowhere")->status == 404);
  CHECK(c.Get("/proxies/a/toxics/b/c")->status == 404);
  CHECK(c.Delete("/proxies")->status == 405);
  CHECK(c.Get("/reset")->status == 405);
}

TEST_CASE("a proxy created over the API forwards bytes and a latency toxic delays them") {
  ApiRig rig;
  auto c = rig.Client();
  json p = rig.CreateProxy(c, "echo");
  testing::Client client(PortOf(p));
  REQUIRE(client.Exchange("ping") == "ping");
  Post(c, "/proxies/echo/toxics", json{{"type", "latency"}, {"attributes", {{"latency", 300}}}},
       200);
  const auto start = SteadyClock::now();
  CHECK(client.Exchange("slow") == "slow");
  CHECK(testing::Since(start) >= 300ms);
  REQUIRE(c.Delete("/proxies/echo/toxics/latency_downstream")->status == 204);
  CHECK(client.Exchange("fast") == "fast");
}

TEST_CASE("Stop answers nothing more and ends the server's threads") {
  ApiRig rig;
  auto c = rig.Client();
  REQUIRE(c.Get("/version")->status == 200);
  rig.server().Stop();
  CHECK_FALSE(c.Get("/version"));
}

// curl -d sends Content-Type: application/x-www-form-urlencoded, whose bodies
// cpp-httplib refused above 8 KiB (413, empty).
TEST_CASE("a form-encoded body is read as JSON up to 1 MiB - a larger one is a JSON 413") {
  ApiRig rig;
  auto c = rig.Client();
  const std::string proxies = json::array({NewProxy("a", rig.echo_address())}).dump();
  for (size_t size : {size_t{9'000}, size_t{500'000}, ApiServer::kMaxBodyBytes}) {
    CAPTURE(size);
    auto r = c.Post("/populate", proxies + std::string(size - proxies.size(), ' '),
                    "application/x-www-form-urlencoded");
    REQUIRE(r);
    CHECK_MESSAGE(r->status == 201, r->body);
  }
  auto big = c.Post("/populate", proxies + std::string(ApiServer::kMaxBodyBytes, ' '),
                    "application/x-www-form-urlencoded");
  REQUIRE(big);
  CHECK(big->status == 413);
  CHECK(Body(big) == Error(413, "request body larger than 1048576 bytes"));
  CHECK(Body(c.Get("/version")) == json{{"version", "test-1.0"}});
}

TEST_CASE("a chunked body is a JSON 411 and its connection is closed") {
  ApiRig rig;
  testing::Client raw(rig.server().port());
  REQUIRE(raw.Send("POST /proxies HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                   "2\r\n{}\r\n0\r\n\r\n"));
  testing::error_code ec;
  const std::string answer = raw.Read(SIZE_MAX, 5s, &ec);
  CHECK(answer.starts_with("HTTP/1.1 411"));
  CHECK(answer.ends_with(Error(411, "send the body with a Content-Length (no Transfer-Encoding)")
                             .dump()));
  CHECK((ec == asio::error::eof || ec == asio::error::connection_reset));  // closed
}

TEST_CASE("Expect 100-continue gets one 100 Continue before the body is sent") {
  ApiRig rig;
  testing::Client raw(rig.server().port());
  const std::string body = NewProxy("a", rig.echo_address()).dump();
  REQUIRE(raw.Send("POST /proxies HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
                   "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n"));
  const std::string go_on = "HTTP/1.1 100 Continue\r\n\r\n";
  CHECK(raw.Read(go_on.size()) == go_on);
  REQUIRE(raw.Send(body));
  CHECK(raw.Read(12) == "HTTP/1.1 201");
}

// A worker took a connection once its head was in and waited up to 5 s for
// its body: four such clients held every worker.
TEST_CASE("clients sending their bodies slowly hold no worker - others are answered meanwhile") {
  ApiRig rig;
  std::vector<std::unique_ptr<testing::Client>> slow;
  const std::string start = "{\"name\": \"";
  for (int i = 0; i < 2 * ApiServer::kThreads; i++) {
    slow.push_back(std::make_unique<testing::Client>(rig.server().port()));
    REQUIRE(slow.back()->Send("POST /proxies HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n" +
                              start));
  }
  auto c = rig.Client();
  CHECK(Body(c.Get("/version")) == json{{"version", "test-1.0"}});
  for (auto& client : slow) CHECK(client->Silent(0ms));  // neither answered nor closed yet
  // The rest of a body: the request is answered at once.
  std::string rest = "a\", \"upstream\": \"" + rig.echo_address() + "\"}";
  rest += std::string(100 - start.size() - rest.size(), ' ');
  REQUIRE(slow[0]->Send(rest));
  CHECK(slow[0]->Read(12) == "HTTP/1.1 201");
}

// Found by tests/fuzz/control_api_fuzz.cc: the parse error quotes the bytes
// it read, and rendering invalid UTF-8 threw out of the io_context's thread.
TEST_CASE("a body with invalid UTF-8 is a 400 in valid JSON - the server stays up") {
  ApiRig rig;
  auto c = rig.Client();
  auto bad = c.Post("/proxies", "{\"name\": \"a\xff\x97\"}", "application/json");
  REQUIRE(bad);
  CHECK(bad->status == 400);
  CHECK(Body(bad)["error"].get<std::string>().starts_with("bad request body: parse error"));
  CHECK(Body(c.Get("/proxies")) == json::object());
}

}  // namespace
}  // namespace faultline
