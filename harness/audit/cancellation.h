// The cancellation audit: when a caller gave up, did the work it started
// stop? From the load generator's requests (each with its own traceparent
// trace id, harness/common/traceparent.h) and the HTTP-aware proxy's upstream
// records (harness/proxy/upstream_record.h, here as UpstreamSpans on the
// variant's timeline), per dependency:
//
// - a client request "gave up" when it ended kTimeout or kReset: its caller
//   left at intended start + latency (the load closed the connection, or the
//   target did). Every other ended request "left" at the same moment with an
//   answer.
// - Each upstream request whose trace id is that of a client request that
//   gave up ended before the caller left, after it (it outlived the caller by
//   end - left), or never (still open at the end).
// - Orphans: upstream requests still open at the end whose caller had left,
//   whether it gave up or got an answer; their age is end - left.
//
// When no upstream request carries the trace id of a client request, the
// target does not forward traceparent: nothing ties upstream work to its
// caller, so the audit falls back to counting: an upstream request open at
// the end that started more than the client timeout before it has outlived
// whichever caller caused it (a caller that started before it gave up by its
// start + the client timeout), so it is an orphan, of age end - start -
// timeout. Before/after/never and outlived stay empty then.
//
// Pure functions over plain values: no clock, no I/O, no Asio. Single-threaded.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "harness/load/outcome.h"
#include "harness/result/result.h"

namespace faultline {

/// One upstream request on the variant's timeline (seconds since the load's epoch).
struct UpstreamSpan {
  std::string trace_id;         // "" when it carried no valid traceparent
  double start_s = 0;
  std::optional<double> end_s;  // nullopt: still open when the records were taken
};

/// The client requests of a variant as the audit needs them, fed one by one
/// from the load's sink: per trace id, when the caller left and whether it
/// gave up. Memory: one entry per request that carried a trace id, about 72
/// bytes each (the id kept as two numbers, not as text).
class CallerLedger {
 public:
  struct Caller {
    double left_s = 0;     // intended start + latency
    bool gave_up = false;  // kTimeout or kReset
  };
  /// Dropped requests were never sent and are ignored.
  void Add(const RequestResult& r);
  /// Makes room for `requests` without rehashing as they come.
  void Reserve(size_t requests) { by_trace_.reserve(requests); }
  /// The request with this trace id, or null.
  const Caller* Find(std::string_view trace_id) const;
  uint64_t gave_up() const { return gave_up_; }

 private:
  // A trace id's 32 hex digits as two numbers: no heap text per entry.
  struct Key {
    uint64_t hi = 0, lo = 0;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const {
      uint64_t h = k.hi ^ (k.lo * 0x9E3779B97F4A7C15ULL);
      h ^= h >> 29;
      return static_cast<size_t>(h * 0xBF58476D1CE4E5B9ULL);
    }
  };
  // nullopt unless `trace_id` is 32 hex digits.
  static std::optional<Key> KeyOf(std::string_view trace_id);
  std::unordered_map<Key, Caller, KeyHash> by_trace_;
  uint64_t gave_up_ = 0;
};

/// When and how the records were taken.
struct AuditEnd {
  double end_s = 0;                      // when the upstream records were taken
  double client_timeout_s = 0;           // the load's client timeout (for the fallback)
  uint64_t client_in_flight = 0;         // client requests still in flight then
};

/// The audit of one dependency's upstream requests.
CancellationSummary AuditCancellation(const CallerLedger& callers,
                                      const std::vector<UpstreamSpan>& upstream,
                                      const AuditEnd& end);

/// Orphans over time: at each t of `t_s`, the upstream requests open at t
/// (started at or before t, not ended by t) whose caller had left by t; one
/// not tied to a caller (no trace id of a client request: the target did not
/// forward it on that call) once open longer than `client_timeout_s`. Empty
/// when the target forwards traceparent on no call (no caller is known).
std::vector<double> OrphansOver(const CallerLedger& callers,
                                const std::vector<UpstreamSpan>& upstream,
                                const std::vector<double>& t_s, double client_timeout_s);

/// The upper bounds (ms) of the outlived histogram's buckets, ascending; the
/// last is +infinity. The first, 0, holds the upstream requests that ended
/// before their caller left.
const std::vector<double>& OutlivedBucketsMs();

/// The `p`th percentile (0 < p <= 100, nearest rank) of ascending `sorted`; NaN when empty.
double NearestRank(const std::vector<double>& sorted, double p);

}  // namespace faultline
