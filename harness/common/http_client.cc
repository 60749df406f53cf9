// HttpClient implementation; the only translation unit that includes Beast.
// See http_client.h for the contract. Ownership: a Connection is owned by
// its pending socket operation (there is always exactly one while it is
// open: connect, write, wait, read or the idle watch); the Pool only lists
// open connections by raw pointer and closes them when it goes. Every
// handler carries the connection's sequence number from when it was armed,
// and returns at once when the connection has moved on (or closed) since.

#include "harness/common/http_client.h"

#include <cctype>
#include <iterator>
#include <limits>
#include <list>
#include <optional>
#include <unordered_set>
#include <utility>
#include <vector>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>

#include "harness/common/out_of_fds.h"
#include "harness/common/text.h"

namespace faultline {

namespace beast = boost::beast;
namespace http = boost::beast::http;
using boost::system::error_code;

namespace {

// The read buffer while a response is read: large enough that a big body is
// read in big chunks (Beast's default 512-byte reads keep the TCP window
// small and stall on delayed ACKs), released when the response is done.
constexpr size_t kReadChunk = 16 * 1024;

// A server's close that crossed a request on a reused connection shows
// within a round trip; on loopback, even a loaded one, well under this.
constexpr auto kCloseRaceWindow = std::chrono::milliseconds(20);

// Methods a client may send again without asking (RFC 9110, 9.2.2).
bool Idempotent(std::string_view request) {
  for (std::string_view method : {"GET ", "HEAD ", "OPTIONS ", "TRACE ", "PUT ", "DELETE "})
    if (request.starts_with(method)) return true;
  return false;
}

// A Beast body that keeps the payload only when asked: the load generator
// needs a response's status and framing, not its content, and memory per
// connection must not grow with response size.
struct ResponseBody {
  struct value_type {
    bool keep = false;
    std::string text;
  };
  class reader {
   public:
    template <bool isRequest, class Fields>
    reader(http::header<isRequest, Fields>&, value_type& value) : value_(value) {}
    void init(const boost::optional<std::uint64_t>&, error_code& ec) { ec = {}; }
    template <class ConstBufferSequence>
    size_t put(const ConstBufferSequence& buffers, error_code& ec) {
      ec = {};
      size_t n = 0;
      for (auto it = asio::buffer_sequence_begin(buffers); it != asio::buffer_sequence_end(buffers);
           ++it) {
        asio::const_buffer b = *it;
        if (value_.keep) value_.text.append(static_cast<const char*>(b.data()), b.size());
        n += b.size();
      }
      return n;
    }
    void finish(error_code& ec) { ec = {}; }

   private:
    value_type& value_;
  };
};

// How a failed read of the response is classed.
HttpResult::Error ReadError(const error_code& ec) {
  if (ec == http::error::body_limit || ec == http::error::header_limit ||
      ec == http::error::buffer_overflow) {
    return HttpResult::Error::kTooLarge;
  }
  if (ec == http::error::end_of_stream || ec == http::error::partial_message ||
      ec.category() != http::make_error_code(http::error::bad_version).category()) {
    return HttpResult::Error::kReceive;  // the transport failed, not the format
  }
  return HttpResult::Error::kBadResponse;
}

}  // namespace

std::string FormatHttpRequest(const HttpRequest& r, const std::string& host, uint16_t port) {
  std::string out = r.method + " " + r.target + " HTTP/1.1\r\n";
  bool has_host = false;
  for (const auto& [name, value] : r.headers) {
    // Framing is ours: a user's Content-Length or Transfer-Encoding could
    // contradict the body we send.
    if (EqualsIgnoringCase(name, "content-length") || EqualsIgnoringCase(name, "transfer-encoding")) continue;
    if (EqualsIgnoringCase(name, "host")) has_host = true;
    out += name + ": " + value + "\r\n";
  }
  if (!has_host) {
    // An IPv6 literal is bracketed in Host (RFC 7230 5.4): "[::1]:9000".
    out += "Host: " + JoinHostPort(host, port) + "\r\n";
  }
  if (!r.body.empty() || r.method == "POST" || r.method == "PUT" || r.method == "PATCH") {
    out += "Content-Length: " + std::to_string(r.body.size()) + "\r\n";
  }
  out += "\r\n";
  out += r.body;
  return out;
}

class HttpClient::Pool {
 public:
  Pool(asio::io_context& io, Clock& clock, HttpClientOptions options)
      : io(io), clock(clock), options(std::move(options)) {
    const std::string host = this->options.host == "localhost" ? "127.0.0.1" : this->options.host;
    error_code ec;
    auto address = asio::ip::make_address(host, ec);
    if (!ec) endpoint = tcp::endpoint(address, this->options.port);
  }
  ~Pool() { CloseAll(); }

  // What survives a move to another connection (the stale-connection retry).
  struct Exchange {
    std::string_view request;
    TimePoint sent_at;  // when Send() was called
    TimePoint deadline;
    Done done;
    bool retried = false;
  };

  Status Send(std::string_view request, Done done);
  // Opens a connection for `exchange`; on failure leaves `exchange` as it was.
  error_code Open(Exchange& exchange);
  void CloseAll();

  asio::io_context& io;
  Clock& clock;
  const HttpClientOptions options;
  std::optional<tcp::endpoint> endpoint;
  std::unordered_set<Connection*> open;  // busy + idle
  std::list<Connection*> idle;           // most recently used at the back
};

class HttpClient::Connection : public std::enable_shared_from_this<Connection> {
 public:
  explicit Connection(Pool* pool)
      : pool_(pool), socket_(pool->io), timer_(pool->clock.NewTimer()) {}
  ~Connection() {
    if (pool_ != nullptr) Unlink();  // the io_context went away with us pending
  }

  error_code OpenSocket() {
    error_code ec;
    socket_.open(pool_->endpoint->protocol(), ec);  // EMFILE lands here
    NoteIfOutOfFds(ec);
    return ec;
  }

  void Connect(Pool::Exchange exchange) {
    pool_->open.insert(this);
    Begin(std::move(exchange), /*reused=*/false);
    socket_.async_connect(*pool_->endpoint,
                          [self = shared_from_this(), seq = seq_](const error_code& ec) {
                            if (self->Stale(seq)) return;
                            if (ec) return self->Fail(HttpResult::Error::kConnect, ec);
                            error_code ignored;
                            self->socket_.set_option(tcp::no_delay(true), ignored);
                            self->Write();
                          });
  }

  // Takes an idle connection out of the pool for `exchange`.
  void Reuse(Pool::Exchange exchange) {
    idle_pos_.reset();
    Begin(std::move(exchange), /*reused=*/true);
    error_code ignored;
    socket_.cancel(ignored);  // the idle watch; its handler is stale now
    Write();
  }

  // Closes the socket; an unfinished exchange ends without its callback.
  void Close() {
    if (closed_) return;
    closed_ = true;
    ++seq_;
    error_code ignored;
    socket_.close(ignored);
    timer_->Cancel();
    // Not parser_.reset(): a read whose completion is already queued still
    // parses into it; it goes with the connection, after that read.
    Unlink();
    Done dropped = std::move(exchange_.done);  // destroyed last: it may own the client
  }

 private:
  bool Stale(uint64_t seq) const { return closed_ || seq != seq_; }

  void Unlink() {
    if (idle_pos_) pool_->idle.erase(*idle_pos_);
    idle_pos_.reset();
    pool_->open.erase(this);
    pool_ = nullptr;
  }

  // Puts `exchange` on this connection and arms its deadline.
  void Begin(Pool::Exchange exchange, bool reused) {
    ++seq_;
    exchange_ = std::move(exchange);
    reused_ = reused;
    timer_->At(exchange_.deadline, [this] {
      auto self = shared_from_this();
      // Closing the connection is the cancellation signal to the server.
      Fail(HttpResult::Error::kTimeout, {});
    });
  }

  void Write() {
    asio::async_write(socket_, asio::buffer(exchange_.request.data(), exchange_.request.size()),
                      [self = shared_from_this(), seq = seq_](const error_code& ec, size_t) {
                        if (self->Stale(seq)) return;
                        if (ec) return self->TransportError(HttpResult::Error::kSend, ec, true);
                        self->AwaitResponse();
                      });
  }

  // Waits for the response's first bytes holding no buffer, so a connection
  // waiting on a hung server costs only its socket.
  void AwaitResponse() {
    socket_.async_wait(tcp::socket::wait_read,
                       [self = shared_from_this(), seq = seq_](const error_code& ec) {
                         if (self->Stale(seq)) return;
                         if (ec) return self->TransportError(HttpResult::Error::kReceive, ec, true);
                         self->StartReading();
                       });
  }

  void StartReading() {
    NewParser();
    response_bytes_ = 0;
    buffer_.reserve(kReadChunk);
    ReadSome();
  }

  void NewParser() {
    parser_.emplace();
    // Not boost::none: in Boost 1.74 basic_parser compares `len_ >
    // body_limit_` against the empty optional, which is always true, so
    // every Content-Length body whose header arrives in a separate read
    // would fail with body_limit.
    const size_t max = pool_->options.max_response_bytes;
    parser_->body_limit(max > 0 ? max : std::numeric_limits<std::uint64_t>::max());
    if (exchange_.request.starts_with("HEAD ")) parser_->skip(true);
    parser_->get().body().keep = pool_->options.keep_body;
  }

  void ReadSome() {
    http::async_read_some(
        socket_, buffer_, *parser_,
        [self = shared_from_this(), seq = seq_](const error_code& ec, size_t n) {
          if (self->Stale(seq)) return;
          self->OnRead(ec, n);
        });
  }

  void OnRead(const error_code& ec, size_t n) {
    response_bytes_ += n;
    const size_t max = pool_->options.max_response_bytes;
    if (max > 0 && response_bytes_ > max) return Fail(HttpResult::Error::kTooLarge, {});
    if (ec) {
      bool nothing_received = !parser_->got_some() && buffer_.size() == 0;
      return TransportError(ReadError(ec), ec, nothing_received);
    }
    if (!parser_->is_done()) return ReadSome();
    // An interim response (100 Continue, 103 Early Hints): the final one
    // follows on the same exchange (RFC 9110, 15.2). 101 switches protocols.
    if (const unsigned code = parser_->get().result_int();
        code >= 100 && code < 200 && code != 101) {
      NewParser();
      return ReadSome();
    }

    HttpResult result;
    result.sent_at = exchange_.sent_at;
    result.retried = exchange_.retried;
    result.status = static_cast<int>(parser_->get().result_int());
    if (pool_->options.keep_body) {
      result.reason = std::string(parser_->get().reason());
      result.body = std::move(parser_->get().body().text);
    }
    // Leftover bytes after a full response are unsolicited: the
    // connection's framing can no longer be trusted.
    const bool reusable = pool_->options.reuse_connections && parser_->keep_alive() &&
                          buffer_.size() == 0;
    parser_.reset();
    Done done = std::move(exchange_.done);
    if (reusable) {
      buffer_.shrink_to_fit();
      Park();
    } else {
      Close();
    }
    done(result);  // last: it may destroy the client
  }

  // The connection failed before a full response arrived. A reused
  // connection that failed before any response byte, within a moment of the
  // request, was most likely closed by the server just as the request went
  // out: an idempotent request is sent once more (RFC 9110, 9.2.2). One
  // that failed later was held and dropped by the server, and a POST or
  // PATCH may have been acted on: either is reported, not repeated.
  void TransportError(HttpResult::Error error, const error_code& ec, bool nothing_received) {
    const bool raced = pool_->clock.Now() - exchange_.sent_at < kCloseRaceWindow;
    if (!(reused_ && nothing_received && !exchange_.retried && raced &&
          Idempotent(exchange_.request)))
      return Fail(error, ec);
    Pool* pool = pool_;
    Pool::Exchange retry = std::move(exchange_);
    retry.retried = true;
    Close();
    if (error_code open_error = pool->Open(retry)) {
      HttpResult result;
      result.error = HttpResult::Error::kConnect;
      result.cause = open_error;
      result.sent_at = retry.sent_at;
      result.retried = true;
      retry.done(result);
    }
  }

  void Fail(HttpResult::Error error, const error_code& ec) {
    HttpResult result;
    result.error = error;
    result.cause = ec;
    result.sent_at = exchange_.sent_at;
    result.retried = exchange_.retried;
    Done done = std::move(exchange_.done);
    Close();
    done(result);  // last: it may destroy the client
  }

  // Back in the pool. While idle, readability means the server closed the
  // connection (or sent something unasked): either way it must not carry
  // another request.
  void Park() {
    ++seq_;
    timer_->Cancel();
    exchange_ = Pool::Exchange{};
    pool_->idle.push_back(this);
    idle_pos_ = std::prev(pool_->idle.end());
    socket_.async_wait(tcp::socket::wait_read,
                       [self = shared_from_this(), seq = seq_](const error_code& ec) {
                         if (ec || self->Stale(seq)) return;
                         self->Close();
                       });
  }

  Pool* pool_;  // null once closed
  tcp::socket socket_;
  std::unique_ptr<Timer> timer_;  // the current exchange's deadline
  beast::flat_buffer buffer_;
  std::optional<http::response_parser<ResponseBody>> parser_;
  Pool::Exchange exchange_;
  uint64_t seq_ = 0;  // bumped on every change of state
  size_t response_bytes_ = 0;
  bool closed_ = false;
  bool reused_ = false;  // the current exchange is not this connection's first
  std::optional<std::list<Connection*>::iterator> idle_pos_;
};

Status HttpClient::Pool::Send(std::string_view request, Done done) {
  const TimePoint now = clock.Now();
  Exchange exchange{request, now, now + options.timeout, std::move(done), false};
  if (!idle.empty()) {
    Connection* conn = idle.back();
    idle.pop_back();
    conn->Reuse(std::move(exchange));
    return Status::Ok();
  }
  if (error_code ec = Open(exchange)) {
    return Status::Unavailable("connect to " + options.host + ":" + std::to_string(options.port) +
                               ": " + ec.message());
  }
  return Status::Ok();
}

error_code HttpClient::Pool::Open(Exchange& exchange) {
  if (!endpoint) return asio::error::host_not_found;
  auto conn = std::make_shared<Connection>(this);
  if (error_code ec = conn->OpenSocket()) return ec;
  conn->Connect(std::move(exchange));
  return {};
}

void HttpClient::Pool::CloseAll() {
  std::vector<Connection*> all(open.begin(), open.end());
  for (Connection* conn : all) conn->Close();
}

HttpClient::HttpClient(asio::io_context& io, Clock& clock, HttpClientOptions options)
    : pool_(std::make_unique<Pool>(io, clock, std::move(options))) {}

HttpClient::~HttpClient() = default;

Status HttpClient::Send(std::string_view request, Done done) {
  return pool_->Send(request, std::move(done));
}

void HttpClient::CloseIdle() {
  while (!pool_->idle.empty()) pool_->idle.back()->Close();
}

void HttpClient::CloseAll() { pool_->CloseAll(); }

uint64_t HttpClient::open_connections() const { return pool_->open.size(); }
uint64_t HttpClient::idle_connections() const { return pool_->idle.size(); }

std::string HttpClient::Describe(const HttpResult& r) const {
  switch (r.error) {
    case HttpResult::Error::kNone:
      return "HTTP " + std::to_string(r.status);
    case HttpResult::Error::kConnect:
      return "connect: " + r.cause.message();
    case HttpResult::Error::kSend:
      return "sending request: " + r.cause.message();
    case HttpResult::Error::kReceive:
      if (r.cause == http::error::end_of_stream) return "reading response: closed before a response";
      if (r.cause == http::error::partial_message) return "reading response: closed mid-response";
      return "reading response: " + r.cause.message();
    case HttpResult::Error::kTimeout:
      return "timed out after " + FormatDuration(pool_->options.timeout);
    case HttpResult::Error::kBadResponse:
      return "not a valid HTTP response: " + r.cause.message();
    case HttpResult::Error::kTooLarge:
      if (pool_->options.max_response_bytes == 0) return "response too large: " + r.cause.message();
      return "response larger than " + FormatBytes(static_cast<double>(pool_->options.max_response_bytes));
  }
  return "unknown error";
}

}  // namespace faultline
