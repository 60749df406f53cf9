#pragma once
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <vector>
#include "harness/common/clock.h"   // TimePoint

namespace faultline {

enum class ProxyProtocol { kTcp, kHttp };

/// How one upstream (target -> dependency) HTTP request ended.
enum class UpstreamEnd {
  kAnswered,   // the full response went back to the target
  kAbandoned,  // the target closed or reset its connection before the full answer
  kFault,      // an HTTP fault answered it (abort) or a TCP fault ended it
  kOpen,       // still open when the records were taken
};
const char* ToString(UpstreamEnd end);  // "answered", "abandoned", "fault", "open"

/// One request the target sent to a dependency through an HTTP-aware proxy.
struct UpstreamRecord {
  std::string trace_id;     // the 32 lower-case hex digits of the request's W3C
                            // traceparent trace-id, "" when absent or malformed
  std::string method;       // "GET"
  std::string target;       // "/stock/42" (request-target as sent)
  TimePoint start{};        // when the request head was fully read from the target
  TimePoint end{};          // when it ended; meaningless while how == kOpen
  int status = 0;           // response status sent to the target; 0 if none
  uint64_t request_bytes = 0;   // bytes of this request (head + body)
  uint64_t response_bytes = 0;  // bytes of its response sent back to the target
  UpstreamEnd how = UpstreamEnd::kOpen;
};

/// Live counts, cheap to read every sample.
struct UpstreamCounts {
  int64_t in_flight = 0;   // requests started and not yet ended
  int64_t abandoned = 0;   // cumulative count of kAbandoned
  int64_t answered = 0;    // cumulative count of kAnswered
  int64_t fault = 0;       // cumulative count of kFault
};

/// Which records a ledger keeps once they have ended.
enum class RecordKeeping {
  kAll,       // every record, for a run's audit (bounded by the run)
  kOpenOnly,  // only the open ones: a proxy that runs for days keeps its
              // memory bounded by its connections; the counts still add up
};

/// Every request record of a proxy (or, with kOpenOnly, the open ones) and
/// their live counts.
class UpstreamLedger {
 public:
  explicit UpstreamLedger(RecordKeeping keeping = RecordKeeping::kAll) : keeping_(keeping) {}
  void set_keeping(RecordKeeping keeping) { keeping_ = keeping; }  // before the first Open
  /// Adds an open record; returns its index.
  size_t Open(UpstreamRecord record);
  /// Ends an open record (no-op when it has ended).
  void End(size_t index, UpstreamEnd how, TimePoint at);
  /// The record at `index`. With kOpenOnly, an ended record is gone: what
  /// is written to the record returned then is discarded.
  UpstreamRecord& at(size_t index);
  bool open(size_t index) const;
  /// The records kept, in the order they were opened.
  std::vector<UpstreamRecord> records() const;
  /// Calls `each` with every record kept, in the order they were opened,
  /// without copying them.
  void ForEach(const std::function<void(const UpstreamRecord&)>& each) const;
  const UpstreamCounts& counts() const { return counts_; }

 private:
  RecordKeeping keeping_;
  // kAll: every record, by index. A deque: adding one never moves the
  // others, where a vector's growth copied hundreds of thousands of them
  // at once and stalled the loop that carries the load and the proxy.
  std::deque<UpstreamRecord> records_;
  std::map<size_t, UpstreamRecord> open_;    // kOpenOnly: the open ones, by index
  size_t next_ = 0;                          // kOpenOnly: the next index
  UpstreamRecord discarded_;                 // kOpenOnly: at() of an ended record
  UpstreamCounts counts_;
};

}  // namespace faultline
