// Scraper: fetches a Prometheus text page (a target's /metrics) over HTTP on
// the caller's event loop, for custom metrics that /proc cannot see, such as
// go_goroutines.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "harness/common/asio.h"
#include "harness/common/status.h"
#include "harness/common/units.h"
#include "harness/scrape/prometheus.h"

namespace faultline {

/// Scrapes http://127.0.0.1:PORT/PATH. Runs entirely on the given io_context
/// (no threads of its own); not thread-safe, use it from the thread that runs
/// the io_context, which must outlive it.
///
/// Each scrape opens a fresh loopback connection and sends an HTTP/1.1 GET with
/// `Connection: close`, then reads until the server closes. Chunked transfer
/// encoding (which Go's net/http uses for bodies it did not size up front) and
/// Content-Length bodies are both understood.
class Scraper {
 public:
  using Callback = std::function<void(StatusOr<PromParse>)>;

  /// Largest response accepted (status line, headers, chunk framing and body).
  static constexpr size_t kMaxResponseBytes = size_t{4} << 20;

  /// `path` is the request target, e.g. "/metrics". `timeout` bounds each
  /// scrape as a whole: connect, request and response.
  Scraper(asio::io_context& io, uint16_t port, std::string path, Duration timeout);
  /// Abandons pending scrapes: their connections are closed at once and their
  /// callbacks never run.
  ~Scraper();
  Scraper(const Scraper&) = delete;
  Scraper& operator=(const Scraper&) = delete;

  /// Starts one scrape. `done` runs exactly once, on the io_context and never
  /// inside this call, with the parsed page (malformed lines are in its
  /// `errors`, they do not fail the scrape) or with Unavailable naming the URL
  /// and the cause: connect error, timeout, non-200 status, bad HTTP, or a
  /// response over kMaxResponseBytes. On timeout the connection is closed.
  /// Scrapes may overlap; each has its own connection and deadline.
  void Scrape(Callback done);

  /// "http://127.0.0.1:PORT/metrics", as it appears in error messages.
  const std::string& url() const { return url_; }

 private:
  struct Attempt;

  asio::io_context& io_;
  uint16_t port_;
  std::string path_;
  Duration timeout_;
  std::string url_;
  std::vector<std::weak_ptr<Attempt>> pending_;  // to abandon on destruction
};

/// Splits a complete HTTP/1.x response (as read up to EOF) and returns its
/// body, decoding chunked transfer encoding and honouring Content-Length.
/// A status other than 200 is an error carrying the status line, e.g.
/// "HTTP 500 Internal Server Error". Exposed for tests.
StatusOr<std::string> DecodeHttpResponse(std::string_view response);

}  // namespace faultline
