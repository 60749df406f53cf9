// ProxyFault: what the fault proxy does to the bytes it carries, in the
// proxy's own terms. The run converts a scenario's fault to this; the proxy
// knows nothing of scenarios. The exact semantics of every kind are in
// docs/faults.md.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "harness/common/units.h"

namespace faultline {

struct ProxyFault {
  enum class Kind {
    kLatency, kBandwidth, kSlowClose, kTimeout, kResetPeer, kSlicer, kLimitData,
    kHang, kReset, kRefuse, kConnectHang,
    // HTTP faults: act on requests of a proxy with ProxyProtocol::kHttp
    // (upstream_record.h); ignored by a TCP proxy. `fraction` is drawn per
    // request, and `match` selects the requests.
    kAbort, kDelay, kSlowBody, kHangRequest
  };
  // kUpstream: bytes client -> dependency; kDownstream: dependency -> client
  // (Toxiproxy's "stream" names). Ignored by the connection-level kinds
  // (hang, reset, refuse, connect_hang).
  enum class Direction { kBoth, kUpstream, kDownstream };

  Kind kind = Kind::kHang;
  std::string name;        // identity within one proxy (unique); "" = KindName(kind)
  Direction direction = Direction::kDownstream;
  double fraction = 1.0;   // 0..1: share of connections it applies to, drawn once
                           // per (connection, fault name) from the proxy's seeded rng
  Duration latency{0};     // latency: added delay per chunk
  Duration jitter{0};      // latency: +/- uniform
  uint64_t bytes_per_second = 0;  // bandwidth
  Duration delay{0};       // slow_close: how long the close is held;
                           // slicer: pause between slices
  Duration timeout{0};     // timeout: close after this long (0 = never; data dropped meanwhile);
                           // reset_peer: RST this long after the fault applies to the
                           // connection (0 = on the first data received)
  uint64_t slice_bytes = 0;      // slicer: average slice size
  uint64_t slice_variation = 0;  // slicer: +/- uniform on the size
  uint64_t bytes = 0;            // limit_data: forwarded (per direction) before the close
  // The HTTP faults (kAbort, kDelay, kSlowBody, kHangRequest). `delay` is
  // delay's hold; `bytes_per_second` slow_body's rate.
  int status = 0;                // abort: the status answered (Envoy's abort.http_status)
  std::string body;              // abort: the body answered
  bool on_response = false;      // delay: hold the response's head, not the request
  struct Match {
    std::string method;          // "" = any
    std::string path_prefix;     // "" = any; compared with the request-target
    std::map<std::string, std::string> headers;  // lower-case name -> exact value
                                                 // ("" = present with any value)
    bool operator==(const Match&) const = default;
  };
  Match match;                   // the requests an HTTP fault applies to
  bool operator==(const ProxyFault&) const = default;
};

/// Whether `kind` is one of the HTTP faults (abort, delay, slow_body,
/// hang_request).
bool IsHttpKind(ProxyFault::Kind kind);

/// "latency", "slow_close", "connect_hang", ...: the catalogue's names
/// (Toxiproxy's toxic names where it has the kind).
std::string_view KindName(ProxyFault::Kind);
/// The inverse of KindName; nullopt for any other word.
std::optional<ProxyFault::Kind> KindFromName(std::string_view);

/// "latency 3s±100ms upstream", "latency 200ms both ways", "hang",
/// "bandwidth 1048576 B/s", "reset_peer after 2s 30%": one line for event
/// lines and progress output.
std::string Describe(const ProxyFault& f);

}  // namespace faultline
