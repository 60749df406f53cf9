#include "harness/scenario/crossrefs.h"

#include <algorithm>
#include <set>

#include "harness/common/status.h"
#include "harness/common/text.h"
#include "harness/scenario/metrics.h"
#include "harness/scenario/variables.h"

namespace faultline {
namespace {

bool Has(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

}  // namespace

void CrossReferences::Unique(Names names, const std::string& name, const std::string& owner,
                             SourcePos where, const std::string& key) {
  static const std::map<Names, std::string> kWhat = {
      {Names::kProcess, "process"}, {Names::kPhase, "phase"}, {Names::kVariant, "variant"},
      {Names::kCheck, "check"}};
  std::vector<NameSite>& seen = names_[names];
  for (const NameSite& s : seen) {
    if (s.name == name) {
      r_.Error(where, key,
               kWhat.at(names) + " name " + Quote(name) + " is already used by " + s.owner);
      return;
    }
  }
  seen.push_back(NameSite{name, owner});
}

void CrossReferences::Phase(const std::string& name, SourcePos where, const std::string& key) {
  std::vector<std::string> names;
  for (const faultline::Phase& p : s_.phases) names.push_back(p.name);
  if (Has(names, name)) return;
  r_.Error(where, key, "unknown phase " + Quote(name) + DidYouMean(name, names));
}

void CrossReferences::ProxiedDependency(const std::string& name, SourcePos where,
                                        const std::string& key) {
  const ProcessSpec* dep = nullptr;
  std::vector<std::string> names;
  for (const ProcessSpec& d : s_.dependencies) {
    names.push_back(d.name);
    if (d.name == name && !dep) dep = &d;  // a duplicate name is reported at its entry
  }
  if (!dep) {
    r_.Error(where, key, "unknown dependency " + Quote(name) + DidYouMean(name, names));
  } else if (!dep->proxy) {
    r_.Error(where, key,
             "dependency " + Quote(name) +
                 " has no fault proxy (set proxy = true in its [[dependencies]] entry)");
  }
}

void CrossReferences::AuditedDependency(const std::string& name, const CheckSpec& check,
                                        SourcePos where, const std::string& key) {
  const ProcessSpec* dep = nullptr;
  for (const ProcessSpec& d : s_.dependencies) dep = d.name == name ? &d : dep;
  if (!dep) {
    ProxiedDependency(name, where, key);  // unknown dependency (did you mean)
    return;
  }
  if (dep->proxy && dep->protocol == ProcessSpec::Protocol::kHttp) return;
  std::string what = "the " + Quote(ToString(check.kind)) + " check";
  if (!check.name.empty()) what += " " + Quote(check.name);
  what += " audits the upstream requests to dependency " + Quote(name);
  r_.Error(where, key,
           dep->proxy ? what + ", whose fault proxy does not parse HTTP: set protocol = \"http\" "
                               "in its [[dependencies]] entry"
                      : what + ", which has no fault proxy: set proxy = true and protocol = "
                               "\"http\" in its [[dependencies]] entry");
}

void CrossReferences::Metric(const std::string& name, SourcePos where, const std::string& key) {
  const std::vector<std::string> metrics = ScenarioMetrics(s_);
  if (Has(metrics, name)) return;
  std::string hint = DidYouMean(name, metrics);
  if (hint.empty()) hint = " (known metrics: " + CommaList(metrics) + ")";
  r_.Error(where, key, "unknown metric " + Quote(name) + hint);
}

void CrossReferences::Variant(const std::string& name, SourcePos where, const std::string& key) {
  std::vector<std::string> names;
  for (const faultline::Variant& v : s_.variants) names.push_back(v.name);
  if (Has(names, name)) return;
  r_.Error(where, key, "unknown variant " + Quote(name) + DidYouMean(name, names));
}

void CrossReferences::Variables(const std::string& text, SourcePos where, const std::string& key,
                                bool reaches_target) {
  sites_.push_back(VariableSite{text, where, key, reaches_target});
}

void CrossReferences::Proxy(const std::string& dependency, SourcePos where,
                            const std::string& key) {
  proxies_[dependency] = {where, key};
}

// The variables that exist in every variant; `lacking` gets, for each vars
// key some variant sets, the variants that do not set it.
std::vector<std::string> CrossReferences::KnownVariables(
    std::map<std::string, std::vector<std::string>>* lacking) const {
  std::vector<std::string> known;
  known.push_back("port." + s_.target.name);
  for (const ProcessSpec& d : s_.dependencies) known.push_back("port." + d.name);
  for (const ProcessSpec& d : s_.dependencies) {
    if (d.proxy) known.push_back("proxy." + d.name);
  }
  known.push_back("variant.name");
  std::set<std::string> all_keys;
  for (const faultline::Variant& v : s_.variants) {
    for (const auto& [k, value] : v.vars) all_keys.insert(k);
  }
  for (const std::string& k : all_keys) {
    for (const faultline::Variant& v : s_.variants) {
      if (!v.vars.count(k)) (*lacking)[k].push_back(v.name);
    }
    if ((*lacking)[k].empty()) known.push_back("variant." + k);
  }
  return known;
}

void CrossReferences::UnknownVariable(
    const VariableSite& site, const std::string& name, const std::vector<std::string>& known,
    const std::map<std::string, std::vector<std::string>>& lacking) {
  if (name.rfind("proxy.", 0) == 0) {
    // "port.X" is no fix here: it makes the target bypass the proxy, and the
    // faults do nothing.
    const std::string dep = name.substr(6);
    for (const ProcessSpec& d : s_.dependencies) {
      if (d.name != dep || d.proxy) continue;
      r_.Error(site.where, site.key,
               "unknown variable " + Quote(name) + ": dependency " + Quote(dep) +
                   " has no fault proxy (set proxy = true in its [[dependencies]] entry)");
      return;
    }
  }
  if (name.rfind("variant.", 0) != 0) {
    r_.Error(site.where, site.key, "unknown variable " + Quote(name) + DidYouMean(name, known));
    return;
  }
  auto it = lacking.find(name.substr(8));
  if (it != lacking.end() && !it->second.empty()) {
    const std::vector<std::string>& missing = it->second;
    std::string who = missing.size() == 1 ? "variant " : "variants ";
    for (size_t i = 0; i < missing.size(); ++i) {
      if (i > 0) who += i + 1 == missing.size() ? " and " : ", ";
      who += Quote(missing[i]);
    }
    r_.Error(site.where, site.key,
             "variable " + Quote(name) + " is not defined by " + who +
                 " (every variant must set " + Quote(name.substr(8)) + " in vars)");
    return;
  }
  // Compared with the vars keys only: "variant.mode" is no typo of "variant.name".
  std::vector<std::string> keys;
  for (const std::string& k : known) {
    if (k.rfind("variant.", 0) == 0 && k != "variant.name") keys.push_back(k);
  }
  r_.Error(site.where, site.key,
           "unknown variable " + Quote(name) + ": no variant sets " + Quote(name.substr(8)) +
               " in vars" + DidYouMean(name, keys));
}

void CrossReferences::Finish() {
  std::map<std::string, std::vector<std::string>> lacking;
  const std::vector<std::string> known = KnownVariables(&lacking);

  std::set<std::string> target_refs;
  for (const VariableSite& site : sites_) {
    std::map<std::string, std::string> placeholders;
    const std::vector<std::string> refs = ReferencedVariables(site.text);
    for (const std::string& name : refs) placeholders[name] = "";
    StatusOr<std::string> syntax = ExpandVariables(site.text, placeholders);
    if (!syntax.ok()) r_.Error(site.where, site.key, syntax.status().message());

    std::set<std::string> reported;
    for (const std::string& name : refs) {
      if (site.reaches_target) target_refs.insert(name);
      if (!reported.insert(name).second || Has(known, name)) continue;
      UnknownVariable(site, name, known, lacking);
    }
  }

  for (const auto& [dep, where] : proxies_) {
    // A fixed proxy port may be written in the target's own configuration.
    const ProcessSpec* spec = nullptr;
    for (const ProcessSpec& d : s_.dependencies) spec = d.name == dep ? &d : spec;
    if (spec && spec->listen != 0) continue;
    if (s_.target.attached()) {
      r_.Error(where.first, where.second,
               "the target is attached, so it cannot be pointed at a port chosen per run: give "
               "the fault proxy in front of " + Quote(dep) +
                   " a fixed port with listen = PORT (the port the target already calls)");
      continue;
    }
    if (target_refs.count("proxy." + dep)) continue;
    r_.Error(where.first, where.second,
             "the fault proxy in front of " + Quote(dep) + " is never used: reference ${proxy." +
                 dep + "} in the target's argv, env or base_url");
  }
}

}  // namespace faultline
