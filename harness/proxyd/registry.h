// ProxyRegistry: the proxies of `faultline proxy` by name, each with its
// listen and upstream addresses, whether it is enabled, and its toxics (the
// faults it applies, by name, in the order they were added). The control API
// (toxiproxy_api.h) and the command line drive it; it knows nothing of HTTP
// beyond the status codes of its errors (api_error.h), which are Toxiproxy's.
//
// Single-threaded: create, call and destroy it on the thread that runs `io`;
// its proxies (FaultProxy) run on `io` and take their time from `clock`.
//
// What the operations do to the proxies:
//   - a proxy is listening exactly while it is enabled; its `listen` shows
//     the bound address ("127.0.0.1:0" becomes "127.0.0.1:41234") and keeps
//     that port when the proxy is disabled, so enabling it again rebinds the
//     same port;
//   - disabling closes the listener and every connection;
//   - a new `listen` restarts the proxy (closed, then bound anew); a new
//     `upstream` closes open connections and sends new ones there;
//   - toxics apply at once to open and new connections (FaultProxy::SetFaults);
//     a toxic's name is unique within its proxy, across both streams.
// Every change is logged through `log`, one line per event (disabling an
// http proxy adds a line with its request counts).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "harness/common/asio.h"
#include "harness/common/clock.h"
#include "harness/proxy/fault.h"
#include "harness/proxy/proxy.h"
#include "harness/proxyd/address.h"
#include "harness/proxyd/api_error.h"

namespace faultline {

/// A proxy as a client creates it.
struct ProxySettings {
  std::string name;
  std::string listen = "127.0.0.1:0";  // "host:port"; port 0 = any free port
  std::string upstream;                // "host:port" of the dependency
  bool enabled = true;
  bool http = false;  // parses HTTP/1.1, so the HTTP faults apply (a proxy file's
                      // protocol = "http"; the control API creates TCP proxies)
};

/// A proxy as the registry shows it.
struct ProxyState {
  ProxySettings settings;          // listen: the bound address once it has listened
  std::vector<ProxyFault> toxics;  // in the order they were added
  // An enabled http proxy: its requests since it last started listening.
  std::optional<UpstreamCounts> requests;
};

/// "12 answered, 3 abandoned, 1 fault, 2 open".
std::string DescribeRequests(const UpstreamCounts& c);

/// The fields of an update; absent ones stay as they are.
struct ProxyPatch {
  std::optional<std::string> listen;
  std::optional<std::string> upstream;
  std::optional<bool> enabled;
};

class ProxyRegistry {
 public:
  using Log = std::function<void(const std::string& line)>;
  /// The seed of the proxy of that name (its per-connection draws of
  /// `toxicity`, jitter, slice sizes), so that a run repeats; `faultline
  /// proxy` uses ProxySeed(--seed, name), as a scenario does.
  using SeedFor = std::function<uint64_t(const std::string& proxy)>;

  /// `io` and `clock` must outlive the registry.
  ProxyRegistry(asio::io_context& io, Clock& clock, SeedFor seed_for, Log log);
  ~ProxyRegistry();  // closes every proxy
  ProxyRegistry(const ProxyRegistry&) = delete;
  ProxyRegistry& operator=(const ProxyRegistry&) = delete;

  /// Every proxy, by name.
  std::vector<ProxyState> List() const;
  /// 404 "proxy not found".
  ApiResult<ProxyState> Get(const std::string& name) const;

  /// Creates a proxy and, if enabled, binds it. 400 "missing required field:
  /// name" (or upstream), 400 for an address that is no host:port or a
  /// listen host that is no IP address or localhost, 409 "proxy already
  /// exists", 500 when it cannot bind (it is not created).
  ApiResult<ProxyState> Create(ProxySettings settings);
  /// Applies `patch` (see the header comment). 404; 400 for a bad address,
  /// as for Create (nothing changes); 500 when it cannot bind (the proxy is
  /// then disabled, with the new address).
  ApiResult<ProxyState> Update(const std::string& name, const ProxyPatch& patch);
  /// Closes and forgets the proxy. 404.
  ApiFailure Delete(const std::string& name);
  /// Creates or replaces each proxy of `all`, after checking every one (a
  /// 400 changes nothing): one whose listen and upstream are unchanged is
  /// kept as it is, with its toxics; one that differs is replaced by a new
  /// proxy without toxics. A bind failure (500) stops the loop: proxies
  /// handled before it stay as they now are, and the proxy it was to
  /// replace, if any, stays stopped (disabled) with its settings and toxics,
  /// as Toxiproxy's AddOrReplace leaves it.
  ApiResult<std::vector<ProxyState>> Populate(std::vector<ProxySettings> all);
  /// Enables every proxy and removes every toxic. 500 when a proxy cannot
  /// bind again (the others are still reset).
  ApiFailure Reset();

  /// The proxy's toxics. 404 "proxy not found".
  ApiResult<std::vector<ProxyFault>> Toxics(const std::string& proxy) const;
  /// 404 "proxy not found" / "toxic not found".
  ApiResult<ProxyFault> GetToxic(const std::string& proxy, const std::string& toxic) const;
  /// Adds `toxic` (its name set). 404; 409 "toxic already exists".
  ApiResult<ProxyFault> AddToxic(const std::string& proxy, ProxyFault toxic);
  /// Replaces the toxic of the same name, keeping its place. 404.
  ApiResult<ProxyFault> ReplaceToxic(const std::string& proxy, ProxyFault toxic);
  /// 404 "proxy not found" / "toxic not found".
  ApiFailure RemoveToxic(const std::string& proxy, const std::string& toxic);

  /// Closes every proxy (listeners and connections), keeping the registry's
  /// contents; for a clean stop.
  void CloseAll();

 private:
  struct Entry {
    ProxyState state;
    Address upstream;                   // parsed from state.settings.upstream
    std::unique_ptr<FaultProxy> proxy;  // null while disabled
  };

  Entry* Find(const std::string& name);
  const Entry* Find(const std::string& name) const;
  // A proxy for checked `settings`, bound if enabled; the caller adds it.
  ApiResult<Entry> NewEntry(ProxySettings settings);
  ApiFailure Start(Entry& e);
  ProxyState StateOf(const Entry& e) const;  // e.state, with the live request counts
  void Stop(Entry& e, const char* why);
  void ApplyToxics(Entry& e);

  asio::io_context& io_;
  Clock& clock_;
  SeedFor seed_for_;
  Log log_;
  std::map<std::string, Entry> proxies_;
};

}  // namespace faultline
