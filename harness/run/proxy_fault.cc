#include "harness/run/proxy_fault.h"

#include <cctype>

namespace faultline {
namespace {

ProxyFault::Kind ToProxyKind(FaultSpec::Kind kind) {
  using K = FaultSpec::Kind;
  using P = ProxyFault::Kind;
  switch (kind) {
    case K::kLatency: return P::kLatency;
    case K::kBandwidth: return P::kBandwidth;
    case K::kSlowClose: return P::kSlowClose;
    case K::kTimeout: return P::kTimeout;
    case K::kResetPeer: return P::kResetPeer;
    case K::kSlicer: return P::kSlicer;
    case K::kLimitData: return P::kLimitData;
    case K::kHang: return P::kHang;
    case K::kReset: return P::kReset;
    case K::kRefuse: return P::kRefuse;
    case K::kConnectHang: return P::kConnectHang;
    case K::kAbort: return P::kAbort;
    case K::kDelay: return P::kDelay;
    case K::kSlowBody: return P::kSlowBody;
    case K::kHangRequest: return P::kHangRequest;
  }
  return P::kHang;
}

ProxyFault::Direction ToProxyDirection(FaultSpec::Direction d) {
  switch (d) {
    case FaultSpec::Direction::kBoth: return ProxyFault::Direction::kBoth;
    case FaultSpec::Direction::kUpstream: return ProxyFault::Direction::kUpstream;
    case FaultSpec::Direction::kDownstream: return ProxyFault::Direction::kDownstream;
  }
  return ProxyFault::Direction::kDownstream;
}

}  // namespace

ProxyFault ToProxyFault(const FaultSpec& f) {
  FaultSpec at_start = f;
  if (f.ramp) at_start.SetMain(f.ramp->from);
  ProxyFault p;
  p.kind = ToProxyKind(f.kind);
  p.name = f.EffectiveName();
  p.direction = ToProxyDirection(f.direction);
  p.fraction = f.fraction;
  p.latency = at_start.latency;
  p.jitter = at_start.jitter;
  p.bytes_per_second = at_start.rate;
  p.delay = at_start.delay;
  p.timeout = at_start.timeout;
  p.slice_bytes = at_start.size;
  p.slice_variation = at_start.size_variation;
  p.bytes = at_start.bytes;
  p.status = f.status;
  p.body = f.body;
  p.on_response = f.on == FaultSpec::On::kResponse;
  p.match.method = f.match.method;
  p.match.path_prefix = f.match.path_prefix;
  for (const auto& [name, value] : f.match.headers) {
    std::string lower = name;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    p.match.headers[lower] = value;
  }
  return p;
}

}  // namespace faultline
