// FaultProxy's connections: their life (connect, close, reset), how the
// active faults apply to them (draws, stage chains, hang). The bytes' path
// is in proxy_flow.cc. See docs/faults.md for the fault semantics.

#include <sys/epoll.h>

#include <algorithm>
#include <utility>

#include "harness/common/out_of_fds.h"
#include "harness/proxy/proxy_impl.h"

namespace faultline {

using boost::system::error_code;
using Kind = ProxyFault::Kind;

FaultProxy::Impl::Connection::Connection(Impl* owner, tcp::socket client)
    : owner_(owner),
      clock_(owner->clock_),
      client_(std::move(client)),
      upstream_(owner->io_),
      up_(true, &client_, &upstream_, owner->clock_),
      down_(false, &upstream_, &client_, owner->clock_) {
  if (owner->protocol_ == ProxyProtocol::kHttp) http_ = std::make_unique<HttpFlow>(static_cast<HttpHost&>(*this));
}

void FaultProxy::Impl::Connection::Start() {
  ApplyFaults();
  if (closed()) return;
  error_code ignored;
  client_.set_option(tcp::no_delay(true), ignored);
  client_.non_blocking(true, ignored);
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
        if (self->closed()) return;
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

void FaultProxy::Impl::Connection::OnConnect(error_code ec) {
  if (closed()) return;
  if (ec) {
    NoteIfOutOfFds(ec);  // faultline's own EMFILE, not the upstream's doing
    owner_->counters_.upstream_connect_errors++;
    if (owner_->on_connect_error_) {
      // Not the upstream's doing: say whose it is and what helps.
      owner_->on_connect_error_(IsOutOfFds(ec) ? "faultline has no file descriptor left to "
                                                 "connect with (" +
                                                     ec.message() + "): " + FdLimitAdvice()
                                               : ec.message());
    }
    Close(/*abortive=*/false);
    return;
  }
  error_code ignored;
  if (owner_->IsOwnListener(upstream_.remote_endpoint(ignored)) && !ignored) {
    owner_->upstream_is_self_ = true;
    owner_->counters_.upstream_connect_errors++;
    owner_->ReportSelfUpstream();
    Close(/*abortive=*/true);
    return;
  }
  state_ = State::kOpen;
  owner_->counters_.open_upstream++;
  upstream_.set_option(tcp::no_delay(true), ignored);
  upstream_.non_blocking(true, ignored);
  for (Flow* flow : {&up_, &down_}) {
    Write(*flow);  // stages may have queued pieces already (none read yet)
    if (closed()) return;
    Read(*flow);
  }
}

bool FaultProxy::Impl::Connection::Applies(const ProxyFault& fault) {
  std::string name = FaultName(fault);
  for (const Draw& draw : draws_) {
    if (draw.name == name) return draw.applies;
  }
  // Drawn only for a real fraction, so fraction 1 leaves the generator's
  // sequence (jitter, slices) as it was.
  bool applies = fault.fraction >= 1.0;
  if (fault.fraction > 0.0 && fault.fraction < 1.0) {
    applies = std::uniform_real_distribution<double>(0.0, 1.0)(owner_->rng_) < fault.fraction;
  }
  if (applies) owner_->counters_.affected[name]++;
  draws_.push_back(Draw{std::move(name), applies});
  return applies;
}

void FaultProxy::Impl::Connection::ApplyFaults() {
  if (closed()) return;
  auto self = shared_from_this();  // a stage may close the connection
  const std::vector<ProxyFault>& faults = owner_->faults_;
  // Forget the draws of faults that went away.
  std::erase_if(draws_, [&](const Draw& draw) {
    return std::none_of(faults.begin(), faults.end(),
                        [&](const ProxyFault& f) { return FaultName(f) == draw.name; });
  });
  bool hang = false, reset = false;
  for (const ProxyFault& fault : faults) {
    // Every draw is made here, in list order, the first time a fault is seen.
    // (HTTP faults draw per request, in HttpFlow.)
    if (IsHttpKind(fault.kind)) continue;
    if (!Applies(fault) || !IsConnectionLevel(fault.kind)) continue;
    if (fault.kind == Kind::kHang) hang = true;
    if (fault.kind == Kind::kReset || fault.kind == Kind::kRefuse) reset = true;
  }
  if (reset) {
    Reset();
    return;
  }
  bool close = false;
  for (Flow* flow : {&up_, &down_}) close = RebuildStages(*flow, faults) || close;
  if (closed()) return;
  if (close) {
    Close(/*abortive=*/false);
    return;
  }
  SetHung(hang);
  if (closed() || state_ == State::kConnecting) return;
  for (Flow* flow : {&up_, &down_}) {
    Write(*flow);
    if (closed()) return;
    Read(*flow);
  }
}

bool FaultProxy::Impl::Connection::RebuildStages(Flow& flow,
                                                 const std::vector<ProxyFault>& faults) {
  std::vector<std::unique_ptr<Stage>> chain;
  std::vector<Stage*> kept;  // stages that were there before, in chain order
  bool retime = false;       // a kept stage's values changed, or a stage ended
  for (const ProxyFault& fault : faults) {
    if (IsConnectionLevel(fault.kind) || IsHttpKind(fault.kind) ||
        !CoversDirection(fault, flow.to_upstream) ||
        !Applies(fault)) {
      continue;
    }
    auto same = std::find_if(flow.stages.begin(), flow.stages.end(), [&](const auto& stage) {
      return stage && stage->fault().kind == fault.kind &&
             FaultName(stage->fault()) == FaultName(fault);
    });
    if (same != flow.stages.end()) {
      chain.push_back(std::move(*same));
      if (chain.back()->fault() != fault) {
        chain.back()->Update(fault, *this);
        retime = true;
      }
      kept.push_back(chain.back().get());
    } else {
      chain.push_back(NewStage(fault));
      chain.back()->Start(*this);
    }
    if (closed()) return false;
  }
  // What is left in flow.stages ended (its place was moved from).
  bool close = false;
  for (const auto& stage : flow.stages) {
    if (!stage) continue;
    retime = true;
    close = close || stage->ClosesOnRemoval();
  }
  flow.stages = std::move(chain);
  if (flow.stages.empty()) {
    // What the faults that ended still held is due at once: a fault ends
    // with its phase.
    const TimePoint now = clock_.Now();
    for (Piece& piece : flow.queue) piece.due = std::min(piece.due, now);
    flow.timer->Cancel();
  } else if (retime) {
    Retime(flow, kept);
  }
  return close;
}

void FaultProxy::Impl::Connection::Retime(Flow& flow, const std::vector<Stage*>& kept) {
  // The piece being written has gone; the rest are timed again by the
  // stages that stay (a fault added now does not act on data already past
  // its place).
  const size_t first = flow.writing ? 1 : 0;
  if (flow.queue.size() <= first) return;
  size_t max_piece = 0;
  for (Stage* stage : kept) {
    const size_t m = stage->MaxPieceBytes();
    if (m > 0) max_piece = max_piece == 0 ? m : std::min(max_piece, m);
  }
  if (max_piece > 0) Split(flow, first, std::max(max_piece, kMinSplitPiece));
  std::vector<PieceTiming> timings;
  timings.reserve(flow.queue.size() - first);
  for (size_t i = first; i < flow.queue.size(); ++i) {
    const Piece& piece = flow.queue[i];
    timings.push_back({piece.kind, piece.data.size(), piece.entered});
  }
  const TimePoint now = clock_.Now();
  for (Stage* stage : kept) stage->Retime(timings, now);
  TimePoint last = first == 1 ? flow.queue.front().due : TimePoint{};
  for (size_t i = first; i < flow.queue.size(); ++i) {
    Piece& piece = flow.queue[i];
    piece.due = std::max(std::min(piece.due, std::max(timings[i - first].due, now)), last);
    last = piece.due;
  }
  flow.timer->Cancel();  // the front may be due sooner: Write re-arms
}

void FaultProxy::Impl::Connection::Split(Flow& flow, size_t first, size_t max_bytes) {
  std::deque<Piece> out;
  for (size_t i = 0; i < flow.queue.size(); ++i) {
    Piece& piece = flow.queue[i];
    if (i < first || piece.kind != Piece::Kind::kData || piece.data.size() <= max_bytes) {
      out.push_back(std::move(piece));
      continue;
    }
    flow.queued_bytes -= QueuedCost(piece);
    for (size_t at = 0; at < piece.data.size(); at += max_bytes) {
      const size_t n = std::min(max_bytes, piece.data.size() - at);
      Piece part{Piece::Kind::kData, {}, piece.due, piece.entered};
      part.data.assign(piece.data.begin() + static_cast<long>(at),
                       piece.data.begin() + static_cast<long>(at + n));
      flow.queued_bytes += QueuedCost(part);
      out.push_back(std::move(part));
    }
  }
  flow.queue = std::move(out);
}

void FaultProxy::Impl::Connection::SetHung(bool hung) {
  const bool was_hung = hung_;
  hung_ = hung;
  if (hung && !was_hung) {
    // Bytes read but not yet delivered are lost, like those read later.
    Discard(up_);
    Discard(down_);
    // A FIN read before the hang but not yet passed on is held back too.
    if (down_.state == Flow::State::kEof) UpstreamGone();
    if (closed()) return;
    if (up_.state == Flow::State::kEof) Close(/*abortive=*/false);
    return;
  }
  if (!hung && state_ == State::kHeld && !lost_bytes_) {
    // The upstream closed an idle connection during the hang and nothing
    // was lost on it (e.g. a pooled keep-alive connection): now that the
    // dependency answers again, the client sees that close. A connection
    // that lost bytes stays silent: its request will never be answered.
    Close(/*abortive=*/false);
  }
}

void FaultProxy::Impl::Connection::Reset() {
  if (closed()) return;
  owner_->counters_.resets++;
  Close(/*abortive=*/true);
}

void FaultProxy::Impl::Connection::Close(bool abortive) {
  if (closed()) return;
  auto self = shared_from_this();  // the owner's map may hold the last reference
  if (http_) http_->Closed(/*keep_open=*/owner_->closing_);
  error_code ignored;
  if (client_.is_open()) {
    if (abortive) SetAbortiveClose(client_);
    client_.close(ignored);
    owner_->counters_.open_client--;
  }
  CloseUpstream(abortive);
  StopWatching(up_);
  state_ = State::kClosed;
  for (Flow* flow : {&up_, &down_}) flow->timer->Cancel();
  owner_->Forget(this);
  owner_ = nullptr;
}

void FaultProxy::Impl::Connection::CloseUpstream(bool abortive) {
  StopWatching(down_);  // its socket is closing
  if (!upstream_.is_open()) return;
  if (abortive) SetAbortiveClose(upstream_);
  if (Connected()) owner_->counters_.open_upstream--;
  error_code ignored;
  upstream_.close(ignored);
}

bool FaultProxy::Impl::Connection::WaitOnWatch(Flow& flow) {
  if (flow.unwatchable || owner_->connections_.size() < kProxyWatchFromConnections) return false;
  if (!flow.watched) {
    // Added while readable, the socket reports at once: nothing is missed.
    flow.watched = owner_->watch_.Add(flow.from->native_handle(), WatchKey(flow.to_upstream));
    flow.unwatchable = !flow.watched;
    if (!flow.watched) return false;
  }
  flow.watching = true;
  owner_->watch_.Expect();
  return true;
}

void FaultProxy::Impl::Connection::StopWatching(Flow& flow) {
  if (!flow.watching) return;
  flow.watching = false;
  owner_->watch_.Release();
}

void FaultProxy::Impl::Connection::OnWatched(bool to_upstream, uint32_t events) {
  Flow& flow = to_upstream ? up_ : down_;
  flow.ready = true;
  if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) flow.hup = true;
  if (!flow.watching) return;  // read later, or by Asio's wait
  StopWatching(flow);
  OnReadable(flow, {});
}

void FaultProxy::Impl::Connection::CountDropped(size_t bytes) {
  if (owner_) owner_->counters_.bytes_discarded += bytes;
}

void FaultProxy::Impl::Connection::Discard(Flow& flow, size_t from) {
  const size_t keep = std::max<size_t>(from, flow.writing ? 1 : 0);
  while (flow.queue.size() > keep) {
    const size_t n = flow.queue.back().data.size();
    if (n > 0) lost_bytes_ = true;
    owner_->counters_.bytes_discarded += n;
    flow.queued_bytes -= QueuedCost(flow.queue.back());
    flow.queue.pop_back();
  }
  flow.timer->Cancel();
}

void FaultProxy::Impl::Connection::UpstreamGone() {
  if (state_ == State::kHeld) return;
  Discard(up_);
  Discard(down_);
  CloseUpstream(/*abortive=*/false);
  state_ = State::kHeld;
  if (up_.state != Flow::State::kOpen) {
    // The client had already sent its FIN: nothing is left to wait for.
    Close(/*abortive=*/false);
    return;
  }
  Read(up_);  // keep noticing the client's close
}

}  // namespace faultline
