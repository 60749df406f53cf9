// A stand-alone proxy's file, for `faultline proxy --config FILE.toml`:
//
//   [[proxies]]
//   name = "db"
//   listen = "127.0.0.1:15432"          # port 0: any free port
//   upstream = "127.0.0.1:5432"
//   faults = [{ kind = "latency", latency = "100ms", jitter = "10ms" },
//             { kind = "reset_peer", timeout = "2s", fraction = 0.1 }]
//
//   [[proxies]]
//   name = "api"
//   listen = "127.0.0.1:18080"
//   upstream = "127.0.0.1:8080"
//   protocol = "http"                   # the HTTP faults apply
//   faults = [{ kind = "abort", status = 503, fraction = 0.2,
//               match = { path_prefix = "/stock" } }]
//
// A fault has the keys, units, defaults and error messages of a scenario's
// fault (schema::kFaultKeys, docs/scenarios.md) without `dependency`, and
// without `ramp` and `flap`, which move across a scenario's phase; the HTTP
// faults only on a proxy with protocol = "http". The
// loader is strict in the same way: unknown keys (with did-you-mean), keys
// on the wrong kind, bad values, duplicate names; every error is reported.
#pragma once

#include <string>
#include <vector>

#include "harness/common/status.h"
#include "harness/scenario/scenario.h"

namespace faultline {

struct ProxyConfigEntry {
  std::string name;
  std::string listen;             // "host:port"; checked with ParseHostPort (port 0 allowed)
  std::string upstream;           // "host:port"; checked with ParseHostPort
  bool http = false;              // protocol = "http": parsed as HTTP/1.1, HTTP faults allowed
  std::vector<FaultSpec> faults;  // the scenario's fault tables, without `dependency`;
                                  // each with a unique `name` (NameFaults)
};

/// Reads a stand-alone proxy file: [[proxies]] name, listen, upstream,
/// faults = [{ kind = "latency", latency = "100ms" }, ...] with the same
/// keys, units, defaults and error messages as a scenario's faults. Errors
/// name the file, line and key, like the scenario loader's: Invalid, whose
/// message is every error, one per line ("f.toml:3:8: proxies[0].faults[0]
/// .latncy: unknown key \"latncy\" (did you mean \"latency\"?)"); a file that
/// cannot be read is Invalid naming it.
StatusOr<std::vector<ProxyConfigEntry>> LoadProxyConfig(const std::string& path);
/// The same for a file's text; `path` names it in messages.
StatusOr<std::vector<ProxyConfigEntry>> LoadProxyConfigText(std::string_view text,
                                                            const std::string& path);

}  // namespace faultline
