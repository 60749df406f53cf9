// The scenario's fault as the proxy's own type: the one place the two meet
// (used by the run's real parts and by `faultline proxy --config`).
#pragma once

#include "harness/proxy/fault.h"
#include "harness/scenario/scenario.h"

namespace faultline {

/// `f` as the proxy knows it, with the values it has at its phase's start
/// (a ramp's `from`; ramp and flap themselves are the run's job: the run
/// calls the proxy's SetFaults at each step, see fault_schedule.h). The
/// name is f.EffectiveName().
ProxyFault ToProxyFault(const FaultSpec& f);

}  // namespace faultline
