#include "harness/scrape/scraper.h"

#include <utility>

namespace faultline {

namespace {

HttpClientOptions ClientOptions(uint16_t port, Duration timeout) {
  HttpClientOptions options;
  options.port = port;
  options.timeout = timeout;
  options.reuse_connections = false;
  options.keep_body = true;
  options.max_response_bytes = Scraper::kMaxResponseBytes;
  return options;
}

std::string ScrapeRequest(const std::string& path, uint16_t port) {
  HttpRequest request;
  request.target = path;
  request.headers = {{"User-Agent", "faultline"},
                     {"Accept", "text/plain;version=0.0.4"},
                     {"Connection", "close"}};
  return FormatHttpRequest(request, "127.0.0.1", port);
}

}  // namespace

Scraper::Scraper(asio::io_context& io, Clock& clock, uint16_t port, std::string path,
                 Duration timeout)
    : io_(io),
      url_("http://127.0.0.1:" + std::to_string(port) + path),
      request_(ScrapeRequest(path, port)),
      client_(io, clock, ClientOptions(port, timeout)) {}

Scraper::~Scraper() = default;

StatusOr<PromParse> Scraper::Interpret(const HttpResult& result) const {
  if (!result.ok()) return Status::Unavailable("scrape " + url_ + ": " + client_.Describe(result));
  if (result.status != 200) {
    std::string status = "HTTP " + std::to_string(result.status);
    if (!result.reason.empty()) status += " " + result.reason;
    return Status::Unavailable("scrape " + url_ + ": " + status);
  }
  return ParsePrometheusText(result.body);
}

void Scraper::Scrape(Callback done) {
  // The callback is shared with the failure path below: Send does not
  // consume `done` when it fails.
  auto shared = std::make_shared<Callback>(std::move(done));
  Status sent = client_.Send(request_, [this, shared](const HttpResult& result) {
    (*shared)(Interpret(result));
  });
  if (sent.ok()) return;
  asio::post(io_, [alive = std::weak_ptr<bool>(alive_), shared, message = sent.message(),
                   url = url_] {
    if (alive.expired()) return;
    (*shared)(Status::Unavailable("scrape " + url + ": " + message));
  });
}

}  // namespace faultline
