#include "harness/scrape/scraper.h"

#include <array>
#include <charconv>
#include <utility>

namespace faultline {
namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

StatusOr<std::string> DecodeChunked(std::string_view rest) {
  std::string body;
  for (;;) {
    size_t eol = rest.find("\r\n");
    if (eol == std::string_view::npos) return Status::Unavailable("truncated chunked body");
    std::string_view size_line = Trim(rest.substr(0, rest.find_first_of(";\r")));
    size_t size = 0;
    auto [end, ec] = std::from_chars(size_line.data(), size_line.data() + size_line.size(), size, 16);
    if (ec != std::errc() || end != size_line.data() + size_line.size() || size_line.empty()) {
      return Status::Unavailable("bad chunk size \"" + std::string(size_line) + "\"");
    }
    rest.remove_prefix(eol + 2);
    if (size == 0) return body;  // trailers, if any, are of no interest
    if (rest.size() < size + 2) return Status::Unavailable("truncated chunked body");
    if (rest.substr(size, 2) != "\r\n") return Status::Unavailable("chunk not followed by CRLF");
    body.append(rest.substr(0, size));
    rest.remove_prefix(size + 2);
  }
}

}  // namespace

StatusOr<std::string> DecodeHttpResponse(std::string_view response) {
  size_t header_end = response.find("\r\n\r\n");
  if (header_end == std::string_view::npos) {
    return Status::Unavailable(response.empty() ? "empty response" : "incomplete response headers");
  }
  std::string_view head = response.substr(0, header_end);
  std::string_view rest = response.substr(header_end + 4);

  size_t eol = head.find("\r\n");
  std::string_view status_line = head.substr(0, eol);
  head.remove_prefix(eol == std::string_view::npos ? head.size() : eol + 2);
  size_t space = status_line.find(' ');
  if (!status_line.starts_with("HTTP/1.") || space == std::string_view::npos) {
    return Status::Unavailable("not an HTTP response: \"" + std::string(status_line.substr(0, 40)) + "\"");
  }
  std::string_view status = Trim(status_line.substr(space + 1));
  if (!status.starts_with("200")) return Status::Unavailable("HTTP " + std::string(status));

  bool chunked = false;
  std::optional<size_t> content_length;
  while (!head.empty()) {
    eol = head.find("\r\n");
    std::string_view line = head.substr(0, eol);
    head.remove_prefix(eol == std::string_view::npos ? head.size() : eol + 2);
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view name = Trim(line.substr(0, colon));
    std::string_view value = Trim(line.substr(colon + 1));
    if (EqualsIgnoreCase(name, "Transfer-Encoding")) {
      chunked = EqualsIgnoreCase(value, "chunked");
    } else if (EqualsIgnoreCase(name, "Content-Length")) {
      size_t n = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (ec != std::errc() || end != value.data() + value.size()) {
        return Status::Unavailable("bad Content-Length \"" + std::string(value) + "\"");
      }
      content_length = n;
    }
  }
  if (chunked) return DecodeChunked(rest);
  if (content_length) {
    if (rest.size() < *content_length) {
      return Status::Unavailable("response truncated: got " + std::to_string(rest.size()) + " of " +
                                 std::to_string(*content_length) + " body bytes");
    }
    rest = rest.substr(0, *content_length);
  }
  return std::string(rest);
}

/// One scrape in flight. Owned by its own pending handlers (shared_ptr), so
/// it lives until the last of them has run; the Scraper only holds weak
/// references. `done` empty means finished or abandoned: every handler checks
/// it first, which is what makes the callback run at most once.
struct Scraper::Attempt : std::enable_shared_from_this<Attempt> {
  Attempt(asio::io_context& io, std::string url, Duration timeout, Callback done)
      : socket(io), timer(io), url(std::move(url)), timeout(timeout), done(std::move(done)) {}

  void Start(uint16_t port, std::string request_text) {
    request = std::move(request_text);
    auto self = shared_from_this();
    timer.expires_after(timeout);
    timer.async_wait([self](const boost::system::error_code& ec) {
      if (ec || !self->done) return;
      self->Finish(Status::Unavailable("scrape " + self->url + ": timed out after " +
                                       FormatDuration(self->timeout)));
    });
    tcp::endpoint endpoint(asio::ip::make_address_v4("127.0.0.1"), port);
    socket.async_connect(endpoint, [self](const boost::system::error_code& ec) {
      if (!self->done) return;
      if (ec) return self->Fail("connect", ec);
      asio::async_write(self->socket, asio::buffer(self->request),
                        [self](const boost::system::error_code& ec, size_t) {
                          if (!self->done) return;
                          if (ec) return self->Fail("sending request", ec);
                          self->Read();
                        });
    });
  }

  void Read() {
    auto self = shared_from_this();
    socket.async_read_some(asio::buffer(buffer), [self](const boost::system::error_code& ec, size_t n) {
      if (!self->done) return;
      self->response.append(self->buffer.data(), n);
      if (self->response.size() > kMaxResponseBytes) {
        return self->Finish(Status::Unavailable("scrape " + self->url + ": response larger than " +
                                                FormatBytes(kMaxResponseBytes)));
      }
      if (ec == asio::error::eof) {
        StatusOr<std::string> body = DecodeHttpResponse(self->response);
        if (!body.ok()) return self->Finish(body.status().WithContext("scrape " + self->url));
        return self->Finish(ParsePrometheusText(*body));
      }
      if (ec) return self->Fail("reading response", ec);
      self->Read();
    });
  }

  void Fail(const char* what, const boost::system::error_code& ec) {
    Finish(Status::Unavailable("scrape " + url + ": " + what + ": " + ec.message()));
  }

  void Finish(StatusOr<PromParse> result) {
    Callback callback = std::move(done);
    done = nullptr;
    Close();
    callback(std::move(result));
  }

  void Close() {
    boost::system::error_code ignored;
    timer.cancel();
    socket.close(ignored);
  }

  tcp::socket socket;
  asio::steady_timer timer;
  std::string url;
  Duration timeout;
  Callback done;
  std::string request;
  std::string response;
  std::array<char, 16 * 1024> buffer;
};

Scraper::Scraper(asio::io_context& io, uint16_t port, std::string path, Duration timeout)
    : io_(io),
      port_(port),
      path_(std::move(path)),
      timeout_(timeout),
      url_("http://127.0.0.1:" + std::to_string(port) + path_) {}

Scraper::~Scraper() {
  for (const auto& weak : pending_) {
    if (auto attempt = weak.lock()) {
      attempt->done = nullptr;
      attempt->Close();
    }
  }
}

void Scraper::Scrape(Callback done) {
  std::erase_if(pending_, [](const auto& weak) { return weak.expired(); });
  auto attempt = std::make_shared<Attempt>(io_, url_, timeout_, std::move(done));
  pending_.push_back(attempt);
  attempt->Start(port_, "GET " + path_ + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port_) +
                            "\r\nUser-Agent: faultline\r\nAccept: text/plain;version=0.0.4\r\n"
                            "Connection: close\r\n\r\n");
}

}  // namespace faultline
