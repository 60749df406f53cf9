#include "harness/proxy/proxy.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <deque>
#include <random>
#include <unordered_map>
#include <utility>
#include <vector>

namespace faultline {

namespace {

using Clock = std::chrono::steady_clock;

// Each direction reads into one buffer of this size; without `latency` it
// reads again only once the previous chunk has been written.
constexpr size_t kReadBufferSize = 16 * 1024;
// Under `latency`, a direction stops reading while this many bytes wait for
// their due time, so a slow fault cannot make the proxy's memory grow.
constexpr size_t kMaxQueuedBytes = 1 << 20;
// Back-off before accepting (or re-listening) again after a failure such as
// EMFILE, so an error that persists does not spin the loop.
constexpr auto kRetryDelay = std::chrono::milliseconds(50);

void SetAbortiveClose(tcp::socket& socket) {
  boost::system::error_code ignored;
  socket.set_option(asio::socket_base::linger(true, 0), ignored);
}

}  // namespace

class FaultProxy::Impl {
 public:
  Impl(asio::io_context& io, std::string name, uint16_t upstream_port, uint64_t seed)
      : io_(io),
        name_(std::move(name)),
        upstream_port_(upstream_port),
        rng_(seed),
        acceptor_(io),
        retry_timer_(io) {}

  ~Impl() { Close(); }

  Status Listen(uint16_t listen_port);
  uint16_t port() const { return listen_port_; }
  void SetFault(std::optional<FaultSpec> fault);
  void Close();
  const std::string& name() const { return name_; }
  ProxyCounters counters() const { return counters_; }

 private:
  class Connection;

  bool FaultIs(FaultSpec::Kind kind) const { return fault_ && fault_->kind == kind; }
  bool Hung() const { return FaultIs(FaultSpec::Kind::kHang); }
  // Whether chunks travelling client -> upstream (or the reverse) are delayed.
  bool Delays(bool to_upstream) const;
  // latency +/- uniform jitter, never negative.
  Duration SampleDelay();

  Status OpenAcceptor(uint16_t port);
  void CloseAcceptor();
  void Accept();
  void OnAccepted(tcp::socket socket);
  void RetryAfterDelay(bool reopen);
  void Forget(Connection* connection) { connections_.erase(connection); }
  std::vector<std::shared_ptr<Connection>> Snapshot() const;

  asio::io_context& io_;
  std::string name_;
  uint16_t upstream_port_;
  std::mt19937_64 rng_;
  std::optional<FaultSpec> fault_;
  ProxyCounters counters_;

  tcp::acceptor acceptor_;
  uint16_t listen_port_ = 0;
  bool want_listening_ = false;  // between Listen and Close
  // Bumped whenever the acceptor is closed, so completions of an earlier
  // accept (or retry) that arrive after a close/re-open are ignored.
  uint64_t accept_generation_ = 0;
  asio::steady_timer retry_timer_;

  std::unordered_map<Connection*, std::shared_ptr<Connection>> connections_;
  // Completion handlers of the acceptor and retry timer hold a weak_ptr to
  // this and return at once when it has expired: the proxy may be destroyed
  // while they are queued.
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

// One client connection and its upstream connection. Kept alive by the
// owner's map and by its pending operations; `owner_` is null once the
// connection is closed, and no handler touches the owner after that, so the
// proxy may be destroyed while operations are still queued.
class FaultProxy::Impl::Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(Impl* owner, tcp::socket client)
      : owner_(owner),
        client_(std::move(client)),
        upstream_(owner->io_),
        up_(true, &client_, &upstream_, owner->io_),
        down_(false, &upstream_, &client_, owner->io_) {}

  void Start() {
    boost::system::error_code ignored;
    client_.set_option(tcp::no_delay(true), ignored);
    tcp::endpoint endpoint(asio::ip::address_v4::loopback(), owner_->upstream_port_);
    upstream_.async_connect(endpoint, [self = shared_from_this()](boost::system::error_code ec) {
      self->OnConnect(ec);
    });
  }

  // Applies the owner's current fault to this connection.
  void OnFaultChanged() {
    if (closed_) return;
    if (owner_->FaultIs(FaultSpec::Kind::kReset) || owner_->FaultIs(FaultSpec::Kind::kRefuse)) {
      Reset();
      return;
    }
    if (owner_->Hung()) {
      // Bytes read but not yet delivered are lost, like those read later.
      Discard(up_);
      Discard(down_);
      // A FIN read before the hang but not yet passed on is held back too.
      if (down_.eof && !down_.finished) UpstreamGone();
      if (closed_) return;
      if (up_.eof && !up_.finished) {
        Close(/*abortive=*/false);
        return;
      }
    } else {
      if (upstream_gone_ && !lost_bytes_) {
        // The upstream closed an idle connection during the hang and nothing
        // was lost on it (e.g. a pooled keep-alive connection): now that the
        // dependency answers again, the client sees that close. A connection
        // that lost bytes stays silent: its request will never be answered.
        Close(/*abortive=*/false);
        return;
      }
      // Chunks queued under a latency fault that has now ended (or no longer
      // covers their direction) are due at once: the fault ends with its phase.
      for (Flow* flow : {&up_, &down_}) {
        if (owner_->Delays(flow->to_upstream)) continue;
        auto now = Clock::now();
        for (Chunk& chunk : flow->queue) chunk.due = std::min(chunk.due, now);
        flow->last_due = std::min(flow->last_due, now);
        flow->timer.cancel();
        flow->timer_armed = false;
      }
    }
    for (Flow* flow : {&up_, &down_}) {
      Write(*flow);
      if (closed_) return;
      Read(*flow);
    }
  }

  // Closes both sides with RST and counts one reset.
  void Reset() {
    if (closed_) return;
    owner_->counters_.resets++;
    Close(/*abortive=*/true);
  }

  // Closes both sockets (with RST if `abortive`), updates the owner's
  // counters and detaches from the owner.
  void Close(bool abortive) {
    if (closed_) return;
    auto self = shared_from_this();  // the owner's map may hold the last reference
    closed_ = true;
    boost::system::error_code ignored;
    if (client_.is_open()) {
      if (abortive) SetAbortiveClose(client_);
      client_.close(ignored);
      owner_->counters_.open_client--;
    }
    CloseUpstream(abortive);
    for (Flow* flow : {&up_, &down_}) {
      flow->timer.cancel();
      flow->timer_armed = false;
    }
    owner_->Forget(this);
    owner_ = nullptr;
  }

 private:
  struct Chunk {
    std::vector<char> data;
    Clock::time_point due;
  };

  // One direction of the connection.
  struct Flow {
    Flow(bool to_upstream, tcp::socket* from, tcp::socket* to, asio::io_context& io)
        : to_upstream(to_upstream), from(from), to(to), timer(io) {}
    const bool to_upstream;  // client -> upstream
    tcp::socket* const from;
    tcp::socket* const to;
    std::array<char, kReadBufferSize> buffer;
    bool reading = false;
    bool writing = false;   // the front chunk is being written
    bool eof = false;       // `from` sent FIN
    bool finished = false;  // FIN passed on to `to`
    std::deque<Chunk> queue;
    size_t queued_bytes = 0;
    Clock::time_point last_due{};  // due time of the last chunk queued
    asio::steady_timer timer;
    bool timer_armed = false;
    Clock::time_point timer_due{};
  };

  void OnConnect(boost::system::error_code ec) {
    if (closed_) return;
    if (ec) {
      owner_->counters_.upstream_connect_errors++;
      Close(/*abortive=*/false);
      return;
    }
    connected_ = true;
    upstream_counted_ = true;
    owner_->counters_.open_upstream++;
    boost::system::error_code ignored;
    upstream_.set_option(tcp::no_delay(true), ignored);
    Read(up_);
    Read(down_);
  }

  void Read(Flow& flow) {
    if (closed_ || !connected_ || flow.reading || flow.eof) return;
    if (!flow.to_upstream && upstream_gone_) return;
    bool discarding = owner_->Hung() || (flow.to_upstream && upstream_gone_);
    if (!discarding) {
      // Bounded memory: without a delay, one chunk at a time; with one, up to
      // kMaxQueuedBytes waiting for their due time.
      size_t limit = owner_->Delays(flow.to_upstream) ? kMaxQueuedBytes : 1;
      if (flow.queued_bytes >= limit) return;
    }
    flow.reading = true;
    flow.from->async_read_some(
        asio::buffer(flow.buffer),
        [self = shared_from_this(), &flow](boost::system::error_code ec, size_t n) {
          self->OnRead(flow, ec, n);
        });
  }

  void OnRead(Flow& flow, boost::system::error_code ec, size_t n) {
    flow.reading = false;
    if (closed_) return;
    if (!flow.to_upstream && upstream_gone_) return;  // aborted by UpstreamGone
    if (n > 0) {
      if (owner_->Hung() || (flow.to_upstream && upstream_gone_)) {
        owner_->counters_.bytes_discarded += n;
        lost_bytes_ = true;
      } else {
        Enqueue(flow, n);
      }
    }
    if (ec) {
      if (ec == asio::error::eof) {
        OnEof(flow);
      } else {
        OnError(flow, ec);
      }
      return;
    }
    Write(flow);
    if (closed_) return;
    Read(flow);
  }

  void Enqueue(Flow& flow, size_t n) {
    Duration delay = owner_->Delays(flow.to_upstream) ? owner_->SampleDelay() : Duration::zero();
    // Order is kept: a chunk is never due before the one read ahead of it.
    auto due = std::max(flow.last_due, Clock::now() + delay);
    flow.last_due = due;
    flow.queue.push_back(Chunk{std::vector<char>(flow.buffer.data(), flow.buffer.data() + n), due});
    flow.queued_bytes += n;
  }

  void OnEof(Flow& flow) {
    flow.eof = true;
    if (flow.to_upstream) {
      // The client left: during a hang (or with the upstream gone) there is
      // nothing to flush, and the upstream must not stay open behind it.
      if (owner_->Hung() || upstream_gone_) {
        Close(/*abortive=*/false);
        return;
      }
    } else if (owner_->Hung()) {
      UpstreamGone();  // the client keeps seeing a silent peer
      return;
    }
    Write(flow);  // passes the FIN on once the queue has drained
  }

  void OnError(Flow& flow, boost::system::error_code ec) {
    if (!flow.to_upstream && owner_->Hung()) {
      UpstreamGone();
      return;
    }
    if (flow.to_upstream && upstream_gone_) {
      Close(/*abortive=*/false);
      return;
    }
    // A reset from one side is passed on as a reset to the other.
    Close(/*abortive=*/ec == asio::error::connection_reset);
  }

  void Write(Flow& flow) {
    // Once the upstream is gone, neither direction delivers anything again:
    // not even its FIN, which the hang held back.
    if (closed_ || flow.writing || owner_->Hung() || upstream_gone_) return;
    if (flow.queue.empty()) {
      if (flow.eof && !flow.finished) Finish(flow);
      return;
    }
    Chunk& chunk = flow.queue.front();
    if (chunk.due > Clock::now()) {
      ArmTimer(flow, chunk.due);
      return;
    }
    flow.writing = true;
    asio::async_write(*flow.to, asio::buffer(chunk.data),
                      [self = shared_from_this(), &flow](boost::system::error_code ec, size_t n) {
                        self->OnWrite(flow, ec, n);
                      });
  }

  void OnWrite(Flow& flow, boost::system::error_code ec, size_t n) {
    flow.writing = false;
    if (closed_) return;
    if (flow.to_upstream && upstream_gone_) {
      Discard(flow);  // the upstream socket was closed under this write
      return;
    }
    if (ec) {
      Close(/*abortive=*/ec == asio::error::connection_reset);
      return;
    }
    (flow.to_upstream ? owner_->counters_.bytes_up : owner_->counters_.bytes_down) += n;
    flow.queued_bytes -= flow.queue.front().data.size();
    flow.queue.pop_front();
    Write(flow);
    if (closed_) return;
    Read(flow);
  }

  void ArmTimer(Flow& flow, Clock::time_point due) {
    if (flow.timer_armed && flow.timer_due == due) return;
    flow.timer_armed = true;
    flow.timer_due = due;
    flow.timer.expires_at(due);
    flow.timer.async_wait([self = shared_from_this(), &flow](boost::system::error_code ec) {
      if (ec == asio::error::operation_aborted || self->closed_) return;
      flow.timer_armed = false;
      self->Write(flow);
    });
  }

  // FIN from one side, passed on once everything before it was delivered.
  void Finish(Flow& flow) {
    flow.finished = true;
    boost::system::error_code ignored;
    flow.to->shutdown(tcp::socket::shutdown_send, ignored);
    if (up_.finished && down_.finished) Close(/*abortive=*/false);
  }

  // Drops every queued chunk except one being written (its buffer is in use).
  void Discard(Flow& flow) {
    size_t keep = flow.writing ? 1 : 0;
    while (flow.queue.size() > keep) {
      lost_bytes_ = true;
      owner_->counters_.bytes_discarded += flow.queue.back().data.size();
      flow.queued_bytes -= flow.queue.back().data.size();
      flow.queue.pop_back();
    }
    flow.timer.cancel();
    flow.timer_armed = false;
  }

  // The upstream closed or failed during a hang. The client is not told:
  // its connection stays open and silent until the client closes it.
  void UpstreamGone() {
    if (upstream_gone_) return;
    upstream_gone_ = true;
    Discard(up_);
    Discard(down_);
    CloseUpstream(/*abortive=*/false);
    if (up_.eof) {
      // The client had already sent its FIN: nothing is left to wait for.
      Close(/*abortive=*/false);
      return;
    }
    Read(up_);  // keep noticing the client's close
  }

  void CloseUpstream(bool abortive) {
    boost::system::error_code ignored;
    if (abortive && upstream_.is_open()) SetAbortiveClose(upstream_);
    upstream_.close(ignored);
    if (upstream_counted_) {
      upstream_counted_ = false;
      owner_->counters_.open_upstream--;
    }
  }

  Impl* owner_;
  tcp::socket client_;
  tcp::socket upstream_;
  Flow up_;
  Flow down_;
  bool connected_ = false;         // upstream connect completed
  bool upstream_counted_ = false;  // counted in open_upstream
  bool upstream_gone_ = false;     // upstream closed during a hang
  bool lost_bytes_ = false;        // a hang discarded bytes of this connection
  bool closed_ = false;
};

bool FaultProxy::Impl::Delays(bool to_upstream) const {
  if (!FaultIs(FaultSpec::Kind::kLatency)) return false;
  switch (fault_->direction) {
    case FaultSpec::Direction::kBoth:
      return true;
    case FaultSpec::Direction::kUpstream:
      return to_upstream;
    case FaultSpec::Direction::kDownstream:
      return !to_upstream;
  }
  return false;
}

Duration FaultProxy::Impl::SampleDelay() {
  Duration delay = fault_->latency;
  int64_t jitter = fault_->jitter.count();
  if (jitter > 0) {
    std::uniform_int_distribution<int64_t> offset(-jitter, jitter);
    delay += Duration(offset(rng_));
  }
  return std::max(delay, Duration::zero());
}

Status FaultProxy::Impl::Listen(uint16_t listen_port) {
  if (want_listening_) {
    return Status::Unavailable("proxy " + name_ +
                               ": already listening on 127.0.0.1:" + std::to_string(listen_port_));
  }
  Status status = OpenAcceptor(listen_port);
  if (!status.ok()) return status;
  want_listening_ = true;
  if (FaultIs(FaultSpec::Kind::kRefuse)) CloseAcceptor();  // port now known and reserved
  return Status::Ok();
}

Status FaultProxy::Impl::OpenAcceptor(uint16_t port) {
  tcp::endpoint endpoint(asio::ip::address_v4::loopback(), port);
  boost::system::error_code ec;
  auto fail = [&](const char* what) {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    return Status::Unavailable("proxy " + name_ + ": " + what +
                               " 127.0.0.1:" + std::to_string(port) + ": " + ec.message());
  };
  if (acceptor_.open(endpoint.protocol(), ec)) return fail("open");
  // The same port is bound again after `refuse`, while old connections to it
  // may still be in TIME_WAIT.
  if (acceptor_.set_option(tcp::acceptor::reuse_address(true), ec))
    return fail("set SO_REUSEADDR on");
  if (acceptor_.bind(endpoint, ec)) return fail("bind");
  if (acceptor_.listen(asio::socket_base::max_listen_connections, ec)) return fail("listen on");
  listen_port_ = acceptor_.local_endpoint(ec).port();
  if (ec) return fail("read the address of");
  Accept();
  return Status::Ok();
}

void FaultProxy::Impl::CloseAcceptor() {
  accept_generation_++;
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  retry_timer_.cancel();
}

void FaultProxy::Impl::Accept() {
  acceptor_.async_accept(
      [this, alive = std::weak_ptr<int>(alive_), generation = accept_generation_](
          boost::system::error_code ec, tcp::socket socket) {
        if (alive.expired()) return;
        if (generation != accept_generation_) {
          // Accepted just before the listener was closed for `refuse` (or Close):
          // the client must not see a connection that works.
          if (!ec && socket.is_open()) SetAbortiveClose(socket);
          return;
        }
        if (ec) {
          if (ec != asio::error::operation_aborted) RetryAfterDelay(/*reopen=*/false);
          return;
        }
        OnAccepted(std::move(socket));
        Accept();
      });
}

void FaultProxy::Impl::RetryAfterDelay(bool reopen) {
  retry_timer_.expires_after(kRetryDelay);
  retry_timer_.async_wait([this, alive = std::weak_ptr<int>(alive_),
                           generation = accept_generation_, reopen](boost::system::error_code ec) {
    if (alive.expired() || ec || generation != accept_generation_) return;
    if (!reopen) {
      Accept();
    } else if (!OpenAcceptor(listen_port_).ok()) {
      RetryAfterDelay(/*reopen=*/true);
    }
  });
}

void FaultProxy::Impl::OnAccepted(tcp::socket socket) {
  counters_.accepted++;
  if (FaultIs(FaultSpec::Kind::kReset)) {
    SetAbortiveClose(socket);
    boost::system::error_code ignored;
    socket.close(ignored);
    counters_.resets++;
    return;
  }
  counters_.open_client++;
  auto connection = std::make_shared<Connection>(this, std::move(socket));
  connections_.emplace(connection.get(), connection);
  connection->Start();
}

std::vector<std::shared_ptr<FaultProxy::Impl::Connection>> FaultProxy::Impl::Snapshot() const {
  std::vector<std::shared_ptr<Connection>> all;
  all.reserve(connections_.size());
  for (const auto& [key, connection] : connections_) all.push_back(connection);
  return all;
}

void FaultProxy::Impl::SetFault(std::optional<FaultSpec> fault) {
  bool was_refusing = FaultIs(FaultSpec::Kind::kRefuse);
  fault_ = std::move(fault);
  bool refusing = FaultIs(FaultSpec::Kind::kRefuse);
  if (refusing && !was_refusing && want_listening_) CloseAcceptor();
  if (!refusing && was_refusing && want_listening_ && !acceptor_.is_open()) {
    // SO_REUSEADDR makes this succeed unless another process took the port
    // meanwhile; then keep trying, as the fault's end must restore service.
    if (!OpenAcceptor(listen_port_).ok()) RetryAfterDelay(/*reopen=*/true);
  }
  for (const auto& connection : Snapshot()) connection->OnFaultChanged();
}

void FaultProxy::Impl::Close() {
  want_listening_ = false;
  CloseAcceptor();
  for (const auto& connection : Snapshot()) connection->Close(/*abortive=*/false);
  connections_.clear();
}

FaultProxy::FaultProxy(asio::io_context& io, std::string name, uint16_t upstream_port,
                       uint64_t seed)
    : impl_(std::make_unique<Impl>(io, std::move(name), upstream_port, seed)) {}

FaultProxy::~FaultProxy() = default;

Status FaultProxy::Listen(uint16_t listen_port) { return impl_->Listen(listen_port); }
uint16_t FaultProxy::port() const { return impl_->port(); }
void FaultProxy::SetFault(std::optional<FaultSpec> fault) { impl_->SetFault(std::move(fault)); }
void FaultProxy::Close() { impl_->Close(); }
const std::string& FaultProxy::name() const { return impl_->name(); }
ProxyCounters FaultProxy::counters() const { return impl_->counters(); }

}  // namespace faultline
