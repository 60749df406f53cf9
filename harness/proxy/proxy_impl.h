// Internal to the proxy: FaultProxy::Impl (the listener, the active fault,
// the counters) and its Connection (one client connection, its upstream
// connection, and the two directions between them). proxy.cc holds the
// listener's side, proxy_connection.cc the connection's.
#pragma once

#include <array>
#include <deque>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "harness/proxy/proxy.h"

namespace faultline {

// A direction waits for its socket to be readable, then reads at most this
// much into the proxy's one scratch buffer and copies what it read into a
// chunk of exactly that size: a connection holds no buffer while no data is
// in flight (an idle proxied connection costs its sockets, timers and
// bookkeeping only). Without `latency` it reads again only once the
// previous chunk has been written.
constexpr size_t kProxyReadBufferSize = 16 * 1024;
// Under `latency`, a direction stops reading while this many bytes wait for
// their due time, so a slow fault cannot make the proxy's memory grow.
constexpr size_t kProxyMaxQueuedBytes = 1 << 20;

/// Makes the socket's close send RST (SO_LINGER 0).
void SetAbortiveClose(tcp::socket& socket);

class FaultProxy::Impl {
 public:
  Impl(asio::io_context& io, Clock& clock, std::string name, std::string upstream_host,
       uint16_t upstream_port, uint64_t seed);
  ~Impl() { Close(); }

  Status Listen(const std::string& host, uint16_t port);
  uint16_t port() const { return listen_port_; }
  const std::string& listen_host() const { return listen_host_; }
  void SetFaults(std::vector<ProxyFault> faults);
  const std::vector<ProxyFault>& faults() const { return faults_; }
  void SetUpstream(std::string host, uint16_t port);
  void Close();
  const std::string& name() const { return name_; }
  ProxyCounters counters() const { return counters_; }

 private:
  class Connection;

  bool FaultIs(ProxyFault::Kind kind) const;
  const ProxyFault* LatencyFault() const;
  bool Hung() const { return FaultIs(ProxyFault::Kind::kHang); }
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
  Clock& clock_;
  std::string name_;
  std::string upstream_host_;
  uint16_t upstream_port_;
  std::optional<asio::ip::address> upstream_address_;  // when the host is a literal
  std::mt19937_64 rng_;
  std::vector<ProxyFault> faults_;
  ProxyCounters counters_;

  tcp::acceptor acceptor_;
  std::string listen_host_;
  asio::ip::address listen_address_;
  uint16_t listen_port_ = 0;
  bool want_listening_ = false;  // between Listen and Close
  // Bumped whenever the acceptor is closed, so completions of an earlier
  // accept (or retry) that arrive after a close/re-open are ignored.
  uint64_t accept_generation_ = 0;
  std::unique_ptr<Timer> retry_timer_;

  std::unordered_map<Connection*, std::shared_ptr<Connection>> connections_;
  // Every connection reads into this, synchronously once its socket is
  // readable, and copies out at once (single-threaded: one read at a time).
  std::array<char, kProxyReadBufferSize> scratch_;
  // Completion handlers of the acceptor hold a weak_ptr to this and return
  // at once when it has expired: the proxy may be destroyed while they are
  // queued.
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

// One client connection and its upstream connection. Kept alive by the
// owner's map and by its pending operations; `owner_` is null once the
// connection is closed, and no handler touches the owner after that, so the
// proxy may be destroyed while operations are still queued. Its timers die
// with it and are cancelled when it closes.
class FaultProxy::Impl::Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(Impl* owner, tcp::socket client);

  void Start();
  // Applies the owner's current fault to this connection.
  void OnFaultChanged();
  // Closes both sides with RST and counts one reset.
  void Reset();
  // Closes both sockets (with RST if `abortive`), updates the owner's
  // counters and detaches from the owner.
  void Close(bool abortive);

 private:
  struct Chunk {
    std::vector<char> data;
    TimePoint due;
  };

  // One direction of the connection.
  struct Flow {
    Flow(bool to_upstream, tcp::socket* from, tcp::socket* to, Clock& clock)
        : to_upstream(to_upstream), from(from), to(to), timer(clock.NewTimer()) {}
    const bool to_upstream;  // client -> upstream
    tcp::socket* const from;
    tcp::socket* const to;
    bool reading = false;   // waiting for `from` to be readable
    bool writing = false;   // the front chunk is being written
    bool eof = false;       // `from` sent FIN
    bool finished = false;  // FIN passed on to `to`
    std::deque<Chunk> queue;
    size_t queued_bytes = 0;
    TimePoint last_due{};  // due time of the last chunk queued
    std::unique_ptr<Timer> timer;
    TimePoint timer_due{};
  };

  void Connect(const tcp::endpoint& endpoint);
  void OnConnect(boost::system::error_code ec);
  void Read(Flow& flow);
  void OnReadable(Flow& flow, boost::system::error_code ec);
  void OnRead(Flow& flow, boost::system::error_code ec, const char* data, size_t n);
  void Enqueue(Flow& flow, const char* data, size_t n);
  void OnEof(Flow& flow);
  void OnError(Flow& flow, boost::system::error_code ec);
  void Write(Flow& flow);
  void OnWrite(Flow& flow, boost::system::error_code ec, size_t n);
  void ArmTimer(Flow& flow, TimePoint due);
  // FIN from one side, passed on once everything before it was delivered.
  void Finish(Flow& flow);
  // Drops every queued chunk except one being written (its buffer is in use).
  void Discard(Flow& flow);
  // The upstream closed or failed during a hang. The client is not told:
  // its connection stays open and silent until the client closes it.
  void UpstreamGone();
  void CloseUpstream(bool abortive);

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

}  // namespace faultline
