// connect_hang: new connections never complete their handshake. The
// listener stops accepting, its backlog shrinks to 0 (listen() again on the
// listening socket) and a connection of the proxy's own (the plug) fills
// the one accept-queue slot Linux then allows; the kernel drops every
// further SYN (the client retransmits it: 1 s, 3 s, ...), so the caller's
// connect() times out rather than being refused. Connections already open
// are not touched. When the fault clears, the backlog is restored and
// accepting resumes: a client still retransmitting its SYN gets through,
// and the plug is closed when it is accepted.
#include "harness/proxy/proxy_impl.h"

namespace faultline {

void FaultProxy::Impl::StartConnectHang() {
  accept_generation_++;  // a pending accept's completion is now stale
  boost::system::error_code ec;
  acceptor_.cancel(ec);
  retry_timer_->Cancel();
  acceptor_.listen(0, ec);
  plug_ = std::make_unique<tcp::socket>(io_);
  const tcp::endpoint target(listen_address_, listen_port_);
  plug_->open(target.protocol(), ec);
  // Non-blocking connect: on loopback the handshake completes at once
  // unless the queue is already full (then the plug itself waits, which is
  // as good: the queue is full).
  plug_->non_blocking(true, ec);
  plug_->connect(target, ec);
  boost::system::error_code ignored;
  tcp::endpoint local = plug_->local_endpoint(ignored);
  if (!ignored) plug_endpoint_ = local;
}

void FaultProxy::Impl::StopConnectHang() {
  boost::system::error_code ignored;
  if (plug_) plug_->close(ignored);
  plug_.reset();
  if (acceptor_.is_open()) {
    acceptor_.listen(asio::socket_base::max_listen_connections, ignored);
    Accept();
  }
}

bool FaultProxy::Impl::IsPlug(const tcp::socket& socket) {
  if (!plug_endpoint_) return false;
  boost::system::error_code ec;
  if (socket.remote_endpoint(ec) != *plug_endpoint_ || ec) return false;
  plug_endpoint_.reset();
  return true;  // the socket closes as it goes out of scope
}

}  // namespace faultline
