// FaultProxy: the listener (accept, refuse, re-listen), the active fault and
// the counters. The connections' side is in proxy_connection.cc.

#include "harness/proxy/proxy.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "harness/proxy/proxy_impl.h"

namespace faultline {

namespace {

// Back-off before accepting (or re-listening) again after a failure such as
// EMFILE, so an error that persists does not spin the loop.
constexpr auto kRetryDelay = std::chrono::milliseconds(50);

}  // namespace

void SetAbortiveClose(tcp::socket& socket) {
  boost::system::error_code ignored;
  socket.set_option(asio::socket_base::linger(true, 0), ignored);
}

FaultProxy::Impl::Impl(asio::io_context& io, Clock& clock, std::string name,
                       uint16_t upstream_port, uint64_t seed)
    : io_(io),
      clock_(clock),
      name_(std::move(name)),
      upstream_port_(upstream_port),
      rng_(seed),
      acceptor_(io),
      retry_timer_(clock.NewTimer()) {}

bool FaultProxy::Impl::Delays(bool to_upstream) const {
  if (!FaultIs(ProxyFault::Kind::kLatency)) return false;
  switch (fault_->direction) {
    case ProxyFault::Direction::kBoth:
      return true;
    case ProxyFault::Direction::kUpstream:
      return to_upstream;
    case ProxyFault::Direction::kDownstream:
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
  if (FaultIs(ProxyFault::Kind::kRefuse)) CloseAcceptor();  // port now known and reserved
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
  retry_timer_->Cancel();
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
  // The timer dies with this object: its callback never outlives it.
  clock_.After(*retry_timer_, kRetryDelay, [this, generation = accept_generation_, reopen] {
    if (generation != accept_generation_) return;
    if (!reopen) {
      Accept();
    } else if (!OpenAcceptor(listen_port_).ok()) {
      RetryAfterDelay(/*reopen=*/true);
    }
  });
}

void FaultProxy::Impl::OnAccepted(tcp::socket socket) {
  counters_.accepted++;
  if (FaultIs(ProxyFault::Kind::kReset)) {
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

void FaultProxy::Impl::SetFault(std::optional<ProxyFault> fault) {
  bool was_refusing = FaultIs(ProxyFault::Kind::kRefuse);
  fault_ = std::move(fault);
  bool refusing = FaultIs(ProxyFault::Kind::kRefuse);
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

FaultProxy::FaultProxy(asio::io_context& io, Clock& clock, std::string name,
                       uint16_t upstream_port, uint64_t seed)
    : impl_(std::make_unique<Impl>(io, clock, std::move(name), upstream_port, seed)) {}

FaultProxy::~FaultProxy() = default;

Status FaultProxy::Listen(uint16_t listen_port) { return impl_->Listen(listen_port); }
uint16_t FaultProxy::port() const { return impl_->port(); }
void FaultProxy::SetFault(std::optional<ProxyFault> fault) { impl_->SetFault(std::move(fault)); }
void FaultProxy::Close() { impl_->Close(); }
const std::string& FaultProxy::name() const { return impl_->name(); }
ProxyCounters FaultProxy::counters() const { return impl_->counters(); }

}  // namespace faultline
