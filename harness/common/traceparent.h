// W3C Trace Context (https://www.w3.org/TR/trace-context/) as the load
// generator uses it: every request carries its own `traceparent`, so the
// HTTP-aware proxy can tie the upstream requests a target makes to the
// client request that caused them (harness/audit/cancellation.h).
//
// Ids are derived, not random: request `index` of a load seeded with `seed`
// always gets the same trace id, so a run repeats. Within one seed every
// index has a distinct trace id; no id is all zeros (the spec's invalid id).
// Pure functions; no I/O.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace faultline {

/// The header's name, lower case as HTTP/2 and the spec spell it.
inline constexpr std::string_view kTraceparentHeader = "traceparent";

/// 32 lower-case hex digits, unique per `index` for a given `seed`, never all zeros.
std::string TraceIdFor(uint64_t seed, uint64_t index);

/// The header value "00-<trace id>-<16 hex parent id>-01" (version 00, sampled).
std::string TraceparentFor(uint64_t seed, uint64_t index);

/// The trace id of a traceparent value: its 32 lower-case hex digits, or ""
/// when the value is malformed (wrong shape, upper-case hex, an all-zero
/// trace or parent id, version ff).
std::string TraceIdOf(std::string_view traceparent);

}  // namespace faultline
