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

// "localhost" and address literals; nullopt for a name to resolve.
std::optional<asio::ip::address> AddressOf(const std::string& host) {
  if (host == "localhost") return asio::ip::address_v4::loopback();
  boost::system::error_code ec;
  auto address = asio::ip::make_address(host, ec);
  if (ec) return std::nullopt;
  return address;
}

// "127.0.0.1:80", "[::1]:80".
std::string HostPort(const asio::ip::address& address, uint16_t port) {
  std::string host = address.to_string();
  if (address.is_v6()) host = "[" + host + "]";
  return host + ":" + std::to_string(port);
}

}  // namespace

void SetAbortiveClose(tcp::socket& socket) {
  boost::system::error_code ignored;
  socket.set_option(asio::socket_base::linger(true, 0), ignored);
}

FaultProxy::Impl::Impl(asio::io_context& io, Clock& clock, std::string name,
                       std::string upstream_host, uint16_t upstream_port, uint64_t seed)
    : io_(io),
      clock_(clock),
      name_(std::move(name)),
      upstream_host_(std::move(upstream_host)),
      upstream_port_(upstream_port),
      upstream_address_(AddressOf(upstream_host_)),
      rng_(seed),
      acceptor_(io),
      retry_timer_(clock.NewTimer()) {}

bool FaultProxy::Impl::FaultIs(ProxyFault::Kind kind) const {
  for (const ProxyFault& f : faults_) {
    if (f.kind == kind) return true;
  }
  return false;
}

const ProxyFault* FaultProxy::Impl::LatencyFault() const {
  for (const ProxyFault& f : faults_) {
    if (f.kind == ProxyFault::Kind::kLatency) return &f;
  }
  return nullptr;
}

bool FaultProxy::Impl::Delays(bool to_upstream) const {
  const ProxyFault* latency = LatencyFault();
  if (!latency) return false;
  switch (latency->direction) {
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
  const ProxyFault* latency = LatencyFault();
  Duration delay = latency->latency;
  int64_t jitter = latency->jitter.count();
  if (jitter > 0) {
    std::uniform_int_distribution<int64_t> offset(-jitter, jitter);
    delay += Duration(offset(rng_));
  }
  return std::max(delay, Duration::zero());
}

Status FaultProxy::Impl::Listen(const std::string& host, uint16_t port) {
  if (want_listening_) {
    return Status::Unavailable("proxy " + name_ + ": already listening on " +
                               HostPort(listen_address_, listen_port_));
  }
  std::optional<asio::ip::address> address = AddressOf(host);
  if (!address) {
    return Status::Invalid("proxy " + name_ + ": listen on " + host + ":" + std::to_string(port) +
                           ": not an IP address or localhost");
  }
  listen_host_ = host;
  listen_address_ = *address;
  Status status = OpenAcceptor(port);
  if (!status.ok()) return status;
  want_listening_ = true;
  if (FaultIs(ProxyFault::Kind::kRefuse)) CloseAcceptor();  // port now known and reserved
  return Status::Ok();
}

Status FaultProxy::Impl::OpenAcceptor(uint16_t port) {
  tcp::endpoint endpoint(listen_address_, port);
  boost::system::error_code ec;
  auto fail = [&](const char* what) {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    return Status::Unavailable("proxy " + name_ + ": " + what + " " +
                               HostPort(listen_address_, port) + ": " + ec.message());
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

void FaultProxy::Impl::SetFaults(std::vector<ProxyFault> faults) {
  bool was_refusing = FaultIs(ProxyFault::Kind::kRefuse);
  faults_ = std::move(faults);
  bool refusing = FaultIs(ProxyFault::Kind::kRefuse);
  if (refusing && !was_refusing && want_listening_) CloseAcceptor();
  if (!refusing && was_refusing && want_listening_ && !acceptor_.is_open()) {
    // SO_REUSEADDR makes this succeed unless another process took the port
    // meanwhile; then keep trying, as the fault's end must restore service.
    if (!OpenAcceptor(listen_port_).ok()) RetryAfterDelay(/*reopen=*/true);
  }
  for (const auto& connection : Snapshot()) connection->OnFaultChanged();
}

void FaultProxy::Impl::SetUpstream(std::string host, uint16_t port) {
  upstream_host_ = std::move(host);
  upstream_port_ = port;
  upstream_address_ = AddressOf(upstream_host_);
  for (const auto& connection : Snapshot()) connection->Close(/*abortive=*/false);
}

void FaultProxy::Impl::Close() {
  want_listening_ = false;
  CloseAcceptor();
  for (const auto& connection : Snapshot()) connection->Close(/*abortive=*/false);
  connections_.clear();
}

FaultProxy::FaultProxy(asio::io_context& io, Clock& clock, std::string name,
                       std::string upstream_host, uint16_t upstream_port, uint64_t seed)
    : impl_(std::make_unique<Impl>(io, clock, std::move(name), std::move(upstream_host),
                                   upstream_port, seed)) {}

FaultProxy::~FaultProxy() = default;

Status FaultProxy::Listen(const std::string& host, uint16_t port) {
  return impl_->Listen(host, port);
}
uint16_t FaultProxy::port() const { return impl_->port(); }
const std::string& FaultProxy::listen_host() const { return impl_->listen_host(); }
void FaultProxy::SetFaults(std::vector<ProxyFault> faults) { impl_->SetFaults(std::move(faults)); }
const std::vector<ProxyFault>& FaultProxy::faults() const { return impl_->faults(); }
void FaultProxy::SetUpstream(std::string host, uint16_t port) {
  impl_->SetUpstream(std::move(host), port);
}
void FaultProxy::Close() { impl_->Close(); }
const std::string& FaultProxy::name() const { return impl_->name(); }
ProxyCounters FaultProxy::counters() const { return impl_->counters(); }

}  // namespace faultline
