#include "tools/stub-dependency/stub_dependency.h"

#include <dirent.h>
#include <doctest/doctest.h>
#include <httplib.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace faultline::stub {
namespace {

using namespace std::chrono_literals;

// The stub on its own io_context thread, on a free port.
struct Stub {
  explicit Stub(const Options& options) : server(io, options, 0), thread([this] { io.run(); }) {}
  ~Stub() {
    io.stop();
    thread.join();
  }
  httplib::Client Client() const {
    httplib::Client client("127.0.0.1", server.port());
    client.set_read_timeout(5s);
    return client;
  }
  asio::io_context io{1};
  StubServer server;
  std::thread thread;
};

int Threads() {
  int n = 0;
  DIR* dir = ::opendir("/proc/self/task");
  REQUIRE(dir != nullptr);
  while (const dirent* entry = ::readdir(dir)) n += entry->d_name[0] != '.';
  ::closedir(dir);
  return n;
}

// Sends `request` on a fresh connection and reads until the stub closes it
// (or 5 s pass).
std::string Exchange(uint16_t port, const std::string& request) {
  asio::io_context io;
  tcp::socket socket(io);
  socket.connect({asio::ip::address_v4::loopback(), port});
  asio::write(socket, asio::buffer(request));
  struct timeval limit {
    5, 0
  };
  ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  std::string got;
  char chunk[4096];
  boost::system::error_code ec;
  while (!ec) got.append(chunk, socket.read_some(asio::buffer(chunk), ec));
  return got;
}

TEST_CASE("every path and method gets the configured status and body size") {
  Stub stub(Options{.latency = Duration::zero(), .status = 503, .body_size = 10 * 1024});
  auto client = stub.Client();
  auto get = client.Get("/stock?id=3");
  REQUIRE(get);
  CHECK(get->status == 503);
  CHECK(get->body == std::string(10 * 1024, 'x'));
  CHECK(get->get_header_value("Content-Type") == "text/plain");

  auto post = client.Post("/anything/else", std::string(100000, 'p'), "text/plain");
  REQUIRE(post);
  CHECK(post->status == 503);
  CHECK(post->body.size() == 10 * 1024);

  auto head = client.Head("/x");
  REQUIRE(head);
  CHECK(head->status == 503);
  CHECK(head->get_header_value("Content-Length") == "10240");
  CHECK(head->body.empty());
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

TEST_CASE("keep-alive as the client asks: pipelined requests on one connection then a close") {
  Stub stub(Options{.body_size = 3});
  const std::string got = Exchange(stub.server.port(),
                                   "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
                                   "GET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  const std::string answer = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n";
  CHECK(got == answer + "\r\nxxx" + answer + "Connection: close\r\n\r\nxxx");
}

TEST_CASE("a request it cannot parse gets 400 and a close") {
  Stub stub(Options{});
  const std::string got = Exchange(stub.server.port(), "NOT HTTP AT ALL\r\n\r\n");
  CHECK(got.rfind("HTTP/1.1 400 Bad Request\r\n", 0) == 0);
  CHECK(got.find("Connection: close\r\n") != std::string::npos);
}

TEST_CASE("an idle connection is closed after the idle timeout") {
  Stub stub(Options{.idle_timeout = 100ms});
  const auto start = std::chrono::steady_clock::now();
  CHECK(Exchange(stub.server.port(), "").empty());  // closed without a word
  CHECK(std::chrono::steady_clock::now() - start < 4s);
}

TEST_CASE("idle and slow connections hold no thread") {
  // What a `hang` does to the stub: connections opened and never sent on,
  // and requests waiting on their latency. Neither may cost a thread.
  Stub stub(Options{.latency = 10s});
  const int before = Threads();
  asio::io_context io;
  std::vector<tcp::socket> sockets;
  for (int i = 0; i < 200; ++i) {
    tcp::socket& socket = sockets.emplace_back(io);
    socket.connect({asio::ip::address_v4::loopback(), stub.server.port()});
    if (i % 2) asio::write(socket, asio::buffer(std::string("GET / HTTP/1.1\r\nHost: x\r\n\r\n")));
  }
  // The stub has seen them all once /healthz on one more connection is answered.
  auto healthz = stub.Client().Get("/healthz");
  REQUIRE(healthz);
  CHECK(Threads() == before);
}

}  // namespace
}  // namespace faultline::stub
