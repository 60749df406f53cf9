// Reading a fault table: the keys a scenario's phase faults and a
// stand-alone proxy's faults (proxy_config.h) share, that is every row of
// schema::kFaultKeys but `dependency`. Internal to the loader.
#pragma once

#include <map>
#include <string>
#include <utility>

#include "harness/scenario/diagnostics.h"
#include "harness/scenario/scenario.h"
#include "harness/scenario/toml_values.h"

namespace faultline {

/// Where a fault table is read: a scenario phase's, or a proxy file's on a
/// TCP or an HTTP proxy.
enum class FaultPlace { kPhase, kTcpProxy, kHttpProxy };

/// Reads kind, name, fraction, direction, the kind's values, ramp and flap
/// into *fault, reporting every problem. In a proxy file, ramp and flap are
/// errors (no phase to move across), and so are the HTTP faults on a TCP
/// proxy. (A scenario checks HTTP faults against their dependency later.)
void ReadFaultKeys(Reporter& reporter, TableView& t, FaultPlace place, FaultSpec* fault);

/// Reports a second fault with the same explicit `name` on one proxy: the
/// proxy tells its faults apart by name. (Unnamed ones get unique names
/// from NameFaults, scenario.h.)
class FaultNames {
 public:
  explicit FaultNames(Reporter& reporter) : r_(reporter) {}
  /// `fault` was read from table `t`; `proxy` says which proxy it is on,
  /// for the message: "\"inventory\"".
  void Add(const FaultSpec& fault, const TableView& t, const std::string& proxy);

 private:
  Reporter& r_;
  std::map<std::pair<std::string, std::string>, std::string> seen_;  // (proxy, name) -> key
};

}  // namespace faultline
