// The time course of a phase's faults: which faults are in force on each
// dependency, with which values, at every moment of the phase. Pure: no
// clock, no I/O; VariantRun arms a timer per change and hands the faults to
// the proxy (Proxy::SetFaults).
//
//   ramp  { from, to, steps = N }: the phase is cut into N equal parts; part
//         i (0-based) starts at i x duration / N and holds the main value
//         from + (to - from) x i / (N - 1), rounded toward zero.
//   flap  { on, off }: active during [k(on+off), k(on+off) + on), lifted
//         during the rest of each period, from the phase's start.
// A fault with both steps its value and flaps; the changes of all faults on
// one dependency are merged, so the proxy sees one SetFaults per moment.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "harness/common/units.h"
#include "harness/scenario/scenario.h"

namespace faultline {

/// The faults of `faults` in force `offset` into a phase of `duration`,
/// each with its value then, without ramp or flap (plain values).
std::vector<FaultSpec> FaultsAt(const std::vector<FaultSpec>& faults, Duration offset,
                                Duration duration);

/// One moment within a phase at which a dependency's faults change.
struct FaultChange {
  Duration at{0};                 // from the phase's start; > 0 and < its duration
  std::string dependency;
  std::vector<FaultSpec> faults;  // now in force, plain values (FaultsAt)
};

/// Every change after the phase's start, in time order (dependencies in
/// name order at one moment); a moment at which nothing changes is left out.
std::vector<FaultChange> FaultSchedule(const std::map<std::string, std::vector<FaultSpec>>& faults,
                                       Duration duration);

}  // namespace faultline
