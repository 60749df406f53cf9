// LoadGenerator implementation. See load_generator.h for the contract; the
// choices the header leaves open are documented here:
//
// - Host: an IP literal or "localhost" (127.0.0.1). No DNS lookups: the
//   harness only talks to loopback. An unusable host makes every request end
//   kConnectError.
// - Client timeout: measured from when the request actually starts (connect or
//   reuse), and covers connect, write and the whole response. Latency is still
//   measured from the intended start.
// - Response bodies are read and discarded. A response that fails to parse
//   or whose header exceeds Beast's limit (8 KiB) ends kReset: no full
//   response could be read. Its connection is closed.
// - Stale keep-alive connections: an idle connection waits for readability,
//   so one the server closes while idle leaves the pool at once. A server may
//   still close an idle connection just as a request is written to it; when a
//   reused connection fails (write error, EOF or reset) before any response
//   byte, the request is retried once on a new connection, as HTTP clients do
//   for stale keep-alive connections, instead of being counted as kReset. The
//   retry keeps the request's intended start and client deadline.
// - A connection that finishes a request while the rate is 0 (after
//   SetRate(0) or Stop) is closed rather than pooled.
// - SetRate() and Stop() first start the requests already due at the old
//   rate (a late loop catches up), so they may call the sink.
// - Per request, memory is one connection: socket, timer, parser and a read
//   buffer holding at most a response header and one read's worth of body.
//   No per-request record outlives its request.

#include "harness/load/load_generator.h"

#include <cctype>
#include <iterator>
#include <list>
#include <optional>
#include <unordered_set>
#include <utility>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>

namespace faultline {

namespace beast = boost::beast;
namespace http = boost::beast::http;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;

namespace {

constexpr size_t kReadChunk = 16 * 1024;

// A Beast body that accepts any payload and keeps none of it: the generator
// needs a response's status and framing, not its content, and memory per
// connection must not grow with response size.
struct DiscardBody {
  struct value_type {};
  class reader {
   public:
    template <bool isRequest, class Fields>
    reader(http::header<isRequest, Fields>&, value_type&) {}
    void init(const boost::optional<std::uint64_t>&, error_code& ec) { ec = {}; }
    template <class ConstBufferSequence>
    size_t put(const ConstBufferSequence& buffers, error_code& ec) {
      ec = {};
      return asio::buffer_size(buffers);
    }
    void finish(error_code& ec) { ec = {}; }
  };
};

bool IEquals(const std::string& a, const char* b) {
  size_t i = 0;
  for (; i < a.size() && b[i] != '\0'; ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return i == a.size() && b[i] == '\0';
}

// The request is the same for every send: serialized once.
std::string SerializeRequest(const LoadOptions& o) {
  std::string out = o.method + " " + o.target + " HTTP/1.1\r\n";
  bool has_host = false;
  for (const auto& [name, value] : o.headers) {
    // Framing is ours: a user's Content-Length or Transfer-Encoding could
    // contradict the body we send.
    if (IEquals(name, "content-length") || IEquals(name, "transfer-encoding")) continue;
    if (IEquals(name, "host")) has_host = true;
    out += name + ": " + value + "\r\n";
  }
  if (!has_host) {
    // An IPv6 literal is bracketed in Host (RFC 7230 5.4): "[::1]:9000".
    const bool v6 = o.host.find(':') != std::string::npos;
    out += "Host: " + (v6 ? "[" + o.host + "]" : o.host) + ":" + std::to_string(o.port) + "\r\n";
  }
  if (!o.body.empty() || o.method == "POST" || o.method == "PUT" || o.method == "PATCH") {
    out += "Content-Length: " + std::to_string(o.body.size()) + "\r\n";
  }
  out += "\r\n";
  out += o.body;
  return out;
}

// What a request needs to survive a move to another connection (the retry).
struct Request {
  Clock::time_point intended;
  Clock::time_point deadline;
  bool retried = false;
};

struct Connection {
  explicit Connection(asio::io_context& io) : socket(io), timer(io) {}
  tcp::socket socket;
  asio::steady_timer timer;  // the current request's client timeout
  beast::flat_buffer buffer;
  std::optional<http::response_parser<DiscardBody>> parser;
  // Bumped whenever the connection changes state (new request, finish, idle,
  // close): a completion handler that captured an older value is stale.
  uint64_t seq = 0;
  bool closed = false;
  bool reused = false;  // the current request is not this connection's first
  Request request;
  std::optional<std::list<std::shared_ptr<Connection>>::iterator> idle_pos;
};

using ConnectionPtr = std::shared_ptr<Connection>;

// The state shared with completion handlers. Handlers hold a shared_ptr to it,
// so it outlives the LoadGenerator until every pending handler has run (or
// been destroyed with the io_context); after Abort() they return at once.
class LoadGeneratorCore : public std::enable_shared_from_this<LoadGeneratorCore> {
 public:
  LoadGeneratorCore(asio::io_context& io, LoadOptions options, LoadGenerator::Sink sink)
      : io_(io),
        options_(std::move(options)),
        sink_(std::move(sink)),
        request_text_(SerializeRequest(options_)),
        schedule_timer_(io) {
    std::string host = options_.host == "localhost" ? "127.0.0.1" : options_.host;
    error_code ec;
    auto address = asio::ip::make_address(host, ec);
    if (!ec) endpoint_ = tcp::endpoint(address, options_.port);
    head_ = options_.method == "HEAD";
  }

  // Requests already due under the old rate start first (the loop may be
  // late), so a change never removes requests; this may call the sink.
  void SetRate(double rps) {
    if (aborted_) return;
    if (rate_ > 0) {
      CatchUp(Clock::now());
      if (aborted_) return;
    }
    if (!(rps > 0)) {
      rate_ = 0;
      ++schedule_gen_;
      schedule_timer_.cancel();
      CloseIdle();
      return;
    }
    segment_start_ = NextSegmentStart(rps);
    rate_ = rps;
    segment_index_ = 0;
    ArmSchedule();
  }

  void Abort() {
    if (aborted_) return;
    aborted_ = true;
    rate_ = 0;
    ++schedule_gen_;
    schedule_timer_.cancel();
    for (const ConnectionPtr& conn : open_) {
      conn->closed = true;
      ++conn->seq;
      error_code ignored;
      conn->socket.close(ignored);
      conn->timer.cancel();
      conn->idle_pos.reset();
    }
    open_.clear();
    idle_.clear();
    in_flight_ = 0;
    // Release whatever the sink captured, unless it is running (Abort from
    // inside the sink); Report releases it then.
    if (reporting_ == 0) sink_ = nullptr;
  }

  uint64_t in_flight() const { return in_flight_; }
  uint64_t open_connections() const { return open_.size(); }
  uint64_t scheduled() const { return scheduled_; }

 private:
  // Due time of request `index` of the current segment (index may be -1: the
  // last request of the previous segment, which is how segments join up).
  // Computed from the segment start, not accumulated, so rounding never
  // drifts the rate.
  Clock::time_point DueAt(int64_t index) const {
    return segment_start_ + FromSeconds(static_cast<double>(index) / rate_);
  }

  // When the first request at a new rate `rps` is due. From 0 it is due at
  // once. Otherwise the spacing from the last request follows the new rate,
  // but no earlier than now, so a lower old rate never turns into a burst.
  Clock::time_point NextSegmentStart(double rps) const {
    Clock::time_point now = Clock::now();
    if (rate_ == 0) return now;
    Clock::time_point next = DueAt(segment_index_ - 1) + FromSeconds(1.0 / rps);
    return next < now ? now : next;
  }

  void ArmSchedule() {
    uint64_t gen = ++schedule_gen_;
    schedule_timer_.expires_at(DueAt(segment_index_));
    schedule_timer_.async_wait([self = shared_from_this(), gen](const error_code& ec) {
      if (ec || self->aborted_ || gen != self->schedule_gen_) return;
      self->OnSchedule();
    });
  }

  void OnSchedule() {
    uint64_t gen = schedule_gen_;
    CatchUp(Clock::now());
    // The sink may have changed the rate or aborted; that re-armed (or
    // stopped) the schedule already.
    if (aborted_ || gen != schedule_gen_) return;
    if (rate_ > 0) ArmSchedule();
  }

  // Starts every request due at or before `now`. A late timer therefore
  // catches up: lateness delays requests but never removes them.
  void CatchUp(Clock::time_point now) {
    uint64_t gen = schedule_gen_;
    while (rate_ > 0 && DueAt(segment_index_) <= now) {
      Clock::time_point due = DueAt(segment_index_);
      ++segment_index_;
      StartRequest(due);
      if (aborted_ || gen != schedule_gen_) return;  // the sink changed the rate
    }
  }

  void StartRequest(Clock::time_point due) {
    ++scheduled_;
    if (in_flight_ >= options_.max_in_flight) {
      Report(Outcome::kDropped, 0, due, due);
      return;
    }
    ++in_flight_;
    Request request{due, Clock::now() + options_.timeout, false};
    if (!idle_.empty()) {
      ConnectionPtr conn = idle_.back();
      idle_.pop_back();
      conn->idle_pos.reset();
      error_code ignored;
      conn->socket.cancel(ignored);  // the idle watch
      Begin(conn, request, /*reused=*/true);
      Write(conn);
    } else {
      Connect(request);
    }
  }

  void Connect(const Request& request) {
    if (!endpoint_) {
      --in_flight_;
      Report(Outcome::kConnectError, 0, request.intended, Clock::now());
      return;
    }
    auto conn = std::make_shared<Connection>(io_);
    error_code ec;
    conn->socket.open(endpoint_->protocol(), ec);  // EMFILE lands here
    if (ec) {
      --in_flight_;
      Report(Outcome::kConnectError, 0, request.intended, Clock::now());
      return;
    }
    open_.insert(conn);
    Begin(conn, request, /*reused=*/false);
    conn->socket.async_connect(
        *endpoint_, [self = shared_from_this(), conn, seq = conn->seq](const error_code& ec) {
          if (self->Stale(*conn, seq)) return;
          if (ec) {
            self->Fail(conn, Outcome::kConnectError);
            return;
          }
          error_code ignored;
          conn->socket.set_option(tcp::no_delay(true), ignored);
          self->Write(conn);
        });
  }

  // Puts `request` on `conn` and arms its client timeout.
  void Begin(const ConnectionPtr& conn, const Request& request, bool reused) {
    ++conn->seq;
    conn->request = request;
    conn->reused = reused;
    conn->timer.expires_at(request.deadline);
    conn->timer.async_wait(
        [self = shared_from_this(), conn, seq = conn->seq](const error_code& ec) {
          if (ec || self->Stale(*conn, seq)) return;
          // Closing the connection is the cancellation signal to the server.
          self->Fail(conn, Outcome::kTimeout);
        });
  }

  void Write(const ConnectionPtr& conn) {
    asio::async_write(conn->socket, asio::buffer(request_text_),
                      [self = shared_from_this(), conn, seq = conn->seq](const error_code& ec,
                                                                       size_t) {
                        if (self->Stale(*conn, seq)) return;
                        if (ec) {
                          self->TransportError(conn, /*nothing_received=*/true);
                          return;
                        }
                        self->Read(conn);
                      });
  }

  // Waits for the response's first bytes with no buffer, then reads it with
  // a read buffer of kReadChunk bytes, released when the response is done. A
  // connection waiting on a hung server so holds no buffer, and a large
  // response is read in big chunks (Beast's default of 512-byte reads keeps
  // the TCP window small and stalls on delayed ACKs).
  void Read(const ConnectionPtr& conn) {
    conn->socket.async_wait(tcp::socket::wait_read,
                            [self = shared_from_this(), conn, seq = conn->seq](
                                const error_code& ec) {
                              if (self->Stale(*conn, seq)) return;
                              if (ec) {
                                self->TransportError(conn, /*nothing_received=*/true);
                                return;
                              }
                              self->ReadResponse(conn);
                            });
  }

  void ReadResponse(const ConnectionPtr& conn) {
    conn->parser.emplace();
    // Nothing is kept, and the timeout bounds the read. Not boost::none: in
    // Boost 1.74 basic_parser compares `len_ > body_limit_` against the empty
    // optional, which is always true, so every Content-Length body whose
    // header arrives in a separate read fails with body_limit.
    conn->parser->body_limit(std::numeric_limits<std::uint64_t>::max());
    if (head_) conn->parser->skip(true);
    conn->buffer.reserve(kReadChunk);
    http::async_read(conn->socket, conn->buffer, *conn->parser,
                     [self = shared_from_this(), conn, seq = conn->seq](const error_code& ec,
                                                                      size_t) {
                       if (self->Stale(*conn, seq)) return;
                       self->OnResponse(conn, ec);
                     });
  }

  void OnResponse(const ConnectionPtr& conn, const error_code& ec) {
    if (ec) {
      bool nothing_received = !conn->parser->got_some() && conn->buffer.size() == 0;
      TransportError(conn, nothing_received);
      return;
    }
    int status = static_cast<int>(conn->parser->get().result_int());
    // Leftover bytes after a full response are unsolicited: the connection's
    // framing can no longer be trusted.
    bool reusable = conn->parser->keep_alive() && conn->buffer.size() == 0;
    Outcome outcome = status >= 200 && status < 300 ? Outcome::kOk : Outcome::kHttpStatus;
    if (reusable) conn->buffer.shrink_to_fit();
    Clock::time_point intended = conn->request.intended;
    conn->parser.reset();
    ++conn->seq;
    conn->timer.cancel();
    if (reusable && rate_ > 0) {
      idle_.push_back(conn);
      conn->idle_pos = std::prev(idle_.end());
      WatchIdle(conn);
    } else {
      Close(conn);
    }
    --in_flight_;
    Report(outcome, status, intended, Clock::now());
  }

  // The connection failed before a full response arrived.
  void TransportError(const ConnectionPtr& conn, bool nothing_received) {
    if (conn->reused && nothing_received && !conn->request.retried) {
      Request retry = conn->request;
      retry.retried = true;
      Close(conn);
      Connect(retry);
      return;
    }
    Fail(conn, Outcome::kReset);
  }

  void Fail(const ConnectionPtr& conn, Outcome outcome) {
    Clock::time_point intended = conn->request.intended;
    Close(conn);
    --in_flight_;
    Report(outcome, 0, intended, Clock::now());
  }

  // While idle, readability means the server closed the connection (or sent
  // something unasked): either way it must not carry another request.
  void WatchIdle(const ConnectionPtr& conn) {
    conn->socket.async_wait(tcp::socket::wait_read,
                            [self = shared_from_this(), conn, seq = conn->seq](
                                const error_code& ec) {
                              if (ec || self->Stale(*conn, seq)) return;
                              self->Close(conn);
                            });
  }

  void CloseIdle() {
    while (!idle_.empty()) Close(idle_.back());
  }

  // By value: callers may pass a reference into idle_ or open_, which this
  // erases.
  void Close(ConnectionPtr conn) {
    if (conn->closed) return;
    if (conn->idle_pos) {
      idle_.erase(*conn->idle_pos);
      conn->idle_pos.reset();
    }
    conn->closed = true;
    ++conn->seq;
    error_code ignored;
    conn->socket.close(ignored);
    conn->timer.cancel();
    conn->parser.reset();
    open_.erase(conn);
  }

  bool Stale(const Connection& conn, uint64_t seq) const {
    return aborted_ || conn.closed || conn.seq != seq;
  }

  void Report(Outcome outcome, int status, Clock::time_point intended, Clock::time_point done) {
    if (aborted_ || !sink_) return;
    ++reporting_;
    RequestResult result;
    result.outcome = outcome;
    result.status = status;
    result.intended_s = ToSeconds(intended - options_.epoch);
    result.latency_s = outcome == Outcome::kDropped ? 0 : ToSeconds(done - intended);
    sink_(result);
    if (--reporting_ == 0 && aborted_) sink_ = nullptr;
  }

  asio::io_context& io_;
  const LoadOptions options_;
  LoadGenerator::Sink sink_;
  const std::string request_text_;
  std::optional<tcp::endpoint> endpoint_;
  bool head_ = false;

  asio::steady_timer schedule_timer_;
  uint64_t schedule_gen_ = 0;  // bumped on every re-arm; older expiries are ignored
  double rate_ = 0;
  Clock::time_point segment_start_;  // due time of request 0 at the current rate
  int64_t segment_index_ = 0;        // next request of the current segment

  std::unordered_set<ConnectionPtr> open_;  // busy + idle
  std::list<ConnectionPtr> idle_;           // most recently used at the back
  uint64_t in_flight_ = 0;
  uint64_t scheduled_ = 0;
  bool aborted_ = false;
  int reporting_ = 0;  // depth of sink calls in progress
};

}  // namespace

class LoadGenerator::Impl {
 public:
  std::shared_ptr<LoadGeneratorCore> core;
};

LoadGenerator::LoadGenerator(asio::io_context& io, LoadOptions options, Sink sink)
    : impl_(std::make_unique<Impl>()) {
  impl_->core = std::make_shared<LoadGeneratorCore>(io, std::move(options), std::move(sink));
}

LoadGenerator::~LoadGenerator() { impl_->core->Abort(); }

void LoadGenerator::SetRate(double rps) { impl_->core->SetRate(rps); }
void LoadGenerator::Stop() { impl_->core->SetRate(0); }
void LoadGenerator::Abort() { impl_->core->Abort(); }
uint64_t LoadGenerator::in_flight() const { return impl_->core->in_flight(); }
uint64_t LoadGenerator::open_connections() const { return impl_->core->open_connections(); }
uint64_t LoadGenerator::scheduled() const { return impl_->core->scheduled(); }

}  // namespace faultline
