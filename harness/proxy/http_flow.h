// HttpFlow: the HTTP/1.1 side of one proxied connection of a proxy with
// ProxyProtocol::kHttp. Internal to the proxy (the Connection owns one).
//
// It parses the bytes each way (Beast's parser, in http_flow.cc only) to
// find where each request and response begins and ends, and forwards the
// bytes it read unchanged (no re-serialising: chunked bodies, odd spacing
// and header order pass byte-exact). At each request's head it draws the
// HTTP faults (abort, delay, slow_body, hang_request; fault.h) that match
// the request, and keeps an UpstreamRecord of every request in the
// proxy's ledger. What it forwards goes through the connection's TCP
// fault stages (HttpHost::Send), so TCP faults still apply; and a request
// a `hang` swallows before any stage is still recorded (Swallowed).
//
// Responses go back in request order (HTTP/1.1 has no other): an aborted
// request's answer waits for the answers to the requests before it; a hung
// request blocks the rest of its connection (nothing after it is
// forwarded). A request the parser cannot read turns the rest of the
// connection into a plain byte pipe (HttpFlow::piping), so a malformed
// request reaches the dependency as it was sent.
//
// Single-threaded: every call on the proxy's io_context thread.
#pragma once

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "harness/proxy/fault.h"
#include "harness/proxy/stage.h"
#include "harness/proxy/upstream_record.h"

namespace faultline {

/// The most requests one connection may have open (read and not yet wholly
/// answered): pipelining past it is abuse, not a client. At the limit the
/// connection stops reading the target's requests until answers are
/// delivered (HttpFlow::Backlogged); under a `hang`, which never answers,
/// the rest of the connection is dropped unparsed instead. So the records
/// and queued answers of one connection stay bounded (docs/faults.md).
constexpr size_t kHttpMaxOpenRequests = 1024;

/// The largest request or response head (start line and fields) the HTTP
/// proxy parses: big cookies and tokens fit (Envoy's default is 60 KiB,
/// Beast's own 8 KiB is too small for them). A longer head is one the
/// parser cannot read: the rest of its connection becomes a byte pipe.
constexpr size_t kHttpMaxHeadBytes = 64 * 1024;

/// What an HttpFlow needs of its connection.
class HttpHost {
 public:
  virtual TimePoint Now() const = 0;
  virtual std::mt19937_64& rng() = 0;
  virtual const std::vector<ProxyFault>& ActiveFaults() const = 0;
  virtual UpstreamLedger& Ledger() = 0;
  /// One more request an HTTP fault applied to (ProxyCounters::affected).
  virtual void CountAffected(const std::string& fault_name) = 0;
  virtual void CountDropped(size_t bytes) = 0;
  /// Passes pieces on through the direction's TCP fault stages. The
  /// connection may be closed when this returns (see Gone()).
  virtual void Send(bool to_upstream, Pieces pieces) = 0;
  /// The connection has closed.
  virtual bool Gone() const = 0;

 protected:
  ~HttpHost() = default;
};

class HttpFlow {
 public:
  explicit HttpFlow(HttpHost& host);
  ~HttpFlow();
  HttpFlow(const HttpFlow&) = delete;
  HttpFlow& operator=(const HttpFlow&) = delete;

  /// Bytes read from the target (client) and from the dependency.
  void FromClient(const char* data, size_t n);
  /// Bytes read from the target that a TCP `hang` swallows (the connection
  /// counts them as discarded). Each request head among them is still
  /// recorded: an UpstreamRecord opens (no HTTP fault is drawn, no answer
  /// is awaited) and ends as any other when the target leaves, the
  /// connection closes, or stays open. Nothing is forwarded; the rest of a
  /// request whose head was swallowed is dropped even if the hang ends
  /// first.
  void Swallowed(const char* data, size_t n);
  void FromUpstream(const char* data, size_t n);
  /// The dependency sent FIN: completes a response delimited by the close.
  void UpstreamEof();
  /// `total` bytes have now been written to the client in all: responses
  /// that are wholly delivered end as answered (or fault, for an abort).
  void Delivered(uint64_t total);
  /// The target closed or reset its connection: every open request of it
  /// ends as abandoned.
  void ClientGone();
  /// The target sent FIN: a request tail the parser still holds (a head
  /// or chunk-size line cut short) goes upstream as sent, before the FIN,
  /// unless its request is being dropped.
  void ClientEof();
  /// The connection closes for another reason: open requests end as
  /// `fault` (a TCP fault or the dependency ended them), or stay open when
  /// `keep_open` (the proxy itself is closing).
  void Closed(bool keep_open);
  /// The rest of the connection is a plain byte pipe.
  bool piping() const { return piping_; }
  /// kHttpMaxOpenRequests of this connection's requests are open (and it
  /// is neither a pipe nor stuck): read no more of the target's bytes until
  /// Delivered ends some.
  bool Backlogged() const;

 private:
  struct State;  // the parsers and the requests awaiting their answers (http_flow.cc)
  void ParseRequests();
  void OnRequestHead();
  void ParseResponses();
  void OnResponseHead();
  void FinishResponse();
  // Sends the local answers (abort) that are next in line.
  void Pump();
  void SendToClient(std::string bytes, bool body);
  void ToPiping();
  void EndAll(UpstreamEnd how);

  HttpHost& host_;
  std::unique_ptr<State> s_;
  bool piping_ = false;
};

}  // namespace faultline
