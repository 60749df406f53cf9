// Cross-references in a scenario: names that must be unique (processes,
// phases, variants), names that must refer to something (phases, the
// dependency of a fault, metrics, variants) and ${...} variables, which can
// only be checked once every process and variant is known. Internal to the
// loader; knows nothing of TOML.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "harness/scenario/diagnostics.h"
#include "harness/scenario/scenario.h"

namespace faultline {

class CrossReferences {
 public:
  /// `scenario` is the one being read: each check looks at what has been read
  /// so far, so the reader calls them in the order of its sections.
  CrossReferences(Reporter& reporter, const Scenario& scenario)
      : r_(reporter), s_(scenario) {}

  enum class Names { kProcess, kPhase, kVariant, kCheck };
  /// Reports `name` if an earlier element of its kind has it ("process name
  /// \"db\" is already used by dependencies[0]"), then records it for `owner`.
  void Unique(Names names, const std::string& name, const std::string& owner, SourcePos where,
              const std::string& key);

  /// `name` must be a phase of the scenario.
  void Phase(const std::string& name, SourcePos where, const std::string& key);
  /// `name` must be a dependency with a fault proxy.
  void ProxiedDependency(const std::string& name, SourcePos where, const std::string& key);
  /// `name` must be a dependency whose fault proxy speaks HTTP (`protocol =
  /// "http"`): `check` (an outlived or orphans check, its name "" when the
  /// file gives none) audits its upstream request records.
  void AuditedDependency(const std::string& name, const CheckSpec& check, SourcePos where,
                         const std::string& key);
  /// `name` must be a metric of the scenario (ScenarioMetrics).
  void Metric(const std::string& name, SourcePos where, const std::string& key);
  /// `name` must be a variant of the scenario.
  void Variant(const std::string& name, SourcePos where, const std::string& key);

  /// A string that may hold ${...} variables, checked by Finish().
  /// `reaches_target`: it is in the target's argv, env or base_url, where
  /// ${proxy.D} must appear for each proxied dependency D.
  void Variables(const std::string& text, SourcePos where, const std::string& key,
                 bool reaches_target = false);
  /// Dependency `dependency` has `proxy = true`, written at `where`.
  void Proxy(const std::string& dependency, SourcePos where, const std::string& key);

  /// Checks the variables (every name exists in every variant) and that each
  /// fault proxy is used by the target. Call once, after everything is read.
  void Finish();

 private:
  struct NameSite {
    std::string name;
    std::string owner;  // "the target", "dependencies[0]", "phases[1]"
  };
  struct VariableSite {
    std::string text;
    SourcePos where;
    std::string key;
    bool reaches_target = false;
  };

  std::vector<std::string> KnownVariables(
      std::map<std::string, std::vector<std::string>>* lacking) const;
  void UnknownVariable(const VariableSite& site, const std::string& name,
                       const std::vector<std::string>& known,
                       const std::map<std::string, std::vector<std::string>>& lacking);

  Reporter& r_;
  const Scenario& s_;
  std::map<Names, std::vector<NameSite>> names_;
  std::vector<VariableSite> sites_;
  std::map<std::string, std::pair<SourcePos, std::string>> proxies_;  // dependency -> where
};

}  // namespace faultline
