// FaultProxy: an event-driven TCP proxy that sits in front of one dependency
// and injects the faults of the current phase (ProxyFault, fault.h). Runs on
// the caller's io_context (single-threaded use: call every method from that
// context's thread) and takes every time and timer from the caller's Clock
// (due times, retry back-off). Holds no threads of its own; a connection
// holds no buffer while nothing is queued (bytes are read into one scratch
// buffer shared by all and written straight through), and at most
// kProxyMaxQueuedBytes per direction while faults hold bytes back.
//
// Fault semantics: docs/faults.md. A set of faults applies from SetFaults
// until the next SetFaults, to connections already open and to new ones;
// several may be active at once, applied in list order per direction.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "harness/common/asio.h"
#include "harness/common/clock.h"
#include "harness/common/ip_address.h"  // IpAddressOf and Reaches, for the loop checks
#include "harness/common/status.h"
#include "harness/proxy/fault.h"
#include "harness/proxy/upstream_record.h"

namespace faultline {

struct ProxyCounters {
  uint64_t accepted = 0;             // client connections accepted, ever
  uint64_t open_client = 0;          // client-side connections open now
  uint64_t open_upstream = 0;        // upstream connections open now
  uint64_t upstream_connect_errors = 0;
  uint64_t bytes_up = 0;             // forwarded client -> upstream
  uint64_t bytes_down = 0;           // forwarded upstream -> client
  uint64_t bytes_discarded = 0;      // dropped by hang, timeout, limit_data
  uint64_t resets = 0;               // connections reset by reset/refuse/reset_peer
  // Connections each fault applied to (its fraction's draw said yes), by
  // fault name; a fault that ends keeps its count.
  std::map<std::string, uint64_t> affected;
};

class FaultProxy {
 public:
  /// Does not listen yet. The upstream is `upstream_host` ("127.0.0.1",
  /// "::1", "localhost" or a name resolved per connection) port
  /// `upstream_port`. `seed` drives every random draw (jitter, fractions,
  /// slice sizes), so a run can be repeated. `clock` must outlive the proxy.
  FaultProxy(asio::io_context& io, Clock& clock, std::string name, std::string upstream_host,
             uint16_t upstream_port, uint64_t seed);
  ~FaultProxy();  // closes every socket
  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;

  /// Binds host:port ("127.0.0.1", "::1", "localhost" or any address
  /// literal; port 0 = any free port) and starts accepting. Invalid for a
  /// host that is not an address; Unavailable (naming host:port) when the
  /// bind fails or the proxy already listens.
  Status Listen(const std::string& host, uint16_t port);
  uint16_t port() const;
  const std::string& listen_host() const;

  /// Replaces the active set of faults; {} clears all. A fault whose name
  /// stays keeps its per-connection draws.
  void SetFaults(std::vector<ProxyFault> faults);
  const std::vector<ProxyFault>& faults() const;

  /// Open connections are closed; new ones go to host:port.
  void SetUpstream(std::string host, uint16_t port);

  /// Closes the listener and every connection.
  void Close();

  /// `report(why)` ("Connection refused") for each client connection it
  /// could not connect upstream (counted in upstream_connect_errors; the
  /// client's connection is closed). Called on the proxy's io_context.
  void OnUpstreamConnectError(std::function<void(const std::string&)> report);

  const std::string& name() const;
  ProxyCounters counters() const;

  /// Before Listen(): kHttp parses each connection as HTTP/1.1 request by
  /// request. Default kTcp (today's byte pipe). `keeping`: which request
  /// records it keeps (kAll for a run's audit; kOpenOnly for a proxy that
  /// runs until stopped, whose counts still cover every request).
  void SetProtocol(ProxyProtocol protocol, RecordKeeping keeping = RecordKeeping::kAll);
  /// Counts so far; kHttp only (zeros for kTcp). Call on the proxy's io_context
  /// thread (the same one the run and the sampler use).
  UpstreamCounts Counts() const;
  /// Every request record so far, open ones with how == kOpen. kHttp only.
  std::vector<UpstreamRecord> Records() const;
  /// Records() one by one, without a copy of them all (a run's may be
  /// hundreds of thousands).
  void ForEachRecord(const std::function<void(const UpstreamRecord&)>& each) const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace faultline
