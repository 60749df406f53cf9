// HttpClient: the harness's one HTTP/1.1 client (Boost.Beast underneath;
// no Beast type appears here). The load generator, the metrics scraper and
// the HTTP readiness probe all send their requests through it.
//
// One client talks to one loopback endpoint (an IP literal, or "localhost"
// for 127.0.0.1; never a DNS lookup). Each Send() is one exchange: the
// request goes out on an idle keep-alive connection when there is one (most
// recently used first), on a new connection otherwise. Exchanges overlap
// freely; a connection carries one exchange at a time.
//
// Deadlines: every exchange ends within `timeout` of its Send(), measured on
// the Clock: connect, write and the whole response. When the deadline passes
// the connection is closed (the cancellation signal a well-behaved server
// should notice) and the exchange ends kTimeout.
//
// Stale keep-alive connections: an idle connection watches for readability,
// so one the server closes while idle leaves the pool at once. When a reused
// connection still fails before any response byte arrives and within 20 ms of
// the request (the server closed it just as the request was written), an
// idempotent request (GET, HEAD, OPTIONS, TRACE, PUT, DELETE) is sent once
// more on a new connection, with the same deadline, as HTTP clients do. A
// POST or PATCH is never sent twice, and a connection the server closed
// after holding the request is the server's failure, reported as such.
//
// Responses: status, framing (Content-Length, chunked, or to EOF) and
// keep-alive are honoured; the body is discarded unless `keep_body` is set.
// A connection is pooled after a response only if both sides allow
// keep-alive and no unsolicited bytes follow the response.
//
// Footprint: per connection, a socket, a timer, and while a response is read
// a parser and a read buffer of at most one header plus 16 KiB; no buffer is
// held while waiting for a silent server. Nothing per exchange outlives it.
//
// Threading: single-threaded. Call every method on the thread that runs the
// io_context (and drives the Clock); callbacks run there too. The request
// text passed to Send must stay valid until its callback runs or the client
// is destroyed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "harness/common/asio.h"
#include "harness/common/clock.h"
#include "harness/common/status.h"
#include "harness/common/units.h"

namespace faultline {

/// What one request says; FormatHttpRequest turns it into wire text once, so
/// a request sent many times is serialized once.
struct HttpRequest {
  std::string method = "GET";
  std::string target = "/";  // request-target: path and query
  std::map<std::string, std::string> headers;  // Content-Length/Transfer-Encoding are ignored
  std::string body;
};

/// The request as sent to `host`:`port`: request line, headers in name
/// order, then Host (unless given; an IPv6 literal is bracketed) and
/// Content-Length (when there is a body, or for POST, PUT and PATCH).
std::string FormatHttpRequest(const HttpRequest& request, const std::string& host, uint16_t port);

/// How one exchange ended.
struct HttpResult {
  enum class Error {
    kNone,         // a complete response arrived (any status)
    kConnect,      // the connection could not be made
    kSend,         // writing the request failed
    kReceive,      // the connection failed or closed before a full response
    kTimeout,      // no full response before the deadline
    kBadResponse,  // the bytes were not a valid HTTP/1.x response
    kTooLarge,     // the response exceeded max_response_bytes (or a header 8 KiB)
  };
  Error error = Error::kNone;
  boost::system::error_code cause;  // the underlying error, for kConnect..kBadResponse
  int status = 0;                   // the HTTP status when a response arrived
  std::string reason;               // the reason phrase; only with keep_body
  std::string body;                 // the decoded body; only with keep_body
  TimePoint sent_at;                // when Send() started the exchange, on the Clock
  // Sent a second time, on a new connection: the reused one closed on it
  // before any response byte (a close race, or a server that drops it).
  bool retried = false;
  bool ok() const { return error == Error::kNone; }
};

struct HttpClientOptions {
  std::string host = "127.0.0.1";  // an IP literal or "localhost"
  uint16_t port = 0;
  Duration timeout = std::chrono::seconds(5);  // per exchange, from Send()
  bool reuse_connections = true;    // false: one connection per exchange
  bool keep_body = false;           // keep the reason phrase and the body
  size_t max_response_bytes = 0;    // status line to last body byte; 0 = no limit
};

class HttpClient {
 public:
  using Done = std::function<void(const HttpResult&)>;

  HttpClient(asio::io_context& io, Clock& clock, HttpClientOptions options);
  /// Closes every connection; callbacks of unfinished exchanges never run.
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  /// Starts one exchange sending `request` (wire text, see FormatHttpRequest).
  /// `done` runs exactly once, later, never inside Send (unless the client
  /// is destroyed or CloseAll() comes first: then never). Unavailable (and
  /// `done` never runs) when no connection can even be opened: the host is
  /// not an address, or the socket cannot be created (out of descriptors).
  /// The client may be destroyed from inside `done`.
  Status Send(std::string_view request, Done done);

  /// Closes the idle keep-alive connections.
  void CloseIdle();
  /// Closes every connection; unfinished exchanges end without a callback.
  void CloseAll();

  uint64_t open_connections() const;  // busy + idle
  uint64_t idle_connections() const;

  /// The error in words, for messages: "connect: Connection refused",
  /// "timed out after 50ms", "response larger than 4.0 MiB", ...
  std::string Describe(const HttpResult& result) const;

 private:
  class Connection;
  class Pool;
  std::unique_ptr<Pool> pool_;
};

}  // namespace faultline
