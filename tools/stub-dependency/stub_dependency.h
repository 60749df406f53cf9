// stub-dependency: a stand-in for any HTTP dependency, whose answer you set
// on the command line: every path and method gets `status` after `latency`,
// with a body of `body_size` bytes. /healthz always answers 200 at once, so
// a supervisor can tell it is up even when it is configured to be slow.
//
// Latency is served by the connection's thread sleeping, one thread per
// connection: a slow stub holds threads the way a slow real service would.
#pragma once

#include <httplib.h>

#include <cstdint>

#include "harness/common/units.h"

namespace faultline::stub {

struct Options {
  Duration latency = Duration::zero();  // wait before answering
  int status = 200;                     // HTTP status of every answer
  uint64_t body_size = 64;              // bytes of body ('x's, text/plain)
};

/// Registers /healthz and a catch-all for every path and method on `server`.
void RegisterRoutes(httplib::Server& server, const Options& options);

}  // namespace faultline::stub
