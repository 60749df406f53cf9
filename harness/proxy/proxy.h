// FaultProxy: an event-driven TCP proxy that sits in front of one dependency
// and injects the faults of the current phase (ProxyFault, fault.h). Runs on
// the caller's io_context (single-threaded use: call every method from that
// context's thread) and takes every time and timer from the caller's Clock
// (latency due times, retry back-off). Holds no threads of its own; memory
// per connection is bounded by two fixed-size buffers (plus queued delayed
// chunks under `latency`).
//
// Fault semantics (a fault applies from SetFault until the next SetFault, to
// connections already open and to new ones):
//   latency  every chunk travelling in the fault's direction is delivered
//            `latency` +/- uniform `jitter` after it was read; order kept.
//   hang     connections are accepted and the upstream connected as usual,
//            but every byte read from either side is discarded, and EOF or
//            errors from the upstream are not passed on: the client sees a
//            silent peer. Discarded bytes are gone for good, so a request
//            sent during a hang never gets its answer, also after the hang
//            ends (as with a real stuck dependency); new bytes flow again
//            once the fault is cleared. A connection the upstream closed
//            during the hang stays silent after it if it lost bytes (its
//            request is never answered), and is closed when the hang ends
//            if it lost none (an idle pooled connection sees the close).
//   reset    open connections are closed with RST (SO_LINGER 0) on both
//            sides; new connections are accepted and reset at once.
//   refuse   the listening socket is closed (clients get ECONNREFUSED) and
//            open connections are reset; the same port is listened on again
//            when the fault is cleared.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "harness/common/asio.h"
#include "harness/common/clock.h"
#include "harness/common/status.h"
#include "harness/proxy/fault.h"

namespace faultline {

struct ProxyCounters {
  uint64_t accepted = 0;             // client connections accepted, ever
  uint64_t open_client = 0;          // client-side connections open now
  uint64_t open_upstream = 0;        // upstream connections open now
  uint64_t upstream_connect_errors = 0;
  uint64_t bytes_up = 0;             // forwarded client -> upstream
  uint64_t bytes_down = 0;           // forwarded upstream -> client
  uint64_t bytes_discarded = 0;      // dropped by `hang`
  uint64_t resets = 0;               // connections reset by `reset`/`refuse`
};

class FaultProxy {
 public:
  /// Does not listen yet. `upstream_port` is on 127.0.0.1. `seed` drives
  /// the jitter's random source, so a run can be repeated. `clock` must
  /// outlive the proxy.
  FaultProxy(asio::io_context& io, Clock& clock, std::string name, uint16_t upstream_port,
             uint64_t seed);
  ~FaultProxy();  // closes every socket
  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;

  /// Binds 127.0.0.1:listen_port (0 = any free port) and starts accepting.
  /// Unavailable (naming the port) when the bind fails.
  Status Listen(uint16_t listen_port);
  uint16_t port() const;

  /// Replaces the active fault; nullopt clears it.
  void SetFault(std::optional<ProxyFault> fault);

  /// Closes the listener and every connection.
  void Close();

  const std::string& name() const;
  ProxyCounters counters() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace faultline
