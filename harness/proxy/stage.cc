#include "harness/proxy/stage.h"

namespace faultline {

bool IsConnectionLevel(ProxyFault::Kind kind) {
  using Kind = ProxyFault::Kind;
  return kind == Kind::kHang || kind == Kind::kReset || kind == Kind::kRefuse ||
         kind == Kind::kConnectHang;
}

bool CoversDirection(const ProxyFault& fault, bool to_upstream) {
  switch (fault.direction) {
    case ProxyFault::Direction::kBoth: return true;
    case ProxyFault::Direction::kUpstream: return to_upstream;
    case ProxyFault::Direction::kDownstream: return !to_upstream;
  }
  return false;
}

std::string FaultName(const ProxyFault& fault) {
  return fault.name.empty() ? std::string(KindName(fault.kind)) : fault.name;
}

std::unique_ptr<Stage> NewStage(const ProxyFault& fault) {
  using Kind = ProxyFault::Kind;
  switch (fault.kind) {
    case Kind::kLatency: return NewLatencyStage(fault);
    case Kind::kBandwidth: return NewBandwidthStage(fault);
    case Kind::kSlowClose: return NewSlowCloseStage(fault);
    case Kind::kTimeout: return NewTimeoutStage(fault);
    case Kind::kResetPeer: return NewResetPeerStage(fault);
    case Kind::kSlicer: return NewSlicerStage(fault);
    case Kind::kLimitData: return NewLimitDataStage(fault);
    case Kind::kHang:
    case Kind::kReset:
    case Kind::kRefuse:
    case Kind::kConnectHang:
      return nullptr;
  }
  return nullptr;
}

}  // namespace faultline
