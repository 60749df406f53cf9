// The section readers: walk a parsed scenario table section by section,
// reading every key through its schema row (the handles below) into a
// Scenario and reporting every problem to a Reporter. Internal to the loader
// (scenario_loader.cc); the readers live in scenario_reader.cc (top level,
// variants, load, phases, faults), read_processes.cc (target, dependencies,
// readiness, scrape) and read_checks.cc.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "harness/result/result.h"
#include "harness/scenario/crossrefs.h"
#include "harness/scenario/read_faults.h"
#include "harness/scenario/schema.h"
#include "harness/scenario/toml_values.h"
#include "harness/scenario/warnings.h"

namespace faultline {
namespace keys {

// Handles on the schema's rows: the only way a reader names a key. Each is
// checked against schema.h at compile time (FieldOf).
using schema::FieldOf;
using schema::Field;
using Strings = std::vector<std::string>;
using StringMap = std::map<std::string, std::string>;

inline constexpr auto kName = FieldOf<std::string>(schema::kScenarioKeys, "name");
inline constexpr auto kDescription = FieldOf<std::string>(schema::kScenarioKeys, "description");
inline constexpr auto kSeed = FieldOf<int64_t>(schema::kScenarioKeys, "seed");
inline constexpr auto kBaselinePhase =
    FieldOf<std::string>(schema::kScenarioKeys, "baseline_phase");
inline constexpr auto kTarget = FieldOf<schema::TableTag>(schema::kScenarioKeys, "target");
inline constexpr auto kDependencies =
    FieldOf<schema::TablesTag>(schema::kScenarioKeys, "dependencies");
inline constexpr auto kVariants = FieldOf<schema::TablesTag>(schema::kScenarioKeys, "variants");
inline constexpr auto kLoad = FieldOf<schema::TableTag>(schema::kScenarioKeys, "load");
inline constexpr auto kPhases = FieldOf<schema::TablesTag>(schema::kScenarioKeys, "phases");
inline constexpr auto kSampling = FieldOf<schema::TableTag>(schema::kScenarioKeys, "sampling");
inline constexpr auto kChecks = FieldOf<schema::TablesTag>(schema::kScenarioKeys, "checks");

/// The keys the target and a dependency share.
struct ProcessKeys {
  Field<std::string> name;
  Field<Strings> argv;
  Field<StringMap> env;
  Field<schema::TableTag> ready;
  Field<Duration> stop_grace;
};
template <size_t N>
consteval ProcessKeys ProcessKeysOf(const schema::Key (&rows)[N]) {
  return ProcessKeys{FieldOf<std::string>(rows, "name"), FieldOf<Strings>(rows, "argv"),
                     FieldOf<StringMap>(rows, "env"), FieldOf<schema::TableTag>(rows, "ready"),
                     FieldOf<Duration>(rows, "stop_grace")};
}
inline constexpr ProcessKeys kTargetProcess = ProcessKeysOf(schema::kTargetKeys);
inline constexpr ProcessKeys kDependencyProcess = ProcessKeysOf(schema::kDependencyKeys);
inline constexpr auto kTargetBaseUrl = FieldOf<std::string>(schema::kTargetKeys, "base_url");
inline constexpr auto kTargetScrape = FieldOf<schema::TableTag>(schema::kTargetKeys, "scrape");
inline constexpr auto kDependencyProxy = FieldOf<bool>(schema::kDependencyKeys, "proxy");
inline constexpr auto kDependencyAddress = FieldOf<std::string>(schema::kDependencyKeys, "address");
inline constexpr auto kDependencyListen = FieldOf<int64_t>(schema::kDependencyKeys, "listen");
inline constexpr auto kTargetAttach = FieldOf<schema::TableTag>(schema::kTargetKeys, "attach");
inline constexpr auto kAttachPort = FieldOf<int64_t>(schema::kAttachKeys, "port");
inline constexpr auto kAttachPid = FieldOf<int64_t>(schema::kAttachKeys, "pid");
inline constexpr auto kAttachPidFile = FieldOf<std::string>(schema::kAttachKeys, "pid_file");
inline constexpr auto kDependencyProtocol =
    FieldOf<ProcessSpec::Protocol>(schema::kDependencyKeys, "protocol");

inline constexpr auto kReadyKind = FieldOf<Readiness::Kind>(schema::kReadyKeys, "kind");
inline constexpr auto kReadyPort = FieldOf<schema::PortText>(schema::kReadyKeys, "port");
inline constexpr auto kReadyPath = FieldOf<std::string>(schema::kReadyKeys, "path");
inline constexpr auto kReadyStatus = FieldOf<int64_t>(schema::kReadyKeys, "status");
inline constexpr auto kReadyLogLine = FieldOf<std::string>(schema::kReadyKeys, "log_line");
inline constexpr auto kReadyTimeout = FieldOf<Duration>(schema::kReadyKeys, "timeout");

inline constexpr auto kScrapePort = FieldOf<schema::PortText>(schema::kScrapeKeys, "port");
inline constexpr auto kScrapePath = FieldOf<std::string>(schema::kScrapeKeys, "path");
inline constexpr auto kScrapeTimeout = FieldOf<Duration>(schema::kScrapeKeys, "timeout");
inline constexpr auto kScrapeMetrics = FieldOf<StringMap>(schema::kScrapeKeys, "metrics");

inline constexpr auto kVariantName = FieldOf<std::string>(schema::kVariantKeys, "name");
inline constexpr auto kVariantExpect = FieldOf<Variant::Expect>(schema::kVariantKeys, "expect");
inline constexpr auto kVariantVars = FieldOf<StringMap>(schema::kVariantKeys, "vars");
using Commands = std::vector<std::vector<std::string>>;
inline constexpr auto kVariantSetup = FieldOf<Commands>(schema::kVariantKeys, "setup");
inline constexpr auto kVariantTeardown = FieldOf<Commands>(schema::kVariantKeys, "teardown");
inline constexpr auto kVariantHookTimeout = FieldOf<Duration>(schema::kVariantKeys, "hook_timeout");

inline constexpr auto kLoadRate = FieldOf<double>(schema::kLoadKeys, "rate");
inline constexpr auto kLoadMethod = FieldOf<std::string>(schema::kLoadKeys, "method");
inline constexpr auto kLoadPath = FieldOf<std::string>(schema::kLoadKeys, "path");
inline constexpr auto kLoadHeaders = FieldOf<StringMap>(schema::kLoadKeys, "headers");
inline constexpr auto kLoadBody = FieldOf<std::string>(schema::kLoadKeys, "body");
inline constexpr auto kLoadTimeout = FieldOf<Duration>(schema::kLoadKeys, "timeout");
inline constexpr auto kLoadMaxInFlight = FieldOf<int64_t>(schema::kLoadKeys, "max_in_flight");

inline constexpr auto kPhaseName = FieldOf<std::string>(schema::kPhaseKeys, "name");
inline constexpr auto kPhaseDuration = FieldOf<Duration>(schema::kPhaseKeys, "duration");
inline constexpr auto kPhaseRate = FieldOf<double>(schema::kPhaseKeys, "rate");
inline constexpr auto kPhaseFaults = FieldOf<schema::TablesTag>(schema::kPhaseKeys, "faults");

inline constexpr auto kFaultDependency = FieldOf<std::string>(schema::kFaultKeys, "dependency");
inline constexpr auto kPhaseFaultKind = FieldOf<FaultSpec::Kind>(schema::kFaultKeys, "kind");

inline constexpr auto kSamplingInterval = FieldOf<Duration>(schema::kSamplingKeys, "interval");

inline constexpr auto kCheckName = FieldOf<std::string>(schema::kCheckKeys, "name");
inline constexpr auto kCheckKind = FieldOf<CheckSpec::Kind>(schema::kCheckKeys, "kind");
inline constexpr auto kCheckMetric = FieldOf<std::string>(schema::kCheckKeys, "metric");
inline constexpr auto kCheckPhases = FieldOf<Strings>(schema::kCheckKeys, "phases");
inline constexpr auto kCheckLimit = FieldOf<schema::LimitValue>(schema::kCheckKeys, "limit");
inline constexpr auto kCheckAtLeast = FieldOf<bool>(schema::kCheckKeys, "at_least");
inline constexpr auto kCheckPercentile = FieldOf<double>(schema::kCheckKeys, "percentile");
inline constexpr auto kCheckAfter = FieldOf<std::string>(schema::kCheckKeys, "after");
inline constexpr auto kCheckWithin = FieldOf<Duration>(schema::kCheckKeys, "within");
inline constexpr auto kCheckTolerance =
    FieldOf<schema::ToleranceValue>(schema::kCheckKeys, "tolerance");
inline constexpr auto kCheckVariants = FieldOf<Strings>(schema::kCheckKeys, "variants");
inline constexpr auto kCheckDependency = FieldOf<std::string>(schema::kCheckKeys, "dependency");
inline constexpr auto kCheckOpenFor = FieldOf<Duration>(schema::kCheckKeys, "open_for");

// The census (issue 14).
inline constexpr auto kTargetCensus = FieldOf<schema::TableTag>(schema::kTargetKeys, "census");
inline constexpr auto kCensusUrl = FieldOf<std::string>(schema::kTargetCensusKeys, "url");
inline constexpr auto kCensusTimeout = FieldOf<Duration>(schema::kTargetCensusKeys, "timeout");
inline constexpr auto kCensusAtEnd = FieldOf<bool>(schema::kTargetCensusKeys, "at_end");
inline constexpr auto kCensusMoments = FieldOf<schema::TablesTag>(schema::kScenarioKeys, "census");
inline constexpr auto kCensusMomentAt = FieldOf<std::string>(schema::kCensusMomentKeys, "at");
inline constexpr auto kCheckFrames = FieldOf<std::string>(schema::kCheckKeys, "frames");
inline constexpr auto kCheckAt = FieldOf<std::string>(schema::kCheckKeys, "at");

}  // namespace keys

class ScenarioReader {
 public:
  /// Reads into `scenario`, which holds its path, source and file-stem name.
  ScenarioReader(Reporter& reporter, Scenario* scenario)
      : r_(reporter), s_(*scenario), refs_(reporter, *scenario) {}

  /// Reads every section, then checks the cross-references and names the
  /// checks. Call once.
  void Read(const toml::table& root);

 private:
  // `n` as a table, or null with "expected a table" reported.
  const toml::table* Table(const toml::node& n, const std::string& key);
  // Calls f(element table, its key path) for each element of an array of
  // tables; reports anything else.
  template <typename F>
  void ForEachTable(const toml::node& n, const std::string& key, F f);

  void ReadTarget(const toml::table& table);
  void ReadDependency(const toml::table& table, const std::string& key);
  void ReadProcess(TableView& t, const keys::ProcessKeys& k, ProcessSpec* p, bool is_target);
  void ReadAttach(const toml::table& table, TableView& target_view);
  void ReadReady(const toml::table& table, const std::string& key, const std::string& process,
                 Readiness* ready);
  void ReadPort(const toml::node& n, const std::string& path, const std::string& process,
                std::string* port);
  void ReadScrape(const toml::table& table, const std::string& key, const std::string& process,
                  ScrapeSpec* scrape);
  void ReadVariant(const toml::table& table, const std::string& key, Variant* v);
  void ReadLoad(const toml::table& table, const std::string& key);
  void ReadPhase(const toml::table& table, const std::string& key, Phase* phase);
  void ReadFault(const toml::table& table, const std::string& key, FaultSpec* fault,
                 FaultNames* names);
  void ReadSampling(const toml::table& table, const std::string& key);
  void ReadCheck(const toml::table& table, const std::string& key, CheckSpec* check);
  void ReadLimit(const toml::node& n, const std::string& key, const char* what, bool is_latency,
                 const std::string& metric, double* limit);

  // The census (read_census.cc): [target.census], [[census]], and the
  // cross-checks of moments against phases and of held checks' `at`.
  void ReadTargetCensus(const toml::table& table, const std::string& key);
  void ReadCensusMoment(const toml::table& table, const std::string& key);
  void CheckCensusReferences();

  // Records each element as a string that may hold variables.
  void Variables(const std::vector<Element>& elements, bool reaches_target = false);

  Reporter& r_;
  Scenario& s_;
  CrossReferences refs_;
  std::map<int64_t, std::string> listen_ports_;  // a dependency's listen = its proxy's port: whose
  // Where target.scrape.timeout was set, for the check against sampling.interval.
  std::pair<SourcePos, std::string> scrape_timeout_site_;
  std::vector<bool> check_has_name_;
  // Where each check's and phase's keys are, for the warnings (warnings.h).
  std::vector<CheckSites> check_sites_;
  std::vector<PhaseSites> phase_sites_;
  // Where each [[census]] at and each held check's `at` was written.
  std::vector<std::pair<SourcePos, std::string>> census_sites_, held_at_sites_;
};

template <typename F>
void ScenarioReader::ForEachTable(const toml::node& n, const std::string& key, F f) {
  faultline::ForEachTable(r_, n, key, std::move(f));
}

}  // namespace faultline
