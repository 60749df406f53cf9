// The HTTP faults' per-request decisions, for HttpFlow (http_flow.h): which
// faults a request's head matches, the `fraction` draw, and the answer an
// `abort` sends in the dependency's place. Internal to the proxy.
#pragma once

#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "harness/proxy/fault.h"

namespace faultline {

/// A message head's fields as read: lower-case name, value, in order.
using HttpFields = std::vector<std::pair<std::string, std::string>>;

/// `s` in ASCII lower case (header names compare that way).
std::string HttpLower(std::string_view s);

/// The first field named `name` (lower case); null when there is none.
const std::string* HttpField(const HttpFields& fields, const std::string& name);

/// Whether a request with this method, target and fields matches `m`: the
/// method exactly, the target by prefix, each header by name in any case
/// and by value exactly (an empty value: present with any value).
bool HttpMatches(const ProxyFault::Match& m, const std::string& method, const std::string& target,
                 const HttpFields& fields);

/// The fault's `fraction` draw for one request: always at 1, never at 0.
bool HttpDraw(const ProxyFault& f, std::mt19937_64& rng);

/// abort's answer: `f.status` with `f.body`. A 1xx, 204 or 304 has no body;
/// a HEAD request (`head`) gets the head only; `close` adds Connection:
/// close. A status with no standard reason phrase gets an empty one.
std::string HttpAbortAnswer(const ProxyFault& f, bool head, bool close);

}  // namespace faultline
