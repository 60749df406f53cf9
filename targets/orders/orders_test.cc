#include "targets/orders/orders.h"

#include <doctest/doctest.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <string>
#include <mutex>
#include <thread>
#include <vector>

#include "harness/common/ports.h"
#include "targets/common/test_server.h"

namespace faultline::orders {
namespace {

using namespace std::chrono_literals;
using targets::HungDependency;
using targets::TestServer;

// An inventory that answers "stock of <id>" after `latency`, counting calls.
struct FakeInventory {
  explicit FakeInventory(Duration latency = Duration::zero()) {
    server.server().Get("/stock",
                        [this, latency](const httplib::Request& req, httplib::Response& res) {
                          ++calls;
                          {
                            std::lock_guard<std::mutex> lock(mu);
                            traceparents.push_back(req.get_header_value("traceparent"));
                          }
                          // The inventory being slow is the behaviour under test, not
                          // synchronisation.
                          if (latency > Duration::zero()) std::this_thread::sleep_for(latency);
                          res.set_content("stock of " + req.get_param_value("id"), "text/plain");
                        });
    server.Start();
  }
  std::string url() const { return server.url(); }
  std::atomic<int> calls = 0;
  std::mutex mu;
  std::vector<std::string> traceparents;  // per call; "" when it had none
  TestServer server;
};

// orders-service in-process, in front of `inventory_url`.
struct Orders {
  Orders(Mode mode, Duration budget, const std::string& inventory_url) {
    RegisterRoutes(server.server(), Options{inventory_url, mode, budget});
    server.Start();
  }
  TestServer server;
};

struct Timed {
  httplib::Result result;
  Duration elapsed;
};

Timed Get(const TestServer& server, const std::string& path, Duration client_timeout = 5s) {
  httplib::Client client(server.url());
  client.set_read_timeout(client_timeout);
  const auto start = std::chrono::steady_clock::now();
  auto result = client.Get(path);
  return {std::move(result), std::chrono::steady_clock::now() - start};
}

TEST_CASE("healthz answers ok and an order without a numeric id is a 400") {
  Orders orders(Mode::kPropagate, 2s, "http://127.0.0.1:1");
  auto health = Get(orders.server, "/healthz");
  REQUIRE(health.result);
  CHECK(health.result->status == 200);
  CHECK(health.result->body == "ok");
  auto bad = Get(orders.server, "/order?id=seven");
  REQUIRE(bad.result);
  CHECK(bad.result->status == 400);
}

TEST_CASE("both modes: a healthy inventory gives 200 with its stock in the order") {
  FakeInventory inventory;
  for (Mode mode : {Mode::kPropagate, Mode::kNaive}) {
    CAPTURE(ModeName(mode));
    Orders orders(mode, 2s, inventory.url());
    auto got = Get(orders.server, "/order?id=7");
    REQUIRE(got.result);
    CHECK(got.result->status == 200);
    CHECK(got.result->body == R"({"order":7,"stock":"stock of 7"})");
  }
  CHECK(inventory.calls == 2);
}

TEST_CASE("both modes forward the caller's traceparent to inventory - and none when it had none") {
  FakeInventory inventory;
  const std::string traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
  for (Mode mode : {Mode::kPropagate, Mode::kNaive}) {
    CAPTURE(ModeName(mode));
    Orders orders(mode, 2s, inventory.url());
    httplib::Client client(orders.server.url());
    auto traced = client.Get("/order?id=7", {{"traceparent", traceparent}});
    REQUIRE(traced);
    CHECK(traced->status == 200);
    auto plain = client.Get("/order?id=8");
    REQUIRE(plain);
  }
  std::lock_guard<std::mutex> lock(inventory.mu);
  CHECK(inventory.traceparents ==
        std::vector<std::string>{traceparent, "", traceparent, ""});
}

TEST_CASE("propagate: a hung inventory costs a 504 after the budget - not more") {
  HungDependency inventory;
  Orders orders(Mode::kPropagate, 300ms, inventory.url());
  auto got = Get(orders.server, "/order?id=1");
  REQUIRE(got.result);
  CHECK(got.result->status == 504);
  CHECK(got.result->body == "deadline exceeded after 300ms calling inventory");
  CHECK(got.elapsed >= 300ms);
  CHECK(got.elapsed < 1s);
}

TEST_CASE("propagate: an inventory slower than the budget costs a 504 at the budget") {
  FakeInventory inventory(600ms);
  Orders orders(Mode::kPropagate, 300ms, inventory.url());
  auto got = Get(orders.server, "/order?id=1");
  REQUIRE(got.result);
  CHECK(got.result->status == 504);
  CHECK(got.elapsed >= 300ms);
  CHECK(got.elapsed < 600ms);  // did not wait for the slow answer
}

TEST_CASE("propagate: a refused connection to inventory is a 502") {
  const auto port = AllocatePort();  // nothing listens there
  REQUIRE(port.ok());
  Orders orders(Mode::kPropagate, 2s, "http://127.0.0.1:" + std::to_string(*port));
  auto got = Get(orders.server, "/order?id=1");
  REQUIRE(got.result);
  CHECK(got.result->status == 502);
  CHECK(got.result->body == "inventory: GET /stock?id=1: Connection");
  CHECK(got.elapsed < 1s);
}

TEST_CASE("naive: a hung inventory holds the request and its thread until inventory goes away") {
  HungDependency inventory;
  Orders orders(Mode::kNaive, 300ms, inventory.url());
  // Three budgets' worth of patience, and still no answer: nothing gave up.
  auto got = Get(orders.server, "/order?id=1", 900ms);
  CHECK_FALSE(got.result);
  CHECK(got.result.error() == httplib::Error::Read);
  CHECK(got.elapsed >= 900ms);
  // Our client has left, but the handler thread is still waiting on inventory.
  CHECK(orders.server.threads().live() >= 1);

  inventory.Close();  // resets the stuck connection: the thread can finish
  CHECK(orders.server.threads().WaitUntilNone(2s));
}

TEST_CASE("an already expired deadline makes no call at all") {
  FakeInventory inventory;
  const StockReply reply =
      Inventory(inventory.url()).GetStock(Deadline::After(Duration::zero()), 1);
  CHECK(reply.kind == StockReply::Kind::kDeadlineExceeded);
  CHECK(inventory.calls == 0);
}

TEST_CASE("a deadline counts down from its budget and stays expired") {
  const Deadline deadline = Deadline::After(1h);
  CHECK_FALSE(deadline.expired());
  CHECK(deadline.remaining() <= 1h);
  CHECK(deadline.remaining() > 59min);
  CHECK(deadline.budget() == 1h);
  const Deadline gone = Deadline::After(-1s);
  CHECK(gone.expired());
  CHECK(gone.remaining() == Duration::zero());
}

TEST_CASE("ParseMode accepts exactly the two mode names") {
  CHECK(ParseMode("propagate") == Mode::kPropagate);
  CHECK(ParseMode("naive") == Mode::kNaive);
  CHECK_FALSE(ParseMode("Naive"));
  CHECK_FALSE(ParseMode(""));
}

}  // namespace
}  // namespace faultline::orders
