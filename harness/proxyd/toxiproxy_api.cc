#include "harness/proxyd/toxiproxy_api.h"

#include <nlohmann/json.hpp>

#include <string_view>
#include <utility>
#include <vector>

#include "harness/proxyd/toxic_json.h"

namespace faultline {
namespace {

using nlohmann::json;

// Invalid UTF-8 (a JSON parse error quotes the bytes it read) becomes
// U+FFFD instead of an exception that would end the process.
ApiResponse Json(int status, const json& body) {
  return {status, body.dump(-1, ' ', false, json::error_handler_t::replace)};
}
ApiResponse Error(const ApiError& e) {
  return Json(e.status, json{{"error", e.message}, {"status", e.status}});
}
ApiResponse NoContent() { return {204, ""}; }
const ApiError kMethodNotAllowed{405, "method not allowed"};
// Toxiproxy takes POST as well as PATCH for an update.
bool IsUpdate(const std::string& method) { return method == "POST" || method == "PATCH"; }

json ProxyToJson(const ProxyState& p) {
  json toxics = json::array();
  for (const auto& t : p.toxics) toxics.push_back(ToxicToJson(t));
  json out{{"name", p.settings.name},
           {"listen", p.settings.listen},
           {"upstream", p.settings.upstream},
           {"enabled", p.settings.enabled},
           {"toxics", std::move(toxics)}};
  if (p.requests) {  // faultline's own field, on http proxies only
    out["requests"] = {{"answered", p.requests->answered},
                       {"abandoned", p.requests->abandoned},
                       {"fault", p.requests->fault},
                       {"open", p.requests->in_flight}};
  }
  return out;
}

template <typename T, typename Render>
ApiResponse Answer(int status, const ApiResult<T>& r, Render render) {
  return r.ok() ? Json(status, render(*r)) : Error(r.error());
}

ApiResponse Done(const ApiFailure& f) { return f ? Error(*f) : NoContent(); }

ApiResult<json> ParseBody(const std::string& body) {
  try {
    return json::parse(body);
  } catch (const json::parse_error& e) {
    std::string what = e.what();  // "[json.exception.parse_error.101] parse error at ..."
    if (size_t end = what.find("] "); what.starts_with("[json.") && end != std::string::npos)
      what.erase(0, end + 2);
    return BadRequestBody(what);
  }
}

// A string or null (absent) field; 400 naming the field otherwise.
ApiResult<std::optional<std::string>> OptionalString(const json& o, const char* key) {
  auto it = o.find(key);
  if (it == o.end() || it->is_null()) return std::optional<std::string>();
  if (!it->is_string()) return BadRequestBody(std::string(key) + ": expected a string");
  return std::optional<std::string>(it->get<std::string>());
}

ApiResult<std::optional<bool>> OptionalBool(const json& o, const char* key) {
  auto it = o.find(key);
  if (it == o.end() || it->is_null()) return std::optional<bool>();
  if (!it->is_boolean()) return BadRequestBody(std::string(key) + ": expected true or false");
  return std::optional<bool>(it->get<bool>());
}

// The fields of a proxy object; absent ones unset.
ApiResult<ProxyPatch> ReadProxyFields(const json& o, std::string* name) {
  if (!o.is_object()) return BadRequestBody("expected a JSON object");
  ApiResult<std::optional<std::string>> n = OptionalString(o, "name");
  ApiResult<std::optional<std::string>> listen = OptionalString(o, "listen");
  ApiResult<std::optional<std::string>> upstream = OptionalString(o, "upstream");
  ApiResult<std::optional<bool>> enabled = OptionalBool(o, "enabled");
  for (const auto* f : {&n, &listen, &upstream})
    if (!f->ok()) return f->error();
  if (!enabled.ok()) return enabled.error();
  if (name) *name = n->value_or("");
  return ProxyPatch{*listen, *upstream, *enabled};
}

// A proxy to create: "enabled" absent or null means true, "listen" absent
// means 127.0.0.1:0.
ApiResult<ProxySettings> ReadNewProxy(const json& o) {
  ProxySettings s;
  ApiResult<ProxyPatch> fields = ReadProxyFields(o, &s.name);
  if (!fields.ok()) return fields.error();
  if (fields->listen && !fields->listen->empty()) s.listen = *fields->listen;
  s.upstream = fields->upstream.value_or("");
  s.enabled = fields->enabled.value_or(true);
  return s;
}

std::vector<std::string> Split(std::string_view path) {
  std::vector<std::string> parts;
  size_t i = 0;
  while (i < path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    if (j > i) parts.emplace_back(path.substr(i, j - i));
    i = j + 1;
  }
  return parts;
}

}  // namespace

ApiResponse ErrorResponse(const ApiError& e) { return Error(e); }

ToxiproxyApi::ToxiproxyApi(ProxyRegistry& registry, std::string version)
    : registry_(registry), version_(std::move(version)) {}

ApiResponse ToxiproxyApi::Handle(const ApiRequest& r) {
  if (r.user_agent.starts_with("Mozilla/")) return Error({403, "User agent not allowed"});
  const std::vector<std::string> p = Split(r.path);
  auto only = [&](const char* method, auto answer) {
    return r.method == method ? answer() : Error(kMethodNotAllowed);
  };
  if (p.size() == 1 && p[0] == "version")
    return only("GET", [&] { return Json(200, json{{"version", version_}}); });
  if (p.size() == 1 && p[0] == "reset")
    return only("POST", [&] { return Done(registry_.Reset()); });
  if (p.size() == 1 && p[0] == "populate") return only("POST", [&] { return Populate(r); });
  if (p.empty() || p[0] != "proxies" || p.size() > 4 || (p.size() >= 3 && p[2] != "toxics"))
    return Error({404, "not found"});
  switch (p.size()) {
    case 1: return Proxies(r);
    case 2: return Proxy(r, p[1]);
    case 3: return Toxics(r, p[1]);
    default: return Toxic(r, p[1], p[3]);
  }
}

ApiResponse ToxiproxyApi::Populate(const ApiRequest& r) {
  ApiResult<json> b = ParseBody(r.body);
  if (!b.ok()) return Error(b.error());
  if (!b->is_array()) return Error(BadRequestBody("expected a JSON array of proxies"));
  std::vector<ProxySettings> all;
  for (const auto& item : *b) {
    ApiResult<ProxySettings> s = ReadNewProxy(item);
    if (!s.ok()) return Error(s.error());
    all.push_back(*s);
  }
  return Answer(201, registry_.Populate(std::move(all)), [](const std::vector<ProxyState>& ps) {
    json list = json::array();
    for (const auto& s : ps) list.push_back(ProxyToJson(s));
    return json{{"proxies", std::move(list)}};
  });
}

ApiResponse ToxiproxyApi::Proxies(const ApiRequest& r) {
  if (r.method == "GET") {
    json all = json::object();
    for (const auto& s : registry_.List()) all[s.settings.name] = ProxyToJson(s);
    return Json(200, all);
  }
  if (r.method != "POST") return Error(kMethodNotAllowed);
  ApiResult<json> b = ParseBody(r.body);
  if (!b.ok()) return Error(b.error());
  ApiResult<ProxySettings> s = ReadNewProxy(*b);
  if (!s.ok()) return Error(s.error());
  return Answer(201, registry_.Create(*s), ProxyToJson);
}

ApiResponse ToxiproxyApi::Proxy(const ApiRequest& r, const std::string& proxy) {
  if (r.method == "GET") return Answer(200, registry_.Get(proxy), ProxyToJson);
  if (r.method == "DELETE") return Done(registry_.Delete(proxy));
  if (!IsUpdate(r.method)) return Error(kMethodNotAllowed);
  if (ApiResult<ProxyState> found = registry_.Get(proxy); !found.ok()) return Error(found.error());
  ApiResult<json> b = ParseBody(r.body);
  if (!b.ok()) return Error(b.error());
  ApiResult<ProxyPatch> patch = ReadProxyFields(*b, nullptr);
  if (!patch.ok()) return Error(patch.error());
  return Answer(200, registry_.Update(proxy, *patch), ProxyToJson);
}

ApiResponse ToxiproxyApi::Toxics(const ApiRequest& r, const std::string& proxy) {
  if (r.method == "GET") {
    return Answer(200, registry_.Toxics(proxy), [](const std::vector<ProxyFault>& ts) {
      json list = json::array();
      for (const auto& t : ts) list.push_back(ToxicToJson(t));
      return list;
    });
  }
  if (r.method != "POST") return Error(kMethodNotAllowed);
  if (ApiResult<ProxyState> found = registry_.Get(proxy); !found.ok()) return Error(found.error());
  ApiResult<json> b = ParseBody(r.body);
  if (!b.ok()) return Error(b.error());
  ApiResult<ProxyFault> toxic = ToxicFromJson(*b);
  if (!toxic.ok()) return Error(toxic.error());
  return Answer(200, registry_.AddToxic(proxy, *toxic), ToxicToJson);
}

ApiResponse ToxiproxyApi::Toxic(const ApiRequest& r, const std::string& proxy,
                                const std::string& name) {
  if (r.method == "GET") return Answer(200, registry_.GetToxic(proxy, name), ToxicToJson);
  if (r.method == "DELETE") return Done(registry_.RemoveToxic(proxy, name));
  if (!IsUpdate(r.method)) return Error(kMethodNotAllowed);
  ApiResult<ProxyFault> current = registry_.GetToxic(proxy, name);
  if (!current.ok()) return Error(current.error());
  ApiResult<json> b = ParseBody(r.body);
  if (!b.ok()) return Error(b.error());
  ApiResult<ProxyFault> updated = UpdatedToxic(*current, *b);
  if (!updated.ok()) return Error(updated.error());
  return Answer(200, registry_.ReplaceToxic(proxy, *updated), ToxicToJson);
}

}  // namespace faultline
