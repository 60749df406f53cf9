#include "harness/scenario/proxy_config.h"

#include <toml++/toml.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "harness/common/file.h"
#include "harness/common/text.h"
#include "harness/scenario/read_faults.h"
#include "harness/scenario/scenario_loader.h"
#include "harness/scenario/schema_proxy_file.h"

namespace faultline {
namespace {

using schema::FieldOf;
constexpr auto kProxies = FieldOf<schema::TablesTag>(schema::kProxyFileKeys, "proxies");
constexpr auto kName = FieldOf<std::string>(schema::kProxyKeys, "name");
constexpr auto kListen = FieldOf<std::string>(schema::kProxyKeys, "listen");
constexpr auto kUpstream = FieldOf<std::string>(schema::kProxyKeys, "upstream");
constexpr auto kFaults = FieldOf<schema::TablesTag>(schema::kProxyKeys, "faults");
constexpr auto kProtocol = FieldOf<ProcessSpec::Protocol>(schema::kProxyKeys, "protocol");

void ReadAddress(Reporter& r, TableView& t, schema::Field<std::string> f, bool listen,
                 std::string* out) {
  auto v = t.Read(f);
  if (!v) return;
  std::string error;
  if (!ParseHostPort(*v, /*allow_any_port=*/listen, &error)) {
    r.Error(t.At(f), t.Path(f), error);
    return;
  }
  *out = *v;
}

ProxyConfigEntry ReadProxy(Reporter& r, const toml::table& table, const std::string& key,
                           std::map<std::string, std::string>* names) {
  TableView t(r, table, key, schema::kProxySchema);
  ProxyConfigEntry entry;
  if (auto v = t.Read(kName)) {
    entry.name = *v;
    auto [it, added] = names->emplace(*v, key);
    if (!added) {
      r.Error(t.At(kName), t.Path(kName),
              "proxy name " + Quote(*v) + " is already used by " + it->second);
    }
  }
  ReadAddress(r, t, kListen, /*listen=*/true, &entry.listen);
  ReadAddress(r, t, kUpstream, /*listen=*/false, &entry.upstream);
  const std::optional<ProcessSpec::Protocol> protocol = t.Read(kProtocol);
  entry.http = protocol == ProcessSpec::Protocol::kHttp;
  // A protocol that did not read is reported already; its HTTP faults are
  // not blamed on it a second time.
  const bool unread = !protocol && t.Get(kProtocol) != nullptr;
  const FaultPlace place = entry.http || unread ? FaultPlace::kHttpProxy : FaultPlace::kTcpProxy;
  if (const toml::node* n = t.Get(kFaults)) {
    FaultNames fault_names(r);
    ForEachTable(r, *n, t.Path(kFaults), [&](const toml::table& ft, const std::string& fkey) {
      TableView fv(r, ft, fkey, schema::kProxyFaultSchema);
      FaultSpec fault;
      ReadFaultKeys(r, fv, place, &fault);
      fault_names.Add(fault, fv, "proxy " + Quote(entry.name.empty() ? key : entry.name));
      entry.faults.push_back(std::move(fault));
    });
  }
  NameFaults(&entry.faults);
  return entry;
}

Status Failed(std::vector<Diagnostic> errors) {
  std::string message;
  for (const Diagnostic& d : errors) message += (message.empty() ? "" : "\n") + d.ToString();
  return Status::Invalid(message);
}

}  // namespace

StatusOr<std::vector<ProxyConfigEntry>> LoadProxyConfigText(std::string_view text,
                                                            const std::string& path) {
  toml::table root;
  try {
    root = toml::parse(text, std::string_view(path));
  } catch (const toml::parse_error& e) {
    return Failed({SyntaxError(e, path)});
  }

  Reporter reporter(path);
  TableView top(reporter, root, "", schema::kProxyFileSchema);
  std::vector<ProxyConfigEntry> entries;
  std::map<std::string, std::string> names;
  if (const toml::node* n = top.Present(kProxies)) {
    ForEachTable(reporter, *n, top.Path(kProxies),
                 [&](const toml::table& t, const std::string& key) {
                   entries.push_back(ReadProxy(reporter, t, key, &names));
                 });
  }
  if (entries.empty() && (!top.Get(kProxies) || top.Get(kProxies)->is_array())) {
    reporter.Error(top.Where(), top.Path(kProxies), "at least one [[proxies]] entry is required");
  }
  if (!reporter.empty()) return Failed(std::move(reporter).Sorted());
  return entries;
}

StatusOr<std::vector<ProxyConfigEntry>> LoadProxyConfig(const std::string& path) {
  StatusOr<std::string> text = ReadInputFile(path, kMaxScenarioBytes);
  if (!text.ok()) return text.status().WithContext(path.empty() ? "--config" : path);
  return LoadProxyConfigText(*text, path);
}

}  // namespace faultline
