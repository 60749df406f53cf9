// ProxyFault: what the fault proxy does to the bytes it carries, in the
// proxy's own terms. The run converts a scenario's fault to this; the proxy
// knows nothing of scenarios.
#pragma once

#include <string>

#include "harness/common/units.h"

namespace faultline {

struct ProxyFault {
  enum class Kind { kLatency, kHang, kReset, kRefuse };
  enum class Direction { kBoth, kUpstream, kDownstream };
  Kind kind = Kind::kHang;
  Duration latency{0};  // latency: added delay per chunk
  Duration jitter{0};   // latency: +/- uniform jitter
  Direction direction = Direction::kDownstream;  // latency: which way
};

/// "latency 3s±100ms upstream", "latency 200ms both ways", "hang": for
/// event lines and progress output.
std::string Describe(const ProxyFault& f);

}  // namespace faultline
