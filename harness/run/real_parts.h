// The real parts of a run: Supervisor, FaultProxy, LoadGenerator and
// Scraper on the run's io_context, and the real /proc. Every construction of
// those classes, and the conversion of a scenario's FaultSpec to the proxy's
// fault, is in real_parts.cc and nowhere else.
#pragma once

#include <memory>

#include "harness/common/asio.h"
#include "harness/common/clock.h"
#include "harness/run/parts.h"
#include "harness/supervisor/supervisor.h"

namespace faultline {

/// Parts on `io` (which must outlive them), timed by `clock`; child process
/// groups are registered with `watchdog`.
std::unique_ptr<PartFactory> NewRealParts(asio::io_context& io, Clock& clock, Watchdog* watchdog);

}  // namespace faultline
