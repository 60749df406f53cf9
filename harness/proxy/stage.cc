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

void DeadlineStage::Start(StageContext& context) {
  started_ = context.Now();
  Arm(context);
}

void DeadlineStage::Update(const ProxyFault& fault, StageContext& context) {
  const bool changed = fault.timeout != fault_.timeout;
  fault_ = fault;
  if (changed) Arm(context);
}

void DeadlineStage::Arm(StageContext& context) {
  if (fault_.timeout.count() <= 0) {
    if (timer_) timer_->Cancel();
    return;
  }
  if (!timer_) timer_ = context.NewTimer();
  timer_->At(started_ + fault_.timeout, [this, &context] { OnDeadline(context); });
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
    case Kind::kAbort:
    case Kind::kDelay:
    case Kind::kSlowBody:
    case Kind::kHangRequest:
      return nullptr;
  }
  return nullptr;
}

}  // namespace faultline
