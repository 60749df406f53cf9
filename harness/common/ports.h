// Free-port allocation for a run. Scenarios never hard-code ports, so that
// several runs (and the tests) can share one machine.
#pragma once

#include <cstdint>

#include "harness/common/status.h"

namespace faultline {

/// An inclusive range of TCP ports; empty when `first` is 0.
struct PortRange {
  uint16_t first = 0;
  uint16_t last = 0;
  uint32_t size() const { return first != 0 && last >= first ? uint32_t{last} - first + 1 : 0; }
};

/// The kernel's ephemeral range (net.ipv4.ip_local_port_range): where it
/// picks the local port of every outgoing connection and of a bind to port 0.
PortRange EphemeralPorts();

/// Where AllocatePort picks from: the ports below the ephemeral range, or
/// above it when that is the larger room, never below 10000. Empty when
/// neither holds 1,000 ports.
PortRange AllocationRange(PortRange ephemeral);

/// A free TCP port on 127.0.0.1 for a process the run starts, which binds it
/// moments later. Picked outside the ephemeral range, so that no outgoing
/// connection on the machine (the load, the proxy's upstream connections, the
/// target's own clients) can take it as its local port in between: a port
/// from bind(0) is exactly what the next connect() may get. A candidate is
/// taken only when a bind without SO_REUSEADDR succeeds (nothing listening,
/// connected or in TIME_WAIT there); any other bind failure (EMFILE, EACCES)
/// ends the walk with its reason. Successive calls in one process walk the
/// range from a random start, so they never repeat a port soon, and two
/// faultline processes rarely meet. Falls back to bind(0) when the machine
/// leaves no room outside the ephemeral range.
StatusOr<uint16_t> AllocatePort();

/// The same walk over `range`, from `*cursor` (advanced past what it
/// tried). For tests.
StatusOr<uint16_t> AllocatePortIn(PortRange range, uint32_t* cursor);

}  // namespace faultline
