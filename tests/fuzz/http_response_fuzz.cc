// Fuzz target: the HTTP response parsing of HttpClient
// (harness/common/http_client.h), used by the scraper, the readiness probes
// and the load generator. The parser is Beast's response_parser with the
// client's own body reader, driven from the connection's read handler; no
// function takes the bytes apart from the socket, so this target drives
// the real client over loopback: a server on 127.0.0.1:0 reads the request,
// writes the input's bytes as the response (in 1 to 4 writes) and closes
// its sending side; the client's HttpResult is checked.
//
// Input: byte 0 chooses the client's options (bit 0 keep_body, bit 1 a HEAD
// request, bit 2 reuse_connections, bit 3 max_response_bytes = 256, bits 4-5
// the number of writes minus one); the rest is the response.
// Contract checked: the exchange ends (the server's FIN ends every
// response, so a timeout is a hang), and with no error the body is kept
// only with keep_body and stays within max_response_bytes.
//
// The server closes with SO_LINGER 0 when done, so when the client closed
// first (it had a complete response) neither side keeps a TIME_WAIT. When
// the server's FIN went first, its side does (the kernel caps them at
// tcp_max_tw_buckets); they are keyed by the listening port, so they never
// take an ephemeral port from a connect().

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/common/asio.h"
#include "harness/common/clock.h"
#include "harness/common/http_client.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

using boost::system::error_code;
using faultline::HttpResult;
namespace asio = faultline::asio;
using faultline::tcp;

// The responding side of one exchange: reads the request head, writes the
// chunks one after another, then shuts down its sending side.
class Responder {
 public:
  Responder(tcp::socket socket, std::vector<std::string> chunks)
      : socket_(std::move(socket)), chunks_(std::move(chunks)) {}

  void Start() { ReadRequest(); }

  // Closes the connection with a reset once the exchange is over.
  void Reset() {
    error_code ignored;
    socket_.set_option(asio::socket_base::linger(true, 0), ignored);
    socket_.close(ignored);
  }

 private:
  void ReadRequest() {
    socket_.async_read_some(asio::buffer(buf_), [this](const error_code& ec, size_t n) {
      if (ec) return;
      request_.append(buf_.data(), n);
      if (request_.find("\r\n\r\n") == std::string::npos) return ReadRequest();
      WriteChunk(0);
    });
  }

  void WriteChunk(size_t i) {
    if (i == chunks_.size()) {
      error_code ignored;
      socket_.shutdown(tcp::socket::shutdown_send, ignored);
      return;
    }
    asio::async_write(socket_, asio::buffer(chunks_[i]), [this, i](const error_code& ec, size_t) {
      if (ec) return;  // the client gave up (too large, bad response): fine
      WriteChunk(i + 1);
    });
  }

  tcp::socket socket_;
  std::vector<std::string> chunks_;
  std::array<char, 4096> buf_{};
  std::string request_;
};

struct Loopback {
  asio::io_context io;
  faultline::AsioClock clock{io};
  tcp::acceptor acceptor{io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)};
  uint16_t port = acceptor.local_endpoint().port();
};

Loopback& Shared() {
  static Loopback* loopback = new Loopback;  // lives for the whole process
  return *loopback;
}

std::vector<std::string> Split(std::string_view response, size_t parts) {
  std::vector<std::string> chunks;
  const size_t step = std::max<size_t>(1, (response.size() + parts - 1) / parts);
  for (size_t at = 0; at < response.size(); at += step) {
    chunks.emplace_back(response.substr(at, step));
  }
  return chunks;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t flags = data[0];
  std::string_view response(reinterpret_cast<const char*>(data + 1), size - 1);
  Loopback& lb = Shared();

  faultline::HttpClientOptions options;
  options.port = lb.port;
  options.timeout = std::chrono::seconds(5);
  options.keep_body = (flags & 1) != 0;
  options.reuse_connections = (flags & 4) != 0;
  options.max_response_bytes = (flags & 8) != 0 ? 256 : 0;
  faultline::HttpRequest request;
  request.method = (flags & 2) != 0 ? "HEAD" : "GET";
  request.target = "/metrics";
  const std::string wire = faultline::FormatHttpRequest(request, "127.0.0.1", lb.port);

  std::unique_ptr<Responder> responder;
  lb.acceptor.async_accept([&](const error_code& ec, tcp::socket socket) {
    if (ec) return;
    responder = std::make_unique<Responder>(std::move(socket),
                                            Split(response, 1 + ((flags >> 4) & 3)));
    responder->Start();
  });

  std::optional<HttpResult> got;
  {
    faultline::HttpClient client(lb.io, lb.clock, options);
    FUZZ_CHECK(client.Send(wire, [&](const HttpResult& r) { got = r; }).ok());
    lb.io.restart();
    while (!got && lb.io.run_one() > 0) {
    }
  }
  error_code ignored;
  lb.acceptor.cancel(ignored);  // in case no connection came
  if (responder) responder->Reset();
  lb.io.restart();
  lb.io.run();  // the cancelled operations' handlers
  responder.reset();

  FUZZ_CHECK(got.has_value());
  FUZZ_CHECK(got->error != HttpResult::Error::kTimeout);
  if (got->ok()) {
    FUZZ_CHECK(got->status >= 0 && got->status <= 999);
    if (!options.keep_body) FUZZ_CHECK(got->body.empty() && got->reason.empty());
    if (options.max_response_bytes > 0) FUZZ_CHECK(got->body.size() <= options.max_response_bytes);
  }
  return 0;
}
