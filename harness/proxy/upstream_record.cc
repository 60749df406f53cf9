// The upstream request records' ToString and ledger (upstream_record.h).

#include "harness/proxy/upstream_record.h"

#include <utility>

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

size_t UpstreamLedger::Open(UpstreamRecord record) {
  record.how = UpstreamEnd::kOpen;
  records_.push_back(std::move(record));
  counts_.in_flight++;
  return records_.size() - 1;
}

void UpstreamLedger::End(size_t index, UpstreamEnd how, TimePoint at) {
  UpstreamRecord& r = records_[index];
  if (r.how != UpstreamEnd::kOpen || how == UpstreamEnd::kOpen) return;
  r.how = how;
  r.end = at;
  counts_.in_flight--;
  if (how == UpstreamEnd::kAbandoned) counts_.abandoned++;
}

}  // namespace faultline
