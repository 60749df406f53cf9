#include "harness/scenario/scenario.h"

namespace faultline {

const char* ToString(FaultSpec::Kind kind) {
  switch (kind) {
    case FaultSpec::Kind::kLatency:
      return "latency";
    case FaultSpec::Kind::kHang:
      return "hang";
    case FaultSpec::Kind::kReset:
      return "reset";
    case FaultSpec::Kind::kRefuse:
      return "refuse";
  }
  return "?";
}

const char* ToString(Variant::Expect expect) {
  switch (expect) {
    case Variant::Expect::kPass:
      return "pass";
    case Variant::Expect::kFail:
      return "fail";
  }
  return "?";
}

const char* ToString(Readiness::Kind kind) {
  switch (kind) {
    case Readiness::Kind::kTcp:
      return "tcp";
    case Readiness::Kind::kHttp:
      return "http";
    case Readiness::Kind::kLogLine:
      return "log";
  }
  return "?";
}

const char* ToString(FaultSpec::Direction direction) {
  switch (direction) {
    case FaultSpec::Direction::kBoth:
      return "both";
    case FaultSpec::Direction::kUpstream:
      return "upstream";
    case FaultSpec::Direction::kDownstream:
      return "downstream";
  }
  return "?";
}

}  // namespace faultline
