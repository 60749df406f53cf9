#include "harness/scenario/read_faults.h"

#include "harness/common/text.h"
#include "harness/scenario/schema.h"

namespace faultline {
namespace keys {

using schema::FieldOf;
inline constexpr auto kFaultKind = FieldOf<FaultSpec::Kind>(schema::kFaultKeys, "kind");
inline constexpr auto kFaultName = FieldOf<std::string>(schema::kFaultKeys, "name");
inline constexpr auto kFaultFraction = FieldOf<double>(schema::kFaultKeys, "fraction");
inline constexpr auto kFaultDirection =
    FieldOf<FaultSpec::Direction>(schema::kFaultKeys, "direction");
inline constexpr auto kFaultLatency = FieldOf<Duration>(schema::kFaultKeys, "latency");
inline constexpr auto kFaultJitter = FieldOf<Duration>(schema::kFaultKeys, "jitter");
inline constexpr auto kFaultRate = FieldOf<uint64_t>(schema::kFaultKeys, "rate");
inline constexpr auto kFaultDelay = FieldOf<Duration>(schema::kFaultKeys, "delay");
inline constexpr auto kFaultTimeout = FieldOf<Duration>(schema::kFaultKeys, "timeout");
inline constexpr auto kFaultSize = FieldOf<uint64_t>(schema::kFaultKeys, "size");
inline constexpr auto kFaultSizeVariation = FieldOf<uint64_t>(schema::kFaultKeys, "size_variation");
inline constexpr auto kFaultBytes = FieldOf<uint64_t>(schema::kFaultKeys, "bytes");
inline constexpr auto kFaultRamp = FieldOf<schema::TableTag>(schema::kFaultKeys, "ramp");
inline constexpr auto kFaultFlap = FieldOf<schema::TableTag>(schema::kFaultKeys, "flap");
inline constexpr auto kFaultStatus = FieldOf<int64_t>(schema::kFaultKeys, "status");
inline constexpr auto kFaultBody = FieldOf<std::string>(schema::kFaultKeys, "body");
inline constexpr auto kFaultOn = FieldOf<FaultSpec::On>(schema::kFaultKeys, "on");
inline constexpr auto kFaultMatch = FieldOf<schema::TableTag>(schema::kFaultKeys, "match");
inline constexpr auto kMatchMethod = FieldOf<std::string>(schema::kMatchKeys, "method");
inline constexpr auto kMatchPathPrefix = FieldOf<std::string>(schema::kMatchKeys, "path_prefix");
inline constexpr auto kMatchHeaders =
    FieldOf<std::map<std::string, std::string>>(schema::kMatchKeys, "headers");

inline constexpr auto kRampFrom = FieldOf<schema::FaultValue>(schema::kRampKeys, "from");
inline constexpr auto kRampTo = FieldOf<schema::FaultValue>(schema::kRampKeys, "to");
inline constexpr auto kRampSteps = FieldOf<int64_t>(schema::kRampKeys, "steps");
inline constexpr auto kFlapOn = FieldOf<Duration>(schema::kFlapKeys, "on");
inline constexpr auto kFlapOff = FieldOf<Duration>(schema::kFlapKeys, "off");

}  // namespace keys

namespace {

// The sub-table at `n`, or null with "expected a table" reported.
const toml::table* SubTable(Reporter& r, const toml::node& n, const std::string& key) {
  if (const auto* t = n.as_table()) return t;
  r.Error(Pos(n.source()), key, "expected a table, got " + Describe(n));
  return nullptr;
}

// Reads `f` unless a ramp stands in for it: a main value absent beside a
// ramp is not missing, and one present beside it is an error.
template <typename T>
std::optional<T> ReadMain(Reporter& r, TableView& t, schema::Field<T> f, bool is_main,
                          bool has_ramp) {
  if (!is_main || !has_ramp) return t.Read(f);
  if (t.Get(f)) {
    r.Error(t.KeyWhere(f), t.Path(f),
            "give either " + Quote(f.key->name) + " or a ramp, not both");
  }
  return std::nullopt;
}

void ReadRamp(Reporter& r, const toml::table& table, const std::string& key, FaultSpec* fault) {
  using namespace keys;
  TableView t(r, table, key, schema::kRampSchema);
  const FaultSpec::Main main = FaultSpec::MainValue(fault->kind);
  FaultRamp ramp;
  std::optional<int64_t> from = t.Read(kRampFrom, main);
  std::optional<int64_t> to = t.Read(kRampTo, main);
  if (auto v = t.Read(kRampSteps)) ramp.steps = static_cast<int>(*v);
  if (!from || !to) return;
  ramp.from = *from;
  ramp.to = *to;
  fault->ramp = ramp;
  fault->SetMain(ramp.from);
}

void ReadFlap(Reporter& r, const toml::table& table, const std::string& key, FaultSpec* fault) {
  using namespace keys;
  TableView t(r, table, key, schema::kFlapSchema);
  std::optional<Duration> on = t.Read(kFlapOn);
  std::optional<Duration> off = t.Read(kFlapOff);
  if (on && off) fault->flap = FaultFlap{*on, *off};
}

// The HTTP faults' keys: status, body, on, match.
void ReadHttpKeys(Reporter& r, TableView& t, FaultSpec* fault) {
  using namespace keys;
  if (auto v = t.Read(kFaultStatus)) {
    if (*v < 200 || *v > 599) {
      r.Error(t.At(kFaultStatus), t.Path(kFaultStatus),
              "expected an HTTP status 200..599, got " + std::to_string(*v));
    } else {
      fault->status = static_cast<int>(*v);
    }
  }
  if (auto v = t.Read(kFaultBody)) fault->body = *v;
  if (auto v = t.Read(kFaultOn)) fault->on = *v;
  const toml::node* match = t.Get(kFaultMatch);
  if (!match || !t.Applies(kFaultMatch)) return;
  const toml::table* mt = SubTable(r, *match, t.Path(kFaultMatch));
  if (!mt) return;
  TableView m(r, *mt, t.Path(kFaultMatch), schema::kMatchSchema);
  if (auto v = m.Read(kMatchMethod)) fault->match.method = *v;
  if (auto v = m.Read(kMatchPathPrefix)) fault->match.path_prefix = *v;
  if (auto v = m.Read(kMatchHeaders)) fault->match.headers = std::move(*v);
}

}  // namespace

void ReadFaultKeys(Reporter& r, TableView& t, FaultPlace place, FaultSpec* fault) {
  using namespace keys;
  bool known = false;
  if (auto k = t.Read(kFaultKind)) {
    fault->kind = *k;
    t.SetKind(static_cast<int>(*k));
    known = true;
  }
  if (auto v = t.Read(kFaultName)) fault->name = *v;
  if (auto v = t.Read(kFaultFraction)) fault->fraction = *v;
  if (auto d = t.Read(kFaultDirection)) fault->direction = *d;

  const FaultSpec::Main main = known ? FaultSpec::MainValue(fault->kind) : FaultSpec::Main::kNone;
  const toml::node* ramp = t.Get(kFaultRamp);
  const toml::node* flap = t.Get(kFaultFlap);
  if (place != FaultPlace::kPhase) {
    for (const auto& [node, name] : {std::pair{ramp, "ramp"}, std::pair{flap, "flap"}}) {
      if (!node) continue;
      r.Error(Pos(node->source()), JoinKey(t.path(), name),
              std::string(name) +
                  " moves a fault across a scenario phase; a proxy's file sets fixed values");
    }
    ramp = flap = nullptr;
    if (known && IsHttpFault(fault->kind) && place == FaultPlace::kTcpProxy) {
      r.Error(t.At(kFaultKind), t.Path(kFaultKind),
              "the HTTP fault " + Quote(ToString(fault->kind)) +
                  " needs an HTTP-aware proxy: set protocol = \"http\" on this proxy");
    }
  }
  const bool has_ramp = ramp && t.Applies(kFaultRamp) && main != FaultSpec::Main::kNone;

  using M = FaultSpec::Main;
  const std::optional<Duration> latency =
      ReadMain(r, t, kFaultLatency, main == M::kLatency, has_ramp);
  if (latency) fault->latency = *latency;
  if (auto d = t.Read(kFaultJitter)) {
    fault->jitter = *d;
    if (latency && *d > *latency) {  // with a ramp: checked against it below
      r.Error(t.At(kFaultJitter), t.Path(kFaultJitter),
              "jitter " + FormatDuration(*d) + " is larger than latency " +
                  FormatDuration(*latency));
    }
  }
  if (auto v = ReadMain(r, t, kFaultRate, main == M::kRate, has_ramp)) fault->rate = *v;
  if (auto v = ReadMain(r, t, kFaultDelay, main == M::kDelay, has_ramp)) fault->delay = *v;
  if (auto v = ReadMain(r, t, kFaultTimeout, main == M::kTimeout, has_ramp)) fault->timeout = *v;
  if (auto v = ReadMain(r, t, kFaultBytes, main == M::kBytes, has_ramp)) fault->bytes = *v;
  const std::optional<uint64_t> size = t.Read(kFaultSize);
  if (size && *size == 0) {
    r.Error(t.At(kFaultSize), t.Path(kFaultSize), "must be at least 1 byte, got 0");
  } else if (size) {
    fault->size = *size;
  }
  if (auto v = t.Read(kFaultSizeVariation)) {
    fault->size_variation = *v;
    if (size && *size > 0 && *v >= *size) {
      r.Error(t.At(kFaultSizeVariation), t.Path(kFaultSizeVariation),
              "size_variation " + std::to_string(*v) + " must be less than size " +
                  std::to_string(*size));
    }
  }

  if (has_ramp) {
    if (const toml::table* rt = SubTable(r, *ramp, t.Path(kFaultRamp))) {
      ReadRamp(r, *rt, t.Path(kFaultRamp), fault);
    }
    if (fault->ramp && t.Get(kFaultJitter)) {
      const Duration least(std::min(fault->ramp->from, fault->ramp->to));
      if (fault->jitter > least) {
        r.Error(t.At(kFaultJitter), t.Path(kFaultJitter),
                "jitter " + FormatDuration(fault->jitter) + " is larger than the ramp's latency " +
                    FormatDuration(least));
      }
    }
  }
  if (flap) {
    if (const toml::table* ft = SubTable(r, *flap, t.Path(kFaultFlap))) {
      ReadFlap(r, *ft, t.Path(kFaultFlap), fault);
    }
  }
  ReadHttpKeys(r, t, fault);
}

void FaultNames::Add(const FaultSpec& fault, const TableView& t, const std::string& proxy) {
  using namespace keys;
  if (fault.name.empty()) return;  // a default name is made unique by NameFaults
  auto [it, added] = seen_.emplace(std::pair{proxy, fault.name}, t.path());
  if (added) return;
  r_.Error(t.At(kFaultName), t.Path(kFaultName),
           "fault name " + Quote(fault.name) + " is already used on " + proxy + " by " +
               it->second + ": give one of them a distinct `name`");
}

}  // namespace faultline
