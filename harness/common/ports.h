// Free-port allocation for a run. Scenarios never hard-code ports, so that
// several runs (and the tests) can share one machine.
#pragma once

#include <cstdint>

#include "harness/common/status.h"

namespace faultline {

/// Asks the kernel for a free TCP port on 127.0.0.1 (bind to port 0, read the
/// port, close). Another process may take it before the caller binds it; the
/// run reports a bind failure as "port trouble" (exit 3) in that case.
StatusOr<uint16_t> AllocatePort();

}  // namespace faultline
