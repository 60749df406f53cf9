// How one request of the load ended; shared by the load generator and the
// result model (which must not pull in Asio/Beast).
#pragma once

#include <string>

namespace faultline {

/// How a request ended. Every scheduled request ends in exactly one class.
enum class Outcome {
  kOk,            // a response with status 2xx
  kHttpStatus,    // a response with another status (see RequestResult::status)
  kConnectError,  // connect failed (refused, unreachable, ...)
  kReset,         // the connection was reset or closed before a full response
  kTimeout,       // no full response within the client timeout
  kDropped,       // not sent: max_in_flight requests were already outstanding
};
const char* ToString(Outcome outcome);

struct RequestResult {
  Outcome outcome = Outcome::kOk;
  int status = 0;                  // HTTP status when a response arrived, else 0
  double intended_s = 0;           // intended start, seconds since LoadOptions::epoch
  double latency_s = 0;            // completion - intended start (0 for kDropped)
  double start_lag_s = 0;          // actual send - intended start (0 for kDropped)
  std::string trace_id{};          // the 32 hex digits of the traceparent it was sent
                                   // with; "" when dropped or sent without one
  bool retried = false;            // sent again on a new connection: the reused one
                                   // closed on it before any response byte
};

}  // namespace faultline
