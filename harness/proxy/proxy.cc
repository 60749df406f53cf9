// FaultProxy: the listener (accept, refuse, re-listen), the active fault and
// the counters. The connections' side is in proxy_connection.cc.

#include "harness/proxy/proxy.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "harness/common/out_of_fds.h"
#include "harness/common/text.h"
#include "harness/proxy/proxy_impl.h"

namespace faultline {

namespace {

// Back-off before accepting (or re-listening) again after a failure such as
// EMFILE, so an error that persists does not spin the loop.
constexpr auto kRetryDelay = std::chrono::milliseconds(50);

// "127.0.0.1:80", "[::1]:80".
std::string HostPort(const asio::ip::address& address, uint16_t port) {
  return JoinHostPort(address.to_string(), port);
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
      upstream_address_(IpAddressOf(upstream_host_)),
      rng_(seed),
      acceptor_(io),
      retry_timer_(clock.NewTimer()),
      watch_(io, [this](uint64_t key, uint32_t events) { OnWatched(key, events); }) {}

Status FaultProxy::Impl::Listen(const std::string& host, uint16_t port) {
  if (listener_ != Listener::kClosed) {
    return Status::Unavailable("proxy " + name_ + ": already listening on " +
                               HostPort(listen_address_, listen_port_));
  }
  std::optional<asio::ip::address> address = IpAddressOf(host);
  if (!address) {
    return Status::Invalid("proxy " + name_ + ": listen on " + host + ":" + std::to_string(port) +
                           ": not an IP address or localhost");
  }
  listen_host_ = host;
  listen_address_ = *address;
  upstream_is_self_ = false;
  Status status = OpenAcceptor(port, asio::socket_base::max_listen_connections);
  if (!status.ok()) return status;
  listener_ = Listener::kAccepting;
  Accept();
  UpdateListener();  // port now known and reserved, whatever the faults
  return Status::Ok();
}

Status FaultProxy::Impl::OpenAcceptor(uint16_t port, int backlog) {
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
  if (acceptor_.listen(backlog, ec)) return fail("listen on");
  listen_port_ = acceptor_.local_endpoint(ec).port();
  if (ec) return fail("read the address of");
  return Status::Ok();
}

void FaultProxy::Impl::CloseAcceptor() {
  accept_generation_++;
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  retry_timer_->Cancel();
}

FaultProxy::Impl::Listener FaultProxy::Impl::WantedListener() const {
  if (listener_ == Listener::kClosed) return Listener::kClosed;
  bool hang = false;
  for (const ProxyFault& f : faults_) {
    // A fraction of the listener cannot be refused: below 1, `refuse`
    // resets a drawn share of the connections instead (Connection).
    if (f.kind == ProxyFault::Kind::kRefuse && f.fraction >= 1.0) return Listener::kRefusing;
    // The kernel completes handshakes before the proxy sees a connection,
    // so connect_hang acts on every new connection when its fraction > 0.
    if (f.kind == ProxyFault::Kind::kConnectHang && f.fraction > 0.0) hang = true;
  }
  return hang ? Listener::kHanging : Listener::kAccepting;
}

void FaultProxy::Impl::UpdateListener() {
  const Listener wanted = WantedListener();
  if (wanted == listener_) return;
  if (listener_ == Listener::kHanging) StopConnectHang();
  if (wanted == Listener::kRefusing) {
    CloseAcceptor();
  } else if (!acceptor_.is_open()) {
    // SO_REUSEADDR makes this succeed unless another process took the port
    // meanwhile; then keep trying, as the fault's end must restore service.
    if (!OpenAcceptor(listen_port_, asio::socket_base::max_listen_connections).ok()) {
      listener_ = Listener::kAccepting;
      RetryAfterDelay(/*reopen=*/true);
      return;
    }
    Accept();
  }
  listener_ = wanted;
  if (wanted == Listener::kHanging) StartConnectHang();
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
          NoteIfOutOfFds(ec);
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
    } else if (!OpenAcceptor(listen_port_, asio::socket_base::max_listen_connections).ok()) {
      RetryAfterDelay(/*reopen=*/true);
    } else {
      Accept();
      listener_ = Listener::kAccepting;
      UpdateListener();
    }
  });
}

void FaultProxy::Impl::OnAccepted(tcp::socket socket) {
  if (IsPlug(socket)) return;
  counters_.accepted++;
  if (upstream_is_self_) {  // each connection would open another, to the end of the fds
    counters_.upstream_connect_errors++;
    ReportSelfUpstream();
    SetAbortiveClose(socket);
    return;
  }
  counters_.open_client++;
  auto connection = std::make_shared<Connection>(this, std::move(socket));
  connections_.emplace(connection.get(), connection);
  connection->Start();
}

bool FaultProxy::Impl::IsOwnListener(const tcp::endpoint& remote) const {
  return remote.port() == listen_port_ && Reaches(remote.address(), listen_address_);
}

void FaultProxy::Impl::ReportSelfUpstream() {
  if (!on_connect_error_) return;
  on_connect_error_("it is this proxy's own listening address " +
                    HostPort(listen_address_, listen_port_) +
                    ": each connection would open another to itself");
}

void FaultProxy::Impl::OnWatched(uint64_t key, uint32_t events) {
  auto* address = reinterpret_cast<Connection*>(static_cast<uintptr_t>(key & ~uint64_t{1}));
  auto it = connections_.find(address);
  if (it == connections_.end()) return;  // closed since the event was fetched
  std::shared_ptr<Connection> connection = it->second;  // it may close itself
  connection->OnWatched((key & 1) != 0, events);
}

std::vector<std::shared_ptr<FaultProxy::Impl::Connection>> FaultProxy::Impl::Snapshot() const {
  std::vector<std::shared_ptr<Connection>> all;
  all.reserve(connections_.size());
  for (const auto& [key, connection] : connections_) all.push_back(connection);
  return all;
}

void FaultProxy::Impl::SetFaults(std::vector<ProxyFault> faults) {
  faults_ = std::move(faults);
  UpdateListener();
  for (const auto& connection : Snapshot()) connection->ApplyFaults();
}

void FaultProxy::Impl::SetUpstream(std::string host, uint16_t port) {
  upstream_host_ = std::move(host);
  upstream_port_ = port;
  upstream_address_ = IpAddressOf(upstream_host_);
  upstream_is_self_ = false;
  for (const auto& connection : Snapshot()) connection->Close(/*abortive=*/false);
}

void FaultProxy::Impl::Close() {
  if (listener_ == Listener::kHanging) StopConnectHang();
  listener_ = Listener::kClosed;
  CloseAcceptor();
  closing_ = true;  // their open requests stay open in the records
  for (const auto& connection : Snapshot()) connection->Close(/*abortive=*/false);
  closing_ = false;
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
void FaultProxy::OnUpstreamConnectError(std::function<void(const std::string&)> report) {
  impl_->OnUpstreamConnectError(std::move(report));
}
const std::string& FaultProxy::name() const { return impl_->name(); }
ProxyCounters FaultProxy::counters() const { return impl_->counters(); }
void FaultProxy::SetProtocol(ProxyProtocol protocol, RecordKeeping keeping) {
  impl_->SetProtocol(protocol, keeping);
}
UpstreamCounts FaultProxy::Counts() const { return impl_->Counts(); }
std::vector<UpstreamRecord> FaultProxy::Records() const { return impl_->Records(); }

void FaultProxy::ForEachRecord(const std::function<void(const UpstreamRecord&)>& each) const {
  impl_->ledger().ForEach(each);
}

}  // namespace faultline
