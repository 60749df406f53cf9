#include "harness/scenario/scenario_reader.h"

#include <cctype>
#include <cstring>

#include "harness/common/text.h"
#include "harness/common/traceparent.h"
#include "harness/scenario/check_names.h"

namespace faultline {
namespace {

bool IsHttpToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (std::isalnum(static_cast<unsigned char>(c))) continue;
    if (std::strchr("!#$%&'*+-.^_`|~", c) == nullptr || c == '\0') return false;
  }
  return true;
}

}  // namespace

void ScenarioReader::Read(const toml::table& root) {
  using namespace keys;
  TableView top(r_, root, "", schema::kScenarioSchema);

  if (auto v = top.Read(kName)) s_.name = *v;
  if (auto v = top.Read(kDescription)) s_.description = *v;
  if (auto v = top.Read(kSeed)) s_.seed = static_cast<uint64_t>(*v);

  // Processes first: faults, metrics and variables refer to them.
  if (const toml::node* n = top.Present(kTarget)) {
    if (const toml::table* t = Table(*n, top.Path(kTarget))) ReadTarget(*t);
  }
  if (const toml::node* n = top.Get(kDependencies)) {
    ForEachTable(*n, top.Path(kDependencies),
                 [&](const toml::table& t, const std::string& key) { ReadDependency(t, key); });
  }

  if (const toml::node* n = top.Get(kVariants)) {
    ForEachTable(*n, top.Path(kVariants), [&](const toml::table& t, const std::string& key) {
      Variant v;
      ReadVariant(t, key, &v);
      s_.variants.push_back(std::move(v));
    });
  }
  if (s_.variants.empty()) {
    Variant v;
    v.name = kDefaultVariantName;
    s_.variants.push_back(v);
    refs_.Unique(CrossReferences::Names::kVariant, v.name, "the default variant", {}, "");
  }

  if (const toml::node* n = top.Get(kLoad)) {
    if (const toml::table* t = Table(*n, top.Path(kLoad))) ReadLoad(*t, top.Path(kLoad));
  }

  const toml::node* phases = top.Get(kPhases);
  if (phases) {
    ForEachTable(*phases, top.Path(kPhases), [&](const toml::table& t, const std::string& key) {
      Phase phase;
      ReadPhase(t, key, &phase);
      s_.phases.push_back(std::move(phase));
    });
  }
  if (s_.phases.empty() && (!phases || phases->is_array())) {
    r_.Error(top.Where(), top.Path(kPhases), "at least one [[phases]] entry is required");
  }
  // Each phase is at most kMaxDurationNs; their sum must fit a run's clock too.
  long double total_ns = 0;
  for (const Phase& p : s_.phases) total_ns += static_cast<long double>(p.duration.count());
  if (total_ns > static_cast<long double>(kMaxDurationNs)) {
    const PhaseSites& last = phase_sites_.back();
    r_.Error(last.duration.where, last.duration.key,
             "the phases last " + FormatNumber(static_cast<double>(total_ns / 1e9L)) +
                 " s in all, more than a run can last (1e9 s, about 31 years)");
  }

  if (auto v = top.Read(kBaselinePhase)) {
    s_.baseline_phase = *v;
    refs_.Phase(*v, top.At(kBaselinePhase), top.Path(kBaselinePhase));
  } else if (!top.Get(kBaselinePhase) && !s_.phases.empty()) {
    s_.baseline_phase = s_.phases.front().name;
  }

  if (const toml::node* n = top.Get(kSampling)) {
    if (const toml::table* t = Table(*n, top.Path(kSampling))) {
      ReadSampling(*t, top.Path(kSampling));
    }
  }

  if (const toml::node* n = top.Get(kChecks)) {
    ForEachTable(*n, top.Path(kChecks), [&](const toml::table& t, const std::string& key) {
      CheckSpec check;
      ReadCheck(t, key, &check);
      s_.checks.push_back(std::move(check));
    });
  }

  if (const toml::node* n = top.Get(kCensusMoments)) {
    ForEachTable(*n, top.Path(kCensusMoments),
                 [&](const toml::table& t, const std::string& key) { ReadCensusMoment(t, key); });
  }
  CheckCensusReferences();

  if (s_.target.scrape && s_.target.scrape->timeout >= s_.sampling.interval) {
    r_.Error(scrape_timeout_site_.first,
             scrape_timeout_site_.second.empty() ? "target.scrape.timeout"
                                                 : scrape_timeout_site_.second,
             "must be shorter than sampling.interval (" + FormatDuration(s_.sampling.interval) +
                 "), got " + FormatDuration(s_.target.scrape->timeout) +
                 ": a scrape must end before the next sample is due");
  }

  refs_.Finish();
  NameChecks(&s_.checks, check_has_name_);
  if (r_.empty()) WarnCannotTell(s_, check_sites_, phase_sites_, r_);
}

const toml::table* ScenarioReader::Table(const toml::node& n, const std::string& key) {
  if (const auto* t = n.as_table()) return t;
  r_.Error(Pos(n.source()), key, "expected a table, got " + Describe(n));
  return nullptr;
}

void ScenarioReader::Variables(const std::vector<Element>& elements, bool reaches_target) {
  for (const Element& e : elements) refs_.Variables(e.text, e.where, e.key, reaches_target);
}

void ScenarioReader::ReadVariant(const toml::table& table, const std::string& key, Variant* v) {
  using namespace keys;
  TableView t(r_, table, key, schema::kVariantSchema);
  if (auto name = t.Read(kVariantName)) {
    v->name = *name;
    refs_.Unique(CrossReferences::Names::kVariant, *name, key, t.At(kVariantName),
                 t.Path(kVariantName));
  }
  if (auto e = t.Read(kVariantExpect)) v->expect = *e;
  std::vector<Element> hooks;
  if (auto c = t.Read(kVariantSetup, &hooks)) v->setup = std::move(*c);
  Variables(hooks);
  hooks.clear();
  if (auto c = t.Read(kVariantTeardown, &hooks)) v->teardown = std::move(*c);
  Variables(hooks);
  if (auto d = t.Read(kVariantHookTimeout)) v->hook_timeout = *d;
  if (auto vars = t.Read(kVariantVars)) {
    v->vars = std::move(*vars);
    if (v->vars.count("name")) {
      const toml::table& entries = *t.Get(kVariantVars)->as_table();
      r_.Error(Pos(entries.get("name")->source()), JoinKey(t.Path(kVariantVars), "name"),
               "\"name\" is reserved: ${variant.name} is the variant's name");
      v->vars.erase("name");
    }
    // A value is put in as written: "${variant.mode}" in one would reach the
    // target literally.
    const toml::table& entries = *t.Get(kVariantVars)->as_table();
    for (const auto& [name, value] : v->vars) {
      if (value.find("${") == std::string::npos) continue;
      r_.Error(Pos(entries.get(name)->source()), JoinKey(t.Path(kVariantVars), name),
               "a variable's value is used as written, variables in it are not expanded: " +
                   Quote(value));
    }
  }
}

void ScenarioReader::ReadLoad(const toml::table& table, const std::string& key) {
  using namespace keys;
  TableView t(r_, table, key, schema::kLoadSchema);
  LoadSpec& load = s_.load;
  if (auto v = t.Read(kLoadRate)) load.rate = *v;
  if (auto v = t.Read(kLoadMethod)) {
    if (!IsHttpToken(*v)) {
      r_.Error(t.At(kLoadMethod), t.Path(kLoadMethod),
               "expected an HTTP method like \"GET\" or \"POST\", got " + Quote(*v));
    } else {
      load.method = *v;
    }
  }
  if (auto v = t.Read(kLoadPath)) {
    load.path = *v;
    refs_.Variables(load.path, t.At(kLoadPath), t.Path(kLoadPath));
  }
  std::vector<Element> headers;
  if (auto v = t.Read(kLoadHeaders, &headers)) load.headers = std::move(*v);
  for (const Element& h : headers) {  // sent as written: no request smuggled in
    if (!IsHttpToken(h.name)) {
      r_.Error(h.where, h.key,
               "invalid header name " + Quote(h.name) + ": use letters, digits and -");
    } else if (HasLineBreakOrNul(h.text)) {
      r_.Error(h.where, h.key, "a header value must not hold CR, LF or NUL, got " + Quote(h.text));
    } else if (EqualsIgnoringCase(h.name, kTraceparentHeader)) {
      r_.Warning(h.where, h.key,
                 "every request then carries this one trace id and the load generator stamps "
                 "none of its own, so the cancellation audit of an HTTP dependency cannot tell "
                 "requests apart; leave traceparent to faultline");
    }
  }
  Variables(headers);
  if (auto v = t.Read(kLoadBody)) {
    load.body = *v;
    refs_.Variables(load.body, t.At(kLoadBody), t.Path(kLoadBody));
  }
  if (auto v = t.Read(kLoadTimeout)) load.timeout = *v;
  if (auto v = t.Read(kLoadMaxInFlight)) load.max_in_flight = static_cast<uint64_t>(*v);
}

void ScenarioReader::ReadPhase(const toml::table& table, const std::string& key, Phase* phase) {
  using namespace keys;
  TableView t(r_, table, key, schema::kPhaseSchema);
  if (auto v = t.Read(kPhaseName)) {
    phase->name = *v;
    refs_.Unique(CrossReferences::Names::kPhase, *v, key, t.At(kPhaseName), t.Path(kPhaseName));
  }
  if (auto v = t.Read(kPhaseDuration)) phase->duration = *v;
  phase_sites_.push_back(PhaseSites{{t.At(kPhaseDuration), t.Path(kPhaseDuration)}});
  if (auto v = t.Read(kPhaseRate)) phase->rate = *v;
  if (const toml::node* n = t.Get(kPhaseFaults)) {
    FaultNames names(r_);
    ForEachTable(*n, t.Path(kPhaseFaults), [&](const toml::table& ft, const std::string& fkey) {
      FaultSpec fault;
      ReadFault(ft, fkey, &fault, &names);
      phase->faults.push_back(std::move(fault));
    });
    const double changes = ScheduledChanges(phase->faults, phase->duration);
    if (changes > kMaxFaultChanges) {
      r_.Error(t.At(kPhaseFaults), t.Path(kPhaseFaults),
               "its ramps and flaps change the faults about " + FormatNumber(changes) +
                   " times in " + FormatDuration(phase->duration) + ", more than " +
                   std::to_string(kMaxFaultChanges) +
                   ": use fewer ramp steps or longer flap periods");
    }
  }
}

void ScenarioReader::ReadFault(const toml::table& table, const std::string& key, FaultSpec* fault,
                               FaultNames* names) {
  using namespace keys;
  TableView t(r_, table, key, schema::kFaultSchema);
  if (auto v = t.Read(kFaultDependency)) {
    fault->dependency = *v;
    refs_.ProxiedDependency(*v, t.At(kFaultDependency), t.Path(kFaultDependency));
  }
  ReadFaultKeys(r_, t, FaultPlace::kPhase, fault);
  if (IsHttpFault(fault->kind)) {
    for (const ProcessSpec& d : s_.dependencies) {
      if (d.name != fault->dependency || !d.proxy) continue;
      if (d.protocol != ProcessSpec::Protocol::kHttp) {
        r_.Error(t.At(kPhaseFaultKind), t.Path(kPhaseFaultKind),
                 "the HTTP fault " + Quote(ToString(fault->kind)) + " needs an HTTP-aware proxy: " +
                     "set protocol = \"http\" on dependency " + Quote(d.name));
      }
    }
  }
  if (!fault->dependency.empty()) names->Add(*fault, t, Quote(fault->dependency));
}

void ScenarioReader::ReadSampling(const toml::table& table, const std::string& key) {
  using namespace keys;
  TableView t(r_, table, key, schema::kSamplingSchema);
  if (auto d = t.Read(kSamplingInterval)) {
    if (*d < 10ms) {
      r_.Error(t.At(kSamplingInterval), t.Path(kSamplingInterval),
               "must be at least 10ms, got " + Quote(t.Get(kSamplingInterval)->as_string()->get()));
    } else {
      s_.sampling.interval = *d;
    }
  }
}

}  // namespace faultline
