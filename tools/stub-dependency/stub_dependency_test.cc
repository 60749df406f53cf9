#include "tools/stub-dependency/stub_dependency.h"

#include <doctest/doctest.h>
#include <httplib.h>

#include <chrono>
#include <string>

#include "targets/common/test_server.h"

namespace faultline::stub {
namespace {

using namespace std::chrono_literals;
using targets::TestServer;

struct Stub {
  explicit Stub(const Options& options) {
    RegisterRoutes(server.server(), options);
    server.Start();
  }
  httplib::Client Client() const {
    httplib::Client client(server.url());
    client.set_read_timeout(5s);
    return client;
  }
  TestServer server;
};

TEST_CASE("every path and method gets the configured status and body size") {
  Stub stub(Options{.latency = Duration::zero(), .status = 503, .body_size = 10 * 1024});
  auto client = stub.Client();
  auto get = client.Get("/stock?id=3");
  REQUIRE(get);
  CHECK(get->status == 503);
  CHECK(get->body == std::string(10 * 1024, 'x'));
  CHECK(get->get_header_value("Content-Type") == "text/plain");

  auto post = client.Post("/anything/else", "payload", "text/plain");
  REQUIRE(post);
  CHECK(post->status == 503);
  CHECK(post->body.size() == 10 * 1024);
}

TEST_CASE("the default answer is 200 with 64 bytes") {
  Stub stub(Options{});
  auto got = stub.Client().Get("/");
  REQUIRE(got);
  CHECK(got->status == 200);
  CHECK(got->body.size() == 64);
}

TEST_CASE("answers come no sooner than the configured latency") {
  Stub stub(Options{.latency = 200ms});
  const auto start = std::chrono::steady_clock::now();
  auto got = stub.Client().Get("/slow");
  const auto elapsed = std::chrono::steady_clock::now() - start;
  REQUIRE(got);
  CHECK(got->status == 200);
  CHECK(elapsed >= 200ms);
}

TEST_CASE("healthz answers 200 at once - whatever the stub is told to do") {
  Stub stub(Options{.latency = 10s, .status = 500, .body_size = 1});
  const auto start = std::chrono::steady_clock::now();
  auto got = stub.Client().Get("/healthz");
  const auto elapsed = std::chrono::steady_clock::now() - start;
  REQUIRE(got);
  CHECK(got->status == 200);
  CHECK(got->body == "ok");
  CHECK(elapsed < 1s);
}

}  // namespace
}  // namespace faultline::stub
