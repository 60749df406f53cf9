// The readers of the census keys (issue 14): [target.census], the [[census]]
// moments, and the references between them, the phases and held checks.
#include <algorithm>
#include <set>
#include <string>

#include "harness/common/text.h"
#include "harness/scenario/scenario_reader.h"

namespace faultline {

void ScenarioReader::ReadTargetCensus(const toml::table& table, const std::string& key) {
  using namespace keys;
  TableView t(r_, table, key, schema::kTargetCensusSchema);
  CensusSpec& census = s_.target.census;
  if (auto v = t.Read(kCensusUrl)) {
    if (!v->starts_with("http://")) {
      r_.Error(t.At(kCensusUrl), t.Path(kCensusUrl), "must start with \"http://\", got " + Quote(*v));
    } else {
      census.url = *v;
      refs_.Variables(census.url, t.At(kCensusUrl), t.Path(kCensusUrl));
    }
  }
  if (auto v = t.Read(kCensusTimeout)) census.timeout = *v;
  if (auto v = t.Read(kCensusAtEnd)) census.at_end = *v;
}

void ScenarioReader::ReadCensusMoment(const toml::table& table, const std::string& key) {
  using namespace keys;
  TableView t(r_, table, key, schema::kCensusMomentSchema);
  auto at = t.Read(kCensusMomentAt);
  if (!at) return;
  CensusMomentSpec moment;
  moment.at = *at;
  moment.phase = *at;
  const size_t plus = at->rfind('+');
  // A phase may have a + in its name ("slow+1s"): the whole name first.
  const bool a_phase = std::any_of(s_.phases.begin(), s_.phases.end(),
                                   [&](const Phase& p) { return p.name == *at; });
  if (plus != std::string::npos && !a_phase) {
    moment.phase = at->substr(0, plus);
    std::string why;
    std::optional<Duration> offset = ParseDurationValue(at->substr(plus + 1), &why);
    if (!offset) {
      r_.Error(t.At(kCensusMomentAt), t.Path(kCensusMomentAt),
               "expected \"PHASE+DURATION\" like \"hang+8s\" or \"PHASE\", got " + Quote(*at) +
                   ": " + why);
      return;
    }
    moment.offset = *offset;
  }
  refs_.Phase(moment.phase, t.At(kCensusMomentAt), t.Path(kCensusMomentAt));
  census_sites_.push_back({t.At(kCensusMomentAt), t.Path(kCensusMomentAt)});
  s_.census.push_back(std::move(moment));
}

void ScenarioReader::CheckCensusReferences() {
  std::set<std::string> names;
  if (s_.target.census.at_end) names.insert("end");
  for (size_t i = 0; i < s_.census.size(); ++i) {
    const CensusMomentSpec& m = s_.census[i];
    const auto& [where, key] = census_sites_[i];
    if (!names.insert(m.at).second) {
      r_.Error(where, key, "census " + Quote(m.at) + " is taken twice");
    }
    for (const Phase& p : s_.phases) {
      if (p.name == m.phase && m.offset >= p.duration) {
        r_.Error(where, key,
                 "offset " + FormatDuration(m.offset) + " is not within phase " + Quote(p.name) +
                     " (" + FormatDuration(p.duration) + ")");
      }
    }
  }
  for (size_t i = 0; i < s_.checks.size() && i < held_at_sites_.size(); ++i) {
    const CheckSpec& c = s_.checks[i];
    if (c.kind != CheckSpec::Kind::kHeld) continue;
    const auto& [where, key] = held_at_sites_[i];
    if (names.count(c.at) == 0) {
      std::vector<std::string> known(names.begin(), names.end());
      r_.Error(where, key,
               "no census " + Quote(c.at) + (known.empty() ? std::string(": no census is taken")
                                                           : "; censuses: " + OneOf(known)));
    }
  }
}

}  // namespace faultline
