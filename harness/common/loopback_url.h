// URLs of this machine: where faultline sends its load and reads a target's
// goroutine profile. faultline only ever sends requests to loopback.
#pragma once

#include <cstdint>
#include <string>

#include "harness/common/status.h"

namespace faultline {

/// "http://HOST[:PORT][/path]" split, where HOST is a loopback address
/// (127.x.y.z, [::1]) or localhost.
struct LoopbackUrl {
  std::string host;       // numeric: "127.0.0.1" or "::1" (localhost is 127.0.0.1)
  uint16_t port = 0;      // 80 when the URL names none
  std::string prefix;     // the path without its trailing '/': "" or "/api"
  std::string target;     // the path and query as written, "/" when none
  std::string authority;  // as written, "localhost:8080": a request's Host
};

/// Invalid, with a message that does not repeat the URL (the caller names
/// it and where it came from): "must start with http://", "unclosed [",
/// "host \"10.0.0.1\" is not a loopback address (127.0.0.0/8, ::1 or
/// localhost)", "bad port \"99999\"".
StatusOr<LoopbackUrl> ParseLoopbackUrl(const std::string& url);

}  // namespace faultline
