// FaultProxy's connections: how bytes travel in one direction. A direction
// without stages writes what it reads straight through; with stages, what
// it reads becomes pieces that the stages shape and the queue delivers in
// order, each at its due time.

#include <algorithm>
#include <utility>

#include "harness/proxy/proxy_impl.h"

namespace faultline {

using boost::system::error_code;

void FaultProxy::Impl::Connection::Read(Flow& flow) {
  if (!(Connected() || state_ == State::kHeld) || flow.reading ||
      flow.state != Flow::State::kOpen) {
    return;
  }
  if (!flow.to_upstream && state_ == State::kHeld) return;
  const bool discarding = hung_ || state_ == State::kHeld;
  if (!discarding) {
    // Bounded memory: without stages, read again once the queue is empty;
    // with them, while less than kProxyMaxQueuedBytes wait.
    // (HTTP flows queue what they forward, and must keep noticing a close.)
    const size_t limit = flow.stages.empty() && !http_ ? 1 : kProxyMaxQueuedBytes;
    if (flow.queued_bytes >= limit) return;
    // And no more requests while too many wait for their answers (OnWrite
    // reads on once they are delivered; a target that left meanwhile is
    // seen then).
    if (http_ && flow.to_upstream && http_->Backlogged()) return;
  }
  flow.reading = true;
  if (!flow.ready && WaitOnWatch(flow)) return;  // the watch's next event reads (OnWatched)
  flow.from->async_wait(tcp::socket::wait_read,
                        [self = shared_from_this(), &flow](error_code ec) {
                          self->OnReadable(flow, ec);
                        });
}

// Readable (or failed): read what is there into the proxy's scratch buffer.
void FaultProxy::Impl::Connection::OnReadable(Flow& flow, error_code ec) {
  flow.reading = false;
  if (closed()) return;
  size_t n = 0;
  if (!ec) {
    n = flow.from->read_some(asio::buffer(owner_->scratch_), ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) {
      flow.ready = false;
      Read(flow);  // spuriously readable: wait again
      return;
    }
    // A short read drained the socket: its next bytes come with an event.
    if (!ec && n < owner_->scratch_.size() && !flow.hup) flow.ready = false;
  }
  OnRead(flow, ec, owner_->scratch_.data(), n);
}

void FaultProxy::Impl::Connection::OnRead(Flow& flow, error_code ec, const char* data, size_t n) {
  if (closed()) return;
  if (!flow.to_upstream && state_ == State::kHeld) return;  // aborted by UpstreamGone
  if (n > 0) {
    if (hung_ || state_ == State::kHeld) {
      owner_->counters_.bytes_discarded += n;
      lost_bytes_ = true;
      // The target's requests are recorded all the same (http_flow.h).
      if (http_ && flow.to_upstream) {
        http_->Swallowed(data, n);
        if (closed()) return;
      }
    } else {
      Forward(flow, data, n);
      if (closed()) return;
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
  Read(flow);
}

void FaultProxy::Impl::Connection::Forward(Flow& flow, const char* data, size_t n) {
  if (http_ && !http_->piping()) {
    flow.to_upstream ? http_->FromClient(data, n) : http_->FromUpstream(data, n);
    return;
  }
  if (flow.stages.empty() && flow.queue.empty()) {
    // The hot path: straight to the other socket (non-blocking).
    error_code ec;
    const size_t written = flow.to->write_some(asio::buffer(data, n), ec);
    if (ec && ec != asio::error::would_block && ec != asio::error::try_again) {
      Close(/*abortive=*/ec == asio::error::connection_reset);
      return;
    }
    (flow.to_upstream ? owner_->counters_.bytes_up : owner_->counters_.bytes_down) += written;
    if (written == n) return;
    data += written;
    n -= written;
  }
  Pieces pieces;
  pieces.push_back(Piece{Piece::Kind::kData, std::vector<char>(data, data + n), clock_.Now()});
  RunStages(flow, std::move(pieces));
}

void FaultProxy::Impl::Connection::RunStages(Flow& flow, Pieces pieces) {
  for (Piece& piece : pieces) piece.entered = piece.due;
  for (auto& stage : flow.stages) {
    stage->Process(pieces, *this);
    if (closed()) return;
  }
  // A direction keeps its order: nothing is due before what is queued ahead.
  TimePoint last = flow.queue.empty() ? TimePoint{} : flow.queue.back().due;
  for (Piece& piece : pieces) {
    piece.due = std::max(piece.due, last);
    last = piece.due;
    flow.queued_bytes += QueuedCost(piece);
    flow.queue.push_back(std::move(piece));
  }
  Write(flow);
}

void FaultProxy::Impl::Connection::OnEof(Flow& flow) {
  flow.state = Flow::State::kEof;
  if (flow.to_upstream) ClientGone();
  if (flow.to_upstream) {
    // The client left: during a hang (or with the upstream gone) there is
    // nothing to flush, and the upstream must not stay open behind it.
    if (hung_ || state_ == State::kHeld) {
      Close(/*abortive=*/false);
      return;
    }
    if (http_ && !http_->piping()) {
      http_->ClientEof();  // a cut-short head still reaches the dependency
      if (closed()) return;
      DropHttpHeld();
    }
  } else if (hung_) {
    UpstreamGone();  // the client keeps seeing a silent peer
    return;
  } else if (http_) {
    http_->UpstreamEof();
    if (closed()) return;
  }
  Pieces fin;
  fin.push_back(Piece{Piece::Kind::kFin, {}, clock_.Now()});
  RunStages(flow, std::move(fin));
  if (closed()) return;
  // Both peers have closed and a stage dropped a FIN (timeout): nothing can
  // pass any more, and neither peer can send, so the sockets are let go
  // (a FIN still held, as under bandwidth 0, keeps them: it may yet pass).
  if (Drained(up_) && Drained(down_)) Close(/*abortive=*/false);
}

void FaultProxy::Impl::Connection::DropHttpHeld() {
  // A piece entered the stages at the time the HTTP layer gave it: later
  // than now only while a `delay` holds its request. Everything behind it
  // is held as well (a direction keeps its order). What only TCP faults
  // hold has left the HTTP layer: it is in flight and still arrives.
  const TimePoint now = clock_.Now();
  const auto held = std::find_if(up_.queue.begin(), up_.queue.end(), [now](const Piece& p) {
    return p.kind == Piece::Kind::kData && p.entered > now;
  });
  if (held == up_.queue.end()) return;
  Discard(up_, static_cast<size_t>(held - up_.queue.begin()));
}

void FaultProxy::Impl::Connection::OnError(Flow& flow, error_code ec) {
  if (flow.to_upstream) ClientGone();
  if (!flow.to_upstream && hung_) {
    UpstreamGone();
    return;
  }
  if (flow.to_upstream && state_ == State::kHeld) {
    Close(/*abortive=*/false);
    return;
  }
  // A reset from one side is passed on as a reset to the other: at once,
  // or after the data the stages still hold in that direction.
  const bool holding = !flow.stages.empty() || !flow.queue.empty();
  if (ec == asio::error::connection_reset && holding && !http_) return PassReset(flow);
  Close(/*abortive=*/ec == asio::error::connection_reset);
}

void FaultProxy::Impl::Connection::PassReset(Flow& flow) {
  flow.state = Flow::State::kEof;
  Pieces reset;
  reset.push_back(Piece{Piece::Kind::kPeerReset, {}, clock_.Now()});
  RunStages(flow, std::move(reset));
  if (closed()) return;
  if (flow.queue.empty() || flow.queue.back().kind != Piece::Kind::kPeerReset) {
    // A stage dropped it (timeout): the client sees no close, as for a FIN,
    // and its own close is still noticed.
    if (flow.to_upstream) return Close(/*abortive=*/true);
    return UpstreamGone();
  }
  // The reset waits behind the data: nothing more is read for the peer that
  // is gone, and what was on its way to it is dropped.
  Flow& back = flow.to_upstream ? down_ : up_;
  reset_from_ = &flow;
  back.state = Flow::State::kEof;
  Discard(back);
}

void FaultProxy::Impl::Connection::Write(Flow& flow) {
  // During a hang, and once the upstream is gone, neither direction
  // delivers anything: not even the upstream's FIN, which the hang held.
  if (!Connected() || flow.writing || hung_) return;
  if (flow.queue.empty()) return;
  Piece& piece = flow.queue.front();
  if (piece.due > clock_.Now()) {
    ArmTimer(flow, piece.due);
    return;
  }
  switch (piece.kind) {
    case Piece::Kind::kFin:
      flow.queued_bytes -= QueuedCost(piece);
      flow.queue.pop_front();
      Finish(flow);
      return;
    case Piece::Kind::kClose:
      Close(/*abortive=*/false);
      return;
    case Piece::Kind::kReset:
      Reset();
      return;
    case Piece::Kind::kPeerReset:
      Close(/*abortive=*/true);
      return;
    case Piece::Kind::kData:
      break;
  }
  flow.writing = true;
  asio::async_write(*flow.to, asio::buffer(piece.data),
                    [self = shared_from_this(), &flow](error_code ec, size_t n) {
                      self->OnWrite(flow, ec, n);
                    });
}

void FaultProxy::Impl::Connection::OnWrite(Flow& flow, error_code ec, size_t n) {
  flow.writing = false;
  if (closed()) return;
  if (state_ == State::kHeld) {
    Discard(flow);  // the upstream socket was closed under this write
    return;
  }
  if (ec && reset_from_ && &flow != reset_from_) {
    Discard(flow);  // toward the peer that reset: it takes nothing more
    return;
  }
  if (ec) {
    if (!flow.to_upstream) ClientGone();
    Close(/*abortive=*/ec == asio::error::connection_reset);
    return;
  }
  (flow.to_upstream ? owner_->counters_.bytes_up : owner_->counters_.bytes_down) += n;
  flow.queued_bytes -= QueuedCost(flow.queue.front());
  flow.queue.pop_front();
  if (http_ && !flow.to_upstream) {
    delivered_ += n;
    http_->Delivered(delivered_);
  }
  Write(flow);
  if (closed()) return;
  Read(flow);
  if (http_ && !flow.to_upstream && !closed()) Read(up_);  // a backlog may have cleared
}

void FaultProxy::Impl::Connection::ArmTimer(Flow& flow, TimePoint due) {
  if (flow.timer->pending() && flow.timer_due == due) return;
  flow.timer_due = due;
  // The timer dies with this connection and is cancelled when it closes.
  flow.timer->At(due, [this, &flow] {
    auto self = shared_from_this();
    if (!closed()) Write(flow);
    if (!closed()) Read(flow);
  });
}

void FaultProxy::Impl::Connection::Finish(Flow& flow) {
  flow.state = Flow::State::kFinished;
  error_code ignored;
  flow.to->shutdown(tcp::socket::shutdown_send, ignored);
  if (Drained(up_) && Drained(down_)) {
    Close(/*abortive=*/false);
    return;
  }
  state_ = State::kHalfClosed;
}

// Whether nothing more can pass in `flow`: its FIN was passed on, or its
// source sent FIN and a stage dropped it (timeout) with nothing left queued.
bool FaultProxy::Impl::Connection::Drained(const Flow& flow) const {
  return flow.state == Flow::State::kFinished ||
         (flow.state == Flow::State::kEof && flow.queue.empty() && !flow.writing);
}

}  // namespace faultline
