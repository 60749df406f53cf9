// Scraper: fetches a Prometheus text page (a target's /metrics) over HTTP on
// the caller's event loop, for custom metrics that /proc cannot see, such as
// go_goroutines.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "harness/common/asio.h"
#include "harness/common/clock.h"
#include "harness/common/http_client.h"
#include "harness/common/status.h"
#include "harness/common/units.h"
#include "harness/scrape/prometheus.h"

namespace faultline {

/// Scrapes http://127.0.0.1:PORT/PATH. Runs entirely on the given io_context
/// (no threads of its own) and takes its deadlines from `clock`; not
/// thread-safe, use it from the thread that runs the io_context, which must
/// outlive it (as must the clock).
///
/// Each scrape opens a fresh loopback connection and sends an HTTP/1.1 GET with
/// `Connection: close` through HttpClient, which reads the response by its
/// framing: chunked transfer encoding (which Go's net/http uses for bodies it
/// did not size up front), Content-Length, or up to the server's close.
class Scraper {
 public:
  using Callback = std::function<void(StatusOr<PromParse>)>;

  /// Largest response accepted (status line, headers, chunk framing and body).
  static constexpr size_t kMaxResponseBytes = size_t{4} << 20;

  /// `path` is the request target, e.g. "/metrics". `timeout` bounds each
  /// scrape as a whole: connect, request and response.
  Scraper(asio::io_context& io, Clock& clock, uint16_t port, std::string path, Duration timeout);
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
  StatusOr<PromParse> Interpret(const HttpResult& result) const;

  asio::io_context& io_;
  std::string url_;
  std::string request_;  // the same for every scrape
  HttpClient client_;    // destroyed first: pending callbacks go with it
  // Posted callbacks check it, so none runs after the Scraper is gone.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace faultline
