// FaultProxy's connections: how bytes travel between a client and the
// upstream, and how the active fault changes that. See proxy.h for the fault
// semantics.

#include <algorithm>
#include <utility>

#include "harness/proxy/proxy_impl.h"

namespace faultline {

using boost::system::error_code;

FaultProxy::Impl::Connection::Connection(Impl* owner, tcp::socket client)
    : owner_(owner),
      client_(std::move(client)),
      upstream_(owner->io_),
      up_(true, &client_, &upstream_, owner->clock_),
      down_(false, &upstream_, &client_, owner->clock_) {}

void FaultProxy::Impl::Connection::Start() {
  error_code ignored;
  client_.set_option(tcp::no_delay(true), ignored);
  if (owner_->upstream_address_) {
    Connect(tcp::endpoint(*owner_->upstream_address_, owner_->upstream_port_));
    return;
  }
  // A host name: resolved for each connection (the dependency's address may
  // change), by a resolver that lives only while it resolves.
  auto resolver = std::make_shared<tcp::resolver>(owner_->io_);
  resolver->async_resolve(
      owner_->upstream_host_, std::to_string(owner_->upstream_port_),
      [self = shared_from_this(), resolver](error_code ec, tcp::resolver::results_type results) {
        if (self->closed_) return;
        if (ec || results.empty()) {
          self->OnConnect(ec ? ec : asio::error::host_not_found);
          return;
        }
        self->Connect(*results.begin());
      });
}

void FaultProxy::Impl::Connection::Connect(const tcp::endpoint& endpoint) {
  upstream_.async_connect(endpoint,
                          [self = shared_from_this()](error_code ec) { self->OnConnect(ec); });
}

void FaultProxy::Impl::Connection::OnFaultChanged() {
  if (closed_) return;
  if (owner_->FaultIs(ProxyFault::Kind::kReset) || owner_->FaultIs(ProxyFault::Kind::kRefuse)) {
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
      auto now = owner_->clock_.Now();
      for (Chunk& chunk : flow->queue) chunk.due = std::min(chunk.due, now);
      flow->last_due = std::min(flow->last_due, now);
      flow->timer->Cancel();
    }
  }
  for (Flow* flow : {&up_, &down_}) {
    Write(*flow);
    if (closed_) return;
    Read(*flow);
  }
}

void FaultProxy::Impl::Connection::Reset() {
  if (closed_) return;
  owner_->counters_.resets++;
  Close(/*abortive=*/true);
}

void FaultProxy::Impl::Connection::Close(bool abortive) {
  if (closed_) return;
  auto self = shared_from_this();  // the owner's map may hold the last reference
  closed_ = true;
  error_code ignored;
  if (client_.is_open()) {
    if (abortive) SetAbortiveClose(client_);
    client_.close(ignored);
    owner_->counters_.open_client--;
  }
  CloseUpstream(abortive);
  for (Flow* flow : {&up_, &down_}) flow->timer->Cancel();
  owner_->Forget(this);
  owner_ = nullptr;
}

void FaultProxy::Impl::Connection::OnConnect(error_code ec) {
  if (closed_) return;
  if (ec) {
    owner_->counters_.upstream_connect_errors++;
    Close(/*abortive=*/false);
    return;
  }
  connected_ = true;
  upstream_counted_ = true;
  owner_->counters_.open_upstream++;
  error_code ignored;
  upstream_.set_option(tcp::no_delay(true), ignored);
  Read(up_);
  Read(down_);
}

void FaultProxy::Impl::Connection::Read(Flow& flow) {
  if (closed_ || !connected_ || flow.reading || flow.eof) return;
  if (!flow.to_upstream && upstream_gone_) return;
  bool discarding = owner_->Hung() || (flow.to_upstream && upstream_gone_);
  if (!discarding) {
    // Bounded memory: without a delay, one chunk at a time; with one, up to
    // kProxyMaxQueuedBytes waiting for their due time.
    size_t limit = owner_->Delays(flow.to_upstream) ? kProxyMaxQueuedBytes : 1;
    if (flow.queued_bytes >= limit) return;
  }
  flow.reading = true;
  flow.from->async_wait(tcp::socket::wait_read,
                        [self = shared_from_this(), &flow](error_code ec) {
                          self->OnReadable(flow, ec);
                        });
}

// Readable (or failed): read what is there into the proxy's scratch buffer.
void FaultProxy::Impl::Connection::OnReadable(Flow& flow, error_code ec) {
  flow.reading = false;
  if (closed_) return;
  size_t n = 0;
  if (!ec) {
    flow.from->non_blocking(true, ec);
    if (!ec) n = flow.from->read_some(asio::buffer(owner_->scratch_), ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) {
      Read(flow);  // spuriously readable: wait again
      return;
    }
  }
  OnRead(flow, ec, owner_->scratch_.data(), n);
}

void FaultProxy::Impl::Connection::OnRead(Flow& flow, error_code ec, const char* data, size_t n) {
  if (closed_) return;
  if (!flow.to_upstream && upstream_gone_) return;  // aborted by UpstreamGone
  if (n > 0) {
    if (owner_->Hung() || (flow.to_upstream && upstream_gone_)) {
      owner_->counters_.bytes_discarded += n;
      lost_bytes_ = true;
    } else {
      Enqueue(flow, data, n);
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

void FaultProxy::Impl::Connection::Enqueue(Flow& flow, const char* data, size_t n) {
  Duration delay = owner_->Delays(flow.to_upstream) ? owner_->SampleDelay() : Duration::zero();
  // Order is kept: a chunk is never due before the one read ahead of it.
  auto due = std::max(flow.last_due, owner_->clock_.Now() + delay);
  flow.last_due = due;
  flow.queue.push_back(Chunk{std::vector<char>(data, data + n), due});
  flow.queued_bytes += n;
}

void FaultProxy::Impl::Connection::OnEof(Flow& flow) {
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

void FaultProxy::Impl::Connection::OnError(Flow& flow, error_code ec) {
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

void FaultProxy::Impl::Connection::Write(Flow& flow) {
  // Once the upstream is gone, neither direction delivers anything again:
  // not even its FIN, which the hang held back.
  if (closed_ || flow.writing || owner_->Hung() || upstream_gone_) return;
  if (flow.queue.empty()) {
    if (flow.eof && !flow.finished) Finish(flow);
    return;
  }
  Chunk& chunk = flow.queue.front();
  if (chunk.due > owner_->clock_.Now()) {
    ArmTimer(flow, chunk.due);
    return;
  }
  flow.writing = true;
  asio::async_write(*flow.to, asio::buffer(chunk.data),
                    [self = shared_from_this(), &flow](error_code ec, size_t n) {
                      self->OnWrite(flow, ec, n);
                    });
}

void FaultProxy::Impl::Connection::OnWrite(Flow& flow, error_code ec, size_t n) {
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

void FaultProxy::Impl::Connection::ArmTimer(Flow& flow, TimePoint due) {
  if (flow.timer->pending() && flow.timer_due == due) return;
  flow.timer_due = due;
  // The timer dies with this connection and is cancelled when it closes.
  flow.timer->At(due, [this, &flow] {
    auto self = shared_from_this();
    if (!closed_) Write(flow);
  });
}

void FaultProxy::Impl::Connection::Finish(Flow& flow) {
  flow.finished = true;
  error_code ignored;
  flow.to->shutdown(tcp::socket::shutdown_send, ignored);
  if (up_.finished && down_.finished) Close(/*abortive=*/false);
}

void FaultProxy::Impl::Connection::Discard(Flow& flow) {
  size_t keep = flow.writing ? 1 : 0;
  while (flow.queue.size() > keep) {
    lost_bytes_ = true;
    owner_->counters_.bytes_discarded += flow.queue.back().data.size();
    flow.queued_bytes -= flow.queue.back().data.size();
    flow.queue.pop_back();
  }
  flow.timer->Cancel();
}

void FaultProxy::Impl::Connection::UpstreamGone() {
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

void FaultProxy::Impl::Connection::CloseUpstream(bool abortive) {
  error_code ignored;
  if (abortive && upstream_.is_open()) SetAbortiveClose(upstream_);
  upstream_.close(ignored);
  if (upstream_counted_) {
    upstream_counted_ = false;
    owner_->counters_.open_upstream--;
  }
}

}  // namespace faultline
