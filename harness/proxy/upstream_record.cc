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
  counts_.in_flight++;
  if (keeping_ == RecordKeeping::kOpenOnly) {
    open_.emplace(next_, std::move(record));
    return next_++;
  }
  records_.push_back(std::move(record));
  return records_.size() - 1;
}

void UpstreamLedger::End(size_t index, UpstreamEnd how, TimePoint at) {
  if (!open(index) || how == UpstreamEnd::kOpen) return;
  counts_.in_flight--;
  if (how == UpstreamEnd::kAbandoned) counts_.abandoned++;
  if (how == UpstreamEnd::kAnswered) counts_.answered++;
  if (how == UpstreamEnd::kFault) counts_.fault++;
  if (keeping_ == RecordKeeping::kOpenOnly) {
    open_.erase(index);
    return;
  }
  UpstreamRecord& r = records_[index];
  r.how = how;
  r.end = at;
}

UpstreamRecord& UpstreamLedger::at(size_t index) {
  if (keeping_ == RecordKeeping::kAll) return records_[index];
  auto it = open_.find(index);
  if (it != open_.end()) return it->second;
  discarded_ = UpstreamRecord{};
  return discarded_;
}

bool UpstreamLedger::open(size_t index) const {
  if (keeping_ == RecordKeeping::kOpenOnly) return open_.contains(index);
  return records_[index].how == UpstreamEnd::kOpen;
}

std::vector<UpstreamRecord> UpstreamLedger::records() const {
  std::vector<UpstreamRecord> out;
  out.reserve(keeping_ == RecordKeeping::kAll ? records_.size() : open_.size());
  ForEach([&out](const UpstreamRecord& r) { out.push_back(r); });
  return out;
}

void UpstreamLedger::ForEach(const std::function<void(const UpstreamRecord&)>& each) const {
  if (keeping_ == RecordKeeping::kAll) {
    for (const UpstreamRecord& r : records_) each(r);
    return;
  }
  for (const auto& [index, record] : open_) each(record);
}

}  // namespace faultline
