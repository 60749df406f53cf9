#pragma once
#include <cstdint>
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
};

/// Every request record of a proxy and their live counts.
class UpstreamLedger {
 public:
  /// Adds an open record; returns its index.
  size_t Open(UpstreamRecord record);
  /// Ends an open record (no-op when it has ended).
  void End(size_t index, UpstreamEnd how, TimePoint at);
  UpstreamRecord& at(size_t index) { return records_[index]; }
  bool open(size_t index) const { return records_[index].how == UpstreamEnd::kOpen; }
  const std::vector<UpstreamRecord>& records() const { return records_; }
  const UpstreamCounts& counts() const { return counts_; }

 private:
  std::vector<UpstreamRecord> records_;
  UpstreamCounts counts_;
};

}  // namespace faultline
