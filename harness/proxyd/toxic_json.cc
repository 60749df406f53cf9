#include "harness/proxyd/toxic_json.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <string>
#include <vector>

#include "harness/common/text.h"

namespace faultline {
namespace {

using nlohmann::json;
using Kind = ProxyFault::Kind;

// One attribute of one toxic type: its name in Toxiproxy, the ProxyFault
// field behind it (a duration or a count) and the unit it is written in.
struct Attribute {
  Kind kind;
  const char* name;
  Duration ProxyFault::*duration = nullptr;  // with `unit` per JSON unit
  uint64_t ProxyFault::*count = nullptr;     // with `scale` per JSON unit
  Duration unit{0};
  uint64_t scale = 1;
};

// The largest attribute: kMaxDurationNs ns (the longest duration faultline
// takes) or as many bytes, in the attribute's unit. Exact as a double.
constexpr double kMaxAttribute = static_cast<double>(kMaxDurationNs);

constexpr Duration kMs = std::chrono::milliseconds(1);
constexpr Duration kUs = std::chrono::microseconds(1);

const std::vector<Attribute>& Attributes() {
  static const std::vector<Attribute> table = {
      {Kind::kLatency, "latency", &ProxyFault::latency, nullptr, kMs},
      {Kind::kLatency, "jitter", &ProxyFault::jitter, nullptr, kMs},
      {Kind::kBandwidth, "rate", nullptr, &ProxyFault::bytes_per_second, {}, 1000},
      {Kind::kSlowClose, "delay", &ProxyFault::delay, nullptr, kMs},
      {Kind::kTimeout, "timeout", &ProxyFault::timeout, nullptr, kMs},
      {Kind::kResetPeer, "timeout", &ProxyFault::timeout, nullptr, kMs},
      {Kind::kSlicer, "average_size", nullptr, &ProxyFault::slice_bytes},
      {Kind::kSlicer, "size_variation", nullptr, &ProxyFault::slice_variation},
      {Kind::kSlicer, "delay", &ProxyFault::delay, nullptr, kUs},
      {Kind::kLimitData, "bytes", nullptr, &ProxyFault::bytes},
  };
  return table;
}

std::vector<std::string> AttributeNames(Kind kind) {
  std::vector<std::string> names;
  for (const auto& a : Attributes())
    if (a.kind == kind) names.push_back(a.name);
  return names;
}

// Sets the attributes named in `attrs` on `f`.
ApiFailure SetAttributes(ProxyFault& f, const json& attrs) {
  if (!attrs.is_object()) return BadRequestBody("attributes: expected a JSON object");
  for (const auto& [key, value] : attrs.items()) {
    const auto& table = Attributes();
    const std::string& wanted = key;  // clang 14 cannot capture a structured binding
    auto it = std::find_if(table.begin(), table.end(), [&](const Attribute& a) {
      return a.kind == f.kind && wanted == a.name;
    });
    const std::string where = "attributes." + key;
    if (it == table.end() && IsHttpKind(f.kind)) {
      return BadRequestBody(where + ": the attributes of an HTTP fault (" +
                            std::string(KindName(f.kind)) +
                            ") are set in the proxy's --config file; over the API only its "
                            "toxicity changes");
    }
    if (it == table.end()) {
      auto names = AttributeNames(f.kind);
      return BadRequestBody(where + ": not an attribute of a " + std::string(KindName(f.kind)) +
                            " toxic" +
                            (names.empty() ? std::string(" (it has none)")
                                           : " (it has " + OneOf(names) + ")" +
                                                 DidYouMean(key, names)));
    }
    if (!value.is_number() || value.get<double>() < 0 || !std::isfinite(value.get<double>()))
      return BadRequestBody(where + ": expected a number >= 0, got " + value.dump());
    const double v = value.get<double>();
    const double per_unit = static_cast<double>(it->duration ? it->unit.count() : it->scale);
    const double max = kMaxAttribute / per_unit;
    if (v > max) {
      return BadRequestBody(where + ": expected a number from 0 to " +
                            std::to_string(static_cast<int64_t>(max)) + ", got " + value.dump());
    }
    if (it->duration) {
      f.*(it->duration) = std::chrono::duration_cast<Duration>(
          std::chrono::duration<double, std::nano>(v * static_cast<double>(it->unit.count())));
    } else {
      f.*(it->count) = static_cast<uint64_t>(std::llround(v * static_cast<double>(it->scale)));
    }
  }
  return std::nullopt;
}

ApiFailure SetToxicity(ProxyFault& f, const json& body) {
  auto it = body.find("toxicity");
  if (it == body.end() || it->is_null()) return std::nullopt;
  if (!it->is_number() || it->get<double>() < 0 || it->get<double>() > 1)
    return BadRequestBody("toxicity: expected a number from 0 to 1, got " + it->dump());
  f.fraction = it->get<double>();
  return std::nullopt;
}

// The string at body[key], "" when absent or null; a 400 when not a string.
ApiResult<std::string> StringField(const json& body, const char* key) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return std::string();
  if (!it->is_string()) return BadRequestBody(std::string(key) + ": expected a string");
  return it->get<std::string>();
}

json Number(double v) {
  if (v == std::floor(v) && std::abs(v) < 9e15) return json(static_cast<int64_t>(v));
  return json(v);
}

}  // namespace

const char* StreamName(ProxyFault::Direction d) {
  switch (d) {
    case ProxyFault::Direction::kUpstream: return "upstream";
    case ProxyFault::Direction::kDownstream: return "downstream";
    case ProxyFault::Direction::kBoth: return "both";
  }
  return "downstream";
}

ApiResult<ProxyFault> ToxicFromJson(const json& body) {
  if (!body.is_object()) return BadRequestBody("expected a JSON object");
  ApiResult<std::string> name = StringField(body, "name");
  ApiResult<std::string> type = StringField(body, "type");
  ApiResult<std::string> stream = StringField(body, "stream");
  for (const auto* field : {&name, &type, &stream})
    if (!field->ok()) return field->error();

  ProxyFault f;
  std::string s = stream->empty() ? "downstream" : *stream;
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  if (s == "upstream") {
    f.direction = ProxyFault::Direction::kUpstream;
  } else if (s == "downstream") {
    f.direction = ProxyFault::Direction::kDownstream;
  } else if (s == "both") {
    f.direction = ProxyFault::Direction::kBoth;
  } else {
    return BadRequest("stream was invalid, can be either upstream or downstream");
  }
  std::optional<Kind> kind = KindFromName(*type);
  // The HTTP faults need an HTTP-aware proxy, which the control API does not set up.
  if (!kind || IsHttpKind(*kind)) return BadRequest("invalid toxic type");
  f.kind = *kind;
  f.name = name->empty() ? *type + "_" + s : *name;
  if (ApiFailure e = SetToxicity(f, body)) return *e;
  if (auto attrs = body.find("attributes"); attrs != body.end() && !attrs->is_null())
    if (ApiFailure e = SetAttributes(f, *attrs)) return *e;
  return f;
}

ApiResult<ProxyFault> UpdatedToxic(const ProxyFault& toxic, const json& body) {
  if (!body.is_object()) return BadRequestBody("expected a JSON object");
  ProxyFault f = toxic;
  if (ApiFailure e = SetToxicity(f, body)) return *e;
  if (auto attrs = body.find("attributes"); attrs != body.end() && !attrs->is_null())
    if (ApiFailure e = SetAttributes(f, *attrs)) return *e;
  return f;
}

json ToxicToJson(const ProxyFault& f) {
  json attributes = json::object();
  for (const auto& a : Attributes()) {
    if (a.kind != f.kind) continue;
    if (a.duration) {
      attributes[a.name] = Number(static_cast<double>((f.*(a.duration)).count()) /
                                  static_cast<double>(a.unit.count()));
    } else {
      attributes[a.name] =
          Number(static_cast<double>(f.*(a.count)) / static_cast<double>(a.scale));
    }
  }
  // The HTTP faults (a proxy file's, on a protocol = "http" proxy): shown
  // with the proxy file's keys and units; the API does not create them.
  switch (f.kind) {
    case Kind::kAbort:
      attributes["status"] = f.status;
      attributes["body"] = f.body;
      break;
    case Kind::kDelay:
      attributes["delay"] = Number(static_cast<double>(f.delay.count()) / kMs.count());
      attributes["on"] = f.on_response ? "response" : "request";
      break;
    case Kind::kSlowBody:
      attributes["rate"] = Number(static_cast<double>(f.bytes_per_second) / 1000);
      break;
    default:
      break;
  }
  if (IsHttpKind(f.kind) && f.match != ProxyFault::Match{}) {
    json match = json::object();
    if (!f.match.method.empty()) match["method"] = f.match.method;
    if (!f.match.path_prefix.empty()) match["path_prefix"] = f.match.path_prefix;
    if (!f.match.headers.empty()) match["headers"] = f.match.headers;
    attributes["match"] = std::move(match);
  }
  return json{{"name", f.name.empty() ? std::string(KindName(f.kind)) : f.name},
              {"type", std::string(KindName(f.kind))},
              {"stream", StreamName(f.direction)},
              {"toxicity", f.fraction},
              {"attributes", std::move(attributes)}};
}

}  // namespace faultline
