#include "harness/proxyd/registry.h"

#include <algorithm>
#include <set>
#include <utility>

#include "harness/common/text.h"

namespace faultline {
namespace {

const ApiError kProxyNotFound{404, "proxy not found"};
const ApiError kToxicNotFound{404, "toxic not found"};

// A 400 for a missing field, an address that is no host:port, or a listen
// host that is no IP address (FaultProxy::Listen would refuse it, after the
// proxy had been stopped); `at` is appended to the field's name (" at proxy
// 2" for /populate). What passes here fails later only to bind (500).
ApiFailure CheckSettings(const ProxySettings& s, const std::string& at) {
  if (s.name.empty()) return BadRequest("missing required field: name" + at);
  if (s.upstream.empty()) return BadRequest("missing required field: upstream" + at);
  for (const auto& [field, value] : {std::pair{"listen", &s.listen}, {"upstream", &s.upstream}}) {
    StatusOr<Address> parsed = ParseAddress(*value);
    if (!parsed.ok()) return BadRequestBody(field + at + ": " + parsed.status().message());
    if (value == &s.listen && !IpAddressOf(parsed->host)) {
      return BadRequestBody(field + at + ": address " + Quote(*value) +
                            ": not an IP address or localhost");
    }
  }
  return std::nullopt;
}

// `upstream` is the proxy's own listening socket (`host`:`port`, as bound):
// every connection would open another to itself until the fds run out.
bool ForwardsToItself(const std::string& host, uint16_t port, const Address& upstream) {
  if (upstream.port != port) return false;
  const std::optional<asio::ip::address> up = IpAddressOf(upstream.host);
  const std::optional<asio::ip::address> bound = IpAddressOf(host);
  if (!up || !bound) return false;  // a name: the proxy refuses it when it comes back
  return Reaches(*up, *bound);
}

std::string ToxicLine(const std::string& proxy, const ProxyFault& t, const char* what) {
  return "proxy " + proxy + ": toxic " + what + ": " + Describe(t);  // Describe names it
}

// What an http proxy saw, for whoever stops or disables it.
std::string RequestsLine(const std::string& proxy, const UpstreamCounts& c) {
  return "proxy " + proxy + " requests: " + DescribeRequests(c);
}

}  // namespace

ProxyRegistry::ProxyRegistry(asio::io_context& io, Clock& clock, SeedFor seed_for, Log log)
    : io_(io), clock_(clock), seed_for_(std::move(seed_for)), log_(std::move(log)) {
  if (!log_) log_ = [](const std::string&) {};
}

ProxyRegistry::~ProxyRegistry() { CloseAll(); }

ProxyRegistry::Entry* ProxyRegistry::Find(const std::string& name) {
  auto it = proxies_.find(name);
  return it == proxies_.end() ? nullptr : &it->second;
}

const ProxyRegistry::Entry* ProxyRegistry::Find(const std::string& name) const {
  auto it = proxies_.find(name);
  return it == proxies_.end() ? nullptr : &it->second;
}

ApiFailure ProxyRegistry::Start(Entry& e) {
  ProxySettings& s = e.state.settings;
  StatusOr<Address> listen = ParseAddress(s.listen);
  if (!listen.ok()) return BadRequestBody("listen: " + listen.status().message());
  auto proxy = std::make_unique<FaultProxy>(io_, clock_, s.name, e.upstream.host, e.upstream.port,
                                            seed_for_(s.name));
  // Only the open requests' records: a proxy that runs for days keeps its
  // memory bounded; the counts still cover every request.
  if (s.http) proxy->SetProtocol(ProxyProtocol::kHttp, RecordKeeping::kOpenOnly);
  proxy->SetFaults(e.state.toxics);
  // An upstream that is down shows in the log, not only as clients' closed
  // connections: the first failure at once, then at most a line per 5 s
  // with how many failed since.
  struct Quiet {
    TimePoint last{};
    uint64_t since = 0;
  };
  proxy->OnUpstreamConnectError([this, name = s.name, upstream = s.upstream,
                                 quiet = std::make_shared<Quiet>()](const std::string& why) {
    ++quiet->since;
    const TimePoint now = clock_.Now();
    if (quiet->last != TimePoint{} && now - quiet->last < std::chrono::seconds(5)) return;
    log_("proxy " + name + ": cannot reach upstream " + upstream + ": " + why + " (" +
         std::to_string(quiet->since) + (quiet->since == 1 ? " connection" : " connections") +
         " closed" + (quiet->last == TimePoint{} ? "" : " since the last such line") + ")");
    quiet->last = now;
    quiet->since = 0;
  });
  Status status = proxy->Listen(listen->host, listen->port);
  if (!status.ok()) {  // Invalid: not an address; Unavailable: cannot bind
    s.enabled = false;
    const int code = status.code() == Status::Code::kInvalid ? 400 : 500;
    return ApiError{code, status.message()};  // it names the proxy and the address
  }
  s.listen = ToString(Address{proxy->listen_host(), proxy->port()});
  if (ForwardsToItself(proxy->listen_host(), proxy->port(), e.upstream)) {
    s.enabled = false;  // the proxy (and its listener) goes with this scope
    return ApiError{400, "proxy " + s.name + ": upstream " + s.upstream + " is its own listen " +
                             "address " + s.listen + ": it would connect to itself"};
  }
  s.enabled = true;
  e.proxy = std::move(proxy);
  log_("proxy " + s.name + " listening on " + s.listen + " -> " + ToString(e.upstream) +
       (s.http ? " (http)" : ""));
  return std::nullopt;
}

void ProxyRegistry::Stop(Entry& e, const char* why) {
  e.state.settings.enabled = false;
  if (!e.proxy) return;
  const UpstreamCounts counts = e.proxy->Counts();
  e.proxy->Close();
  e.proxy.reset();
  const std::string& name = e.state.settings.name;
  log_("proxy " + name + " " + why + " (listener and connections closed)");
  if (e.state.settings.http) log_(RequestsLine(name, counts));
}

void ProxyRegistry::ApplyToxics(Entry& e) {
  if (e.proxy) e.proxy->SetFaults(e.state.toxics);
}

std::string DescribeRequests(const UpstreamCounts& c) {
  return std::to_string(c.answered) + " answered, " + std::to_string(c.abandoned) +
         " abandoned, " + std::to_string(c.fault) + " fault, " + std::to_string(c.in_flight) +
         " open";
}

ProxyState ProxyRegistry::StateOf(const Entry& e) const {
  ProxyState state = e.state;
  if (e.state.settings.http && e.proxy) state.requests = e.proxy->Counts();
  return state;
}

std::vector<ProxyState> ProxyRegistry::List() const {
  std::vector<ProxyState> out;
  for (const auto& [name, e] : proxies_) out.push_back(StateOf(e));
  return out;
}

ApiResult<ProxyState> ProxyRegistry::Get(const std::string& name) const {
  const Entry* e = Find(name);
  if (!e) return kProxyNotFound;
  return StateOf(*e);
}

ApiResult<ProxyRegistry::Entry> ProxyRegistry::NewEntry(ProxySettings settings) {
  Entry e;
  e.upstream = *ParseAddress(settings.upstream);
  e.state.settings = std::move(settings);
  const bool enable = e.state.settings.enabled;
  e.state.settings.enabled = false;
  if (enable) {
    if (ApiFailure failed = Start(e)) return *failed;
  } else {
    log_("proxy " + e.state.settings.name + " created disabled");
  }
  return e;
}

ApiResult<ProxyState> ProxyRegistry::Create(ProxySettings settings) {
  if (ApiFailure bad = CheckSettings(settings, "")) return *bad;
  if (Find(settings.name)) return ApiError{409, "proxy already exists"};
  const std::string name = settings.name;
  ApiResult<Entry> e = NewEntry(std::move(settings));
  if (!e.ok()) return e.error();
  return StateOf(proxies_.emplace(name, std::move(*e)).first->second);
}

ApiResult<ProxyState> ProxyRegistry::Update(const std::string& name, const ProxyPatch& patch) {
  Entry* e = Find(name);
  if (!e) return kProxyNotFound;
  ProxySettings next = e->state.settings;
  if (patch.listen) next.listen = *patch.listen;
  if (patch.upstream) next.upstream = *patch.upstream;
  if (ApiFailure bad = CheckSettings(next, "")) return *bad;
  ProxySettings& s = e->state.settings;
  const bool enable = patch.enabled.value_or(s.enabled);
  // A running proxy keeping its listener, pointed at that listener.
  if (e->proxy && next.listen == s.listen &&
      ForwardsToItself(e->proxy->listen_host(), e->proxy->port(), *ParseAddress(next.upstream)))
    return ApiError{400, "proxy " + name + ": upstream " + next.upstream +
                             " is its own listen address " + s.listen +
                             ": it would connect to itself"};
  if (next.listen != s.listen) {
    Stop(*e, "restarting on a new listen address");
    s.listen = next.listen;
  }
  if (next.upstream != s.upstream) {
    s.upstream = next.upstream;
    e->upstream = *ParseAddress(s.upstream);
    if (e->proxy) {
      e->proxy->SetUpstream(e->upstream.host, e->upstream.port);
      log_("proxy " + name + " upstream now " + s.upstream + " (open connections closed)");
    }
  }
  if (enable && !e->proxy) {
    if (ApiFailure failed = Start(*e)) return *failed;
  } else if (!enable && e->proxy) {
    Stop(*e, "disabled");
  }
  return StateOf(*e);
}

ApiFailure ProxyRegistry::Delete(const std::string& name) {
  Entry* e = Find(name);
  if (!e) return kProxyNotFound;
  Stop(*e, "deleted");
  proxies_.erase(name);
  return std::nullopt;
}

ApiResult<std::vector<ProxyState>> ProxyRegistry::Populate(std::vector<ProxySettings> all) {
  std::set<std::string> names;
  for (size_t i = 0; i < all.size(); ++i) {
    if (ApiFailure bad = CheckSettings(all[i], " at proxy " + std::to_string(i + 1))) return *bad;
    if (!names.insert(all[i].name).second)
      return BadRequest("duplicate proxy name " + Quote(all[i].name));
  }
  std::vector<ProxyState> out;
  for (auto& settings : all) {
    Entry* existing = Find(settings.name);
    if (existing && existing->state.settings.listen == settings.listen &&
        existing->state.settings.upstream == settings.upstream) {
      out.push_back(StateOf(*existing));
      continue;
    }
    if (!existing) {
      ApiResult<ProxyState> created = Create(std::move(settings));
      if (!created.ok()) return created.error();
      out.push_back(*created);
      continue;
    }
    // As Toxiproxy's AddOrReplace: the old proxy stops first (the new one
    // may want its port), and stays, disabled, when the new one cannot bind.
    Stop(*existing, "stopped to be replaced");
    ApiResult<Entry> replacement = NewEntry(std::move(settings));
    if (!replacement.ok()) {
      log_("proxy " + existing->state.settings.name +
           " kept, disabled, with its settings and toxics: its replacement failed");
      return replacement.error();
    }
    *existing = std::move(*replacement);
    out.push_back(StateOf(*existing));
  }
  return out;
}

ApiFailure ProxyRegistry::Reset() {
  ApiFailure first;
  std::string unbound;  // "a, b": the proxies that could not bind again
  for (auto& [name, e] : proxies_) {
    e.state.toxics.clear();
    ApplyToxics(e);
    if (!e.proxy) {
      ApiFailure failed = Start(e);
      if (!failed) continue;
      if (!first) first = failed;
      unbound += (unbound.empty() ? "" : ", ") + name;
    }
  }
  if (unbound.empty()) {
    log_("reset: every proxy enabled, every toxic removed");
  } else {
    log_("reset: every toxic removed, every proxy enabled but " + unbound +
         " (cannot bind; disabled)");
  }
  return first;
}

ApiResult<std::vector<ProxyFault>> ProxyRegistry::Toxics(const std::string& proxy) const {
  const Entry* e = Find(proxy);
  if (!e) return kProxyNotFound;
  return e->state.toxics;
}

ApiResult<ProxyFault> ProxyRegistry::GetToxic(const std::string& proxy,
                                              const std::string& toxic) const {
  const Entry* e = Find(proxy);
  if (!e) return kProxyNotFound;
  for (const auto& t : e->state.toxics)
    if (t.name == toxic) return t;
  return kToxicNotFound;
}

ApiResult<ProxyFault> ProxyRegistry::AddToxic(const std::string& proxy, ProxyFault toxic) {
  Entry* e = Find(proxy);
  if (!e) return kProxyNotFound;
  if (toxic.name.empty()) toxic.name = std::string(KindName(toxic.kind));
  if (IsHttpKind(toxic.kind) && !e->state.settings.http)
    return BadRequest("the HTTP fault " + Quote(KindName(toxic.kind)) + " needs a proxy with " +
                      "protocol = \"http\"; proxy " + Quote(proxy) + " forwards bytes");
  for (const auto& t : e->state.toxics)
    if (t.name == toxic.name) return ApiError{409, "toxic already exists"};
  e->state.toxics.push_back(toxic);
  ApplyToxics(*e);
  log_(ToxicLine(proxy, toxic, "added"));
  return toxic;
}

ApiResult<ProxyFault> ProxyRegistry::ReplaceToxic(const std::string& proxy, ProxyFault toxic) {
  Entry* e = Find(proxy);
  if (!e) return kProxyNotFound;
  auto& toxics = e->state.toxics;
  auto it = std::find_if(toxics.begin(), toxics.end(),
                         [&](const ProxyFault& t) { return t.name == toxic.name; });
  if (it == toxics.end()) return kToxicNotFound;
  *it = toxic;
  ApplyToxics(*e);
  log_(ToxicLine(proxy, toxic, "updated"));
  return toxic;
}

ApiFailure ProxyRegistry::RemoveToxic(const std::string& proxy, const std::string& toxic) {
  Entry* e = Find(proxy);
  if (!e) return kProxyNotFound;
  auto& toxics = e->state.toxics;
  auto it = std::find_if(toxics.begin(), toxics.end(),
                         [&](const ProxyFault& t) { return t.name == toxic; });
  if (it == toxics.end()) return kToxicNotFound;
  ProxyFault removed = *it;
  toxics.erase(it);
  ApplyToxics(*e);
  log_(ToxicLine(proxy, removed, "removed"));
  return std::nullopt;
}

void ProxyRegistry::CloseAll() {
  for (auto& [name, e] : proxies_) {
    if (!e.proxy) continue;
    if (e.state.settings.http) log_(RequestsLine(name, e.proxy->Counts()));
    e.proxy->Close();
    e.proxy.reset();
  }
}

}  // namespace faultline
