// ToString for the upstream request records (upstream_record.h).

#include "harness/proxy/upstream_record.h"

namespace faultline {

const char* ToString(UpstreamEnd end) {
  switch (end) {
    case UpstreamEnd::kAnswered: return "answered";
    case UpstreamEnd::kAbandoned: return "abandoned";
    case UpstreamEnd::kFault: return "fault";
    case UpstreamEnd::kOpen: return "open";
  }
  return "open";
}

}  // namespace faultline
