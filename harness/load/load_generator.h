// LoadGenerator: an event-driven, open-loop HTTP/1.1 load source, sending
// through HttpClient (harness/common/http_client.h).
//
// Open loop: request n is due at start + sum of 1/rate intervals, and starts
// then whether or not earlier requests finished (a late timer catches up by
// starting every overdue request at once). When `max_in_flight` requests are
// already outstanding, a due request is not sent: it is recorded as kDropped.
// Latency is measured from the request's intended start time, so a stalled
// generator or a slow connect shows up in the numbers (no coordinated omission).
// Each result also carries its start lag: actual send minus intended start,
// how late the generator itself was.
//
// Connections: an idle keep-alive connection is reused when there is one
// (most recently used first); otherwise a new one is opened. When a request's
// client timeout expires, its connection is closed: that close is the
// cancellation signal a well-behaved target should notice. A connection the
// server closes is dropped from the idle pool. SetRate(0) also closes idle
// connections (the clients went away).
//
// Tracing: every request carries its own W3C `traceparent` header
// (harness/common/traceparent.h): request n of the load has trace id
// TraceIdFor(trace_seed, n), recorded in its RequestResult, so the upstream
// work it causes can be tied back to it. A `traceparent` among the
// configured headers is sent as given instead (every request the same), and
// no trace id is recorded.
//
// Time comes from the Clock: the schedule, the intended start times, the
// latencies and the client timeouts (so the schedule is tested on a
// ManualClock). Runs on the caller's io_context, single-threaded; holds no
// threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <map>
#include <memory>
#include <string>

#include "harness/common/asio.h"
#include "harness/common/clock.h"
#include "harness/common/status.h"
#include "harness/common/units.h"
#include "harness/load/outcome.h"

namespace faultline {

struct LoadOptions {
  std::string host = "127.0.0.1";  // loopback only
  uint16_t port = 0;
  std::string method = "GET";
  std::string target = "/";        // request-target: path and query
  std::map<std::string, std::string> headers;
  std::string body;
  Duration timeout = std::chrono::seconds(5);
  uint64_t max_in_flight = 10000;
  TimePoint epoch;  // intended_s is measured from here (on the generator's Clock)
  uint64_t trace_seed = 0;  // seeds the per-request trace ids (traceparent.h)
};

class LoadGenerator {
 public:
  using Sink = std::function<void(const RequestResult&)>;

  /// `sink` is called once per request, on the io_context's thread. `clock`
  /// must outlive the generator.
  LoadGenerator(asio::io_context& io, Clock& clock, LoadOptions options, Sink sink);
  ~LoadGenerator();  // closes every connection without calling the sink
  LoadGenerator(const LoadGenerator&) = delete;
  LoadGenerator& operator=(const LoadGenerator&) = delete;

  /// Sets the schedule: `rps` requests per second (0 = none), for requests
  /// due from `from` (a phase's start; by default now) and before `until`
  /// (its end; by default no end). The first request after a change from 0
  /// is due at `from`; after another rate, one new interval after the old
  /// rate's last request, but not before `from`. A `from` in the past (the
  /// loop was late to the phase's start) makes the requests due since then
  /// start at once: late, as their start lag shows, but not lost.
  void SetRate(double rps, TimePoint until = TimePoint::max(),
               std::optional<TimePoint> from = std::nullopt);

  /// Stops scheduling and closes idle connections; requests in flight run to
  /// completion or timeout and are still reported.
  void Stop();

  /// Closes every connection at once; in-flight requests are abandoned and
  /// not reported. For teardown after an interrupt only.
  void Abort();

  uint64_t in_flight() const;          // sent, not yet completed
  uint64_t open_connections() const;   // busy + idle
  uint64_t scheduled() const;          // requests due so far (sent + dropped)

 private:
  class Core;
  std::unique_ptr<Core> core_;
};

}  // namespace faultline
