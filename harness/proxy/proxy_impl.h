// Internal to the proxy: FaultProxy::Impl (the listener, the active faults,
// the counters) and its Connection (one client connection, its upstream
// connection, and the two directions between them, each a chain of fault
// stages, stage.h). proxy.cc holds the listener's side (with
// faults/connect_hang.cc), proxy_connection.cc and proxy_flow.cc the
// connection's.
#pragma once

#include <array>
#include <deque>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "harness/proxy/http_flow.h"
#include "harness/proxy/proxy.h"
#include "harness/proxy/read_watch.h"
#include "harness/proxy/stage.h"

namespace faultline {

// A direction waits for its socket to be readable, then reads at most this
// much into the proxy's one scratch buffer. Without stages it writes that
// straight to the other socket and copies only what the socket did not take
// into a queued piece: a connection holds no buffer while no data is in
// flight (an idle proxied connection costs its sockets, timers and
// bookkeeping only), and reads again only once its queue is empty.
constexpr size_t kProxyReadBufferSize = 16 * 1024;
// With stages, a direction stops reading while this many bytes wait in its
// queue, so a slow fault cannot make the proxy's memory grow. What a piece
// costs counts, not only its data: a slicer's 1-byte slices would
// otherwise hold about 75 bytes of memory per byte counted.
constexpr size_t kProxyMaxQueuedBytes = 1 << 20;
// A queued piece's memory besides its data: the Piece in the deque and its
// data's heap block (malloc's header and smallest chunk).
constexpr size_t kPieceOverhead = sizeof(Piece) + 48;
inline size_t QueuedCost(const Piece& piece) { return piece.data.size() + kPieceOverhead; }
// Retime splits what waits into pieces of at least this much, so a slow new
// rate does not turn a held MiB into a million pieces (overhead at most 10 %).
constexpr size_t kMinSplitPiece = 1024;
// From this many open connections on, a drained direction waits for its
// socket's next bytes on the proxy's ReadWatch (one epoll_wait and one
// re-arm per loop wake-up, shared by every connection with bytes in that
// wake-up) rather than on Asio (one epoll_ctl per read). With fewer, a
// wake-up seldom brings more than one socket's bytes, and Asio's wait is one
// system call less on the bytes' path.
constexpr size_t kProxyWatchFromConnections = 4;

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
  void SetProtocol(ProxyProtocol protocol, RecordKeeping keeping) {
    protocol_ = protocol;
    ledger_.set_keeping(keeping);
  }
  UpstreamCounts Counts() const { return ledger_.counts(); }
  std::vector<UpstreamRecord> Records() const { return ledger_.records(); }
  const UpstreamLedger& ledger() const { return ledger_; }
  void OnUpstreamConnectError(std::function<void(const std::string&)> report) {
    on_connect_error_ = std::move(report);
  }

 private:
  class Connection;
  std::function<void(const std::string&)> on_connect_error_;  // OnUpstreamConnectError

  // What the listener does; follows the faults (UpdateListener).
  enum class Listener {
    kClosed,     // before Listen, after Close
    kAccepting,  // listening and accepting
    kRefusing,   // `refuse`: the socket is closed, the port kept for later
    kHanging,    // `connect_hang`: backlog 0, filled by a plug, not accepted from
  };

  // The listener state the active faults ask for (kClosed stays kClosed).
  Listener WantedListener() const;
  void UpdateListener();
  Status OpenAcceptor(uint16_t port, int backlog);
  void CloseAcceptor();
  void Accept();
  void OnAccepted(tcp::socket socket);
  // Whether an upstream connection to `remote` came back to this listener
  // (an upstream name or an address form no check before could see as it).
  bool IsOwnListener(const tcp::endpoint& remote) const;
  void ReportSelfUpstream();
  void RetryAfterDelay(bool reopen);
  // connect_hang (faults/connect_hang.cc): stop accepting, shrink the
  // backlog to 0 and fill it with a connection of our own, so the kernel
  // drops further SYNs; and the way back.
  void StartConnectHang();
  void StopConnectHang();
  // Whether an accepted socket is the connect_hang plug (then it is closed).
  bool IsPlug(const tcp::socket& socket);

  void Forget(Connection* connection) { connections_.erase(connection); }
  // The watch's event for a connection's socket (key: WatchKey).
  void OnWatched(uint64_t key, uint32_t events);
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
  ProxyProtocol protocol_ = ProxyProtocol::kTcp;
  UpstreamLedger ledger_;  // kHttp: every request's record
  bool closing_ = false;   // Close() is closing every connection
  bool upstream_is_self_ = false;  // an upstream connection came back: refuse them all

  tcp::acceptor acceptor_;
  Listener listener_ = Listener::kClosed;
  std::string listen_host_;
  asio::ip::address listen_address_;
  uint16_t listen_port_ = 0;
  // Bumped whenever accepting stops, so completions of an earlier accept
  // (or retry) that arrive after a close/re-open are ignored.
  uint64_t accept_generation_ = 0;
  std::unique_ptr<Timer> retry_timer_;
  std::unique_ptr<tcp::socket> plug_;            // connect_hang's own connection
  std::optional<tcp::endpoint> plug_endpoint_;   // its address, until accepted

  std::unordered_map<Connection*, std::shared_ptr<Connection>> connections_;
  // Every connection reads into this, synchronously once its socket is
  // readable, and forwards or copies out at once (one read at a time).
  std::array<char, kProxyReadBufferSize> scratch_;
  // The connections' sockets, while kProxyWatchFromConnections are open:
  // readiness without an epoll_ctl per read (read_watch.h).
  ReadWatch watch_;
  // Completion handlers of the acceptor hold a weak_ptr to this and return
  // at once when it has expired: the proxy may be destroyed while they are
  // queued.
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

// One client connection and its upstream connection. Kept alive by the
// owner's map and by its pending operations; `owner_` is null once the
// connection is closed, and no handler touches the owner after that, so the
// proxy may be destroyed while operations are still queued. Its timers (and
// its stages') die with it and are cancelled when it closes.
class FaultProxy::Impl::Connection final : public std::enable_shared_from_this<Connection>,
                                           private StageContext,
                                           private HttpHost {
 public:
  Connection(Impl* owner, tcp::socket client);

  // Applies the owner's faults, then connects the upstream (unless reset).
  void Start();
  // Applies the owner's current faults to this connection.
  void ApplyFaults();
  // Closes both sides with RST and counts one reset.
  void Reset();
  // Closes both sockets (with RST if `abortive`), updates the owner's
  // counters and detaches from the owner.
  void Close(bool abortive);
  // The owner's ReadWatch saw the socket a direction reads from (to_upstream:
  // the client's) become readable, closed or failed.
  void OnWatched(bool to_upstream, uint32_t events);
  // The ReadWatch key of a direction: the connection's address, low bit set
  // for client -> upstream.
  uint64_t WatchKey(bool to_upstream) const {
    return reinterpret_cast<uintptr_t>(this) | (to_upstream ? 1 : 0);
  }

 private:
  enum class State {
    kConnecting,  // the upstream connect (or name lookup) is in flight
    kOpen,        // both peers connected; bytes flow both ways
    kHalfClosed,  // one direction's FIN was passed on; the other flows
    kHeld,        // the upstream went away during a hang: the client is kept
                  // open and silent, the upstream socket is closed
    kClosed,
  };

  // One direction of the connection.
  struct Flow {
    enum class State {
      kOpen,      // reading
      kEof,       // `from` sent FIN, not yet passed on (or dropped by a stage)
      kFinished,  // FIN passed on to `to`
    };
    Flow(bool to_upstream, tcp::socket* from, tcp::socket* to, Clock& clock)
        : to_upstream(to_upstream), from(from), to(to), timer(clock.NewTimer()) {}
    const bool to_upstream;  // client -> upstream
    tcp::socket* const from;
    tcp::socket* const to;
    State state = State::kOpen;
    bool reading = false;   // a wait on `from` is in flight (Asio's or the watch's)
    // A read may wait on the owner's ReadWatch (`watching`, WaitOnWatch)
    // rather than on Asio only when `ready` is false: the last read found
    // `from` drained (EAGAIN, or a short read with no hang-up seen: `hup`),
    // so its next bytes come with an event. Every event sets `ready`.
    bool ready = true;
    bool hup = false;
    bool watched = false;      // `from` is in the owner's ReadWatch
    bool unwatchable = false;  // adding it failed: Asio only
    bool watching = false;
    bool writing = false;   // the front piece is being written
    std::deque<Piece> queue;
    size_t queued_bytes = 0;  // what the queue holds: QueuedCost of each piece
    std::vector<std::unique_ptr<Stage>> stages;  // empty without faults
    std::unique_ptr<Timer> timer;                // the front piece's due time
    TimePoint timer_due{};
  };

  // One fault's draw for this connection, kept while the fault stays.
  struct Draw {
    std::string name;
    bool applies;
  };

  // StageContext.
  TimePoint Now() const override { return clock_.Now(); }
  std::mt19937_64& rng() override { return owner_->rng_; }
  std::unique_ptr<Timer> NewTimer() override { return clock_.NewTimer(); }
  void CloseConnection() override { Close(/*abortive=*/false); }
  void ResetConnection() override { Reset(); }
  void CountDropped(size_t bytes) override;

  // HttpHost (with Now, rng and CountDropped above).
  const std::vector<ProxyFault>& ActiveFaults() const override { return owner_->faults_; }
  UpstreamLedger& Ledger() override { return owner_->ledger_; }
  void CountAffected(const std::string& fault_name) override {
    owner_->counters_.affected[fault_name]++;
  }
  void Send(bool to_upstream, Pieces pieces) override {
    RunStages(to_upstream ? up_ : down_, std::move(pieces));
  }
  bool Gone() const override { return closed(); }
  // The target closed or reset its side: its open requests were abandoned.
  void ClientGone() {
    if (http_) http_->ClientGone();
  }

  // Whether `fault` applies to this connection: its draw, made on first sight.
  bool Applies(const ProxyFault& fault);
  // Rebuilds a direction's chain for `faults`, keeping the stages of faults
  // that stay; true when a removed stage closes the connection.
  bool RebuildStages(Flow& flow, const std::vector<ProxyFault>& faults);
  // The queue's due times after the faults changed (Stage::Retime): each
  // piece keeps the sooner of its old time and the `kept` stages' new one.
  void Retime(Flow& flow, const std::vector<Stage*>& kept);
  // Cuts the data pieces of flow.queue from `first` on into pieces of at
  // most `max_bytes` (Stage::MaxPieceBytes), keeping their times.
  void Split(Flow& flow, size_t first, size_t max_bytes);
  bool Drained(const Flow& flow) const;
  void SetHung(bool hung);

  // Read's wait on the owner's ReadWatch (adding `from` to it first); false
  // when Asio's wait is the one to use (see kProxyWatchFromConnections).
  bool WaitOnWatch(Flow& flow);
  // The flow no longer waits on the watch (its event came, or it closed).
  void StopWatching(Flow& flow);

  void Connect(const tcp::endpoint& endpoint);
  void OnConnect(boost::system::error_code ec);
  void Read(Flow& flow);
  void OnReadable(Flow& flow, boost::system::error_code ec);
  void OnRead(Flow& flow, boost::system::error_code ec, const char* data, size_t n);
  // Writes straight through when the direction has no stages and nothing
  // queued; otherwise runs the stages and queues what they give.
  void Forward(Flow& flow, const char* data, size_t n);
  void RunStages(Flow& flow, Pieces pieces);
  void OnEof(Flow& flow);
  void OnError(Flow& flow, boost::system::error_code ec);
  // The peer `flow` reads from reset its connection while the stages hold
  // data of `flow`: the reset goes through them as a FIN would, and the
  // other direction, toward the peer that is gone, is dropped.
  void PassReset(Flow& flow);
  void Write(Flow& flow);
  void OnWrite(Flow& flow, boost::system::error_code ec, size_t n);
  void ArmTimer(Flow& flow, TimePoint due);
  // FIN from one side passed on.
  void Finish(Flow& flow);
  // Drops every queued piece from the `from`th on, except one being written
  // (its buffer is in use).
  void Discard(Flow& flow, size_t from = 0);
  // The client closed its side: what an HTTP `delay` still holds toward the
  // dependency, and what queues behind it, is dropped (docs/faults.md).
  void DropHttpHeld();
  // The upstream closed or failed during a hang. The client is not told:
  // its connection stays open and silent until the client closes it.
  void UpstreamGone();
  void CloseUpstream(bool abortive);
  bool closed() const { return state_ == State::kClosed; }
  bool Connected() const { return state_ == State::kOpen || state_ == State::kHalfClosed; }

  Impl* owner_;
  Clock& clock_;
  tcp::socket client_;
  tcp::socket upstream_;
  Flow up_;
  Flow down_;
  State state_ = State::kConnecting;
  bool hung_ = false;        // a hang applies to this connection now
  bool lost_bytes_ = false;  // a hang discarded bytes of this connection
  Flow* reset_from_ = nullptr;  // the direction carrying a peer's reset (PassReset)
  std::vector<Draw> draws_;  // empty without faults
  std::unique_ptr<HttpFlow> http_;  // ProxyProtocol::kHttp only
  uint64_t delivered_ = 0;          // bytes written to the client, in all (kHttp)
};

}  // namespace faultline
