// Toxiproxy's toxics in faultline's terms: the JSON a Toxiproxy client sends
// and reads ({"name", "type", "stream", "toxicity", "attributes": {...}}),
// mapped onto ProxyFault and back. Parsed once into ProxyFault; every answer
// is rendered from the ProxyFault.
//
//   type      ProxyFault::Kind by its name (KindName): Toxiproxy's latency,
//             bandwidth, slow_close, timeout, reset_peer, slicer, limit_data,
//             and faultline's hang, reset, refuse, connect_hang.
//   stream    "upstream" (client -> dependency) or "downstream" (the default);
//             faultline also takes "both".
//   toxicity  ProxyFault::fraction, 0..1 (default 1).
//   name      ProxyFault::name (default "<type>_<stream>").
//   attributes, per type, in Toxiproxy's units:
//     latency: latency, jitter (ms)      bandwidth: rate (KB/s, 1 KB = 1000 B)
//     slow_close: delay (ms)             timeout: timeout (ms)
//     reset_peer: timeout (ms)           limit_data: bytes
//     slicer: average_size, size_variation (bytes), delay (microseconds)
//   Absent attributes are 0. An attribute the type does not have, a value
//   that is not a non-negative number, one above 1e18 ns or 1e18 bytes (1e12
//   ms, 1e15 KB/s; the 400 names the largest), or a toxicity outside 0..1
//   is a 400.
#pragma once

#include <nlohmann/json.hpp>

#include "harness/proxy/fault.h"
#include "harness/proxyd/api_error.h"

namespace faultline {

/// A new toxic from the body of POST /proxies/{p}/toxics, with Toxiproxy's
/// defaults and errors (400 "invalid toxic type", "stream was invalid, ...").
ApiResult<ProxyFault> ToxicFromJson(const nlohmann::json& body);

/// `toxic` updated by the body of POST/PATCH /proxies/{p}/toxics/{t}:
/// "attributes" merged over its own, "toxicity" replaced when given; other
/// fields are ignored, as Toxiproxy does.
ApiResult<ProxyFault> UpdatedToxic(const ProxyFault& toxic, const nlohmann::json& body);

/// The toxic as Toxiproxy shows it. An HTTP fault (from a proxy file) shows
/// its own attributes: abort status and body, delay (ms) and on, slow_body
/// rate (KB/s), and match when set.
nlohmann::json ToxicToJson(const ProxyFault& toxic);

/// "upstream", "downstream" or "both".
const char* StreamName(ProxyFault::Direction d);

}  // namespace faultline
