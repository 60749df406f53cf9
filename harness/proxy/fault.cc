#include "harness/proxy/fault.h"

namespace faultline {

std::string Describe(const ProxyFault& f) {
  switch (f.kind) {
    case ProxyFault::Kind::kHang:
      return "hang";
    case ProxyFault::Kind::kReset:
      return "reset";
    case ProxyFault::Kind::kRefuse:
      return "refuse";
    case ProxyFault::Kind::kLatency:
      break;
  }
  std::string s = "latency " + FormatDuration(f.latency);
  if (f.jitter.count() > 0) s += "±" + FormatDuration(f.jitter);
  if (f.direction == ProxyFault::Direction::kUpstream) s += " upstream";
  if (f.direction == ProxyFault::Direction::kBoth) s += " both ways";
  return s;
}

}  // namespace faultline
