// Fuzz target: the control API of `faultline proxy` (Toxiproxy's HTTP API),
// as a whole and in-process: ToxiproxyApi::Handle, the function ApiServer
// calls for every request (method, path, body, User-Agent in; status and
// JSON body out), over one ProxyRegistry per input. No HTTP server and no
// client socket: the only sockets are the listeners of the proxies the
// requests create, which the registry binds for real.
//
// Input: a sequence of requests separated by the byte 0x1E (ASCII record
// separator), all sent to the same registry, so creation, update, populate,
// reset, toxics and deletion interleave. Each request is
//   METHOD PATH\n
//   [User-Agent: AGENT\n]
//   BODY
// (the path is everything after the first space; no newline: no body). At
// most kMaxRequests requests per input are sent.
//
// Loopback only: before a body is sent, every "listen" and "upstream" that
// is a host:port (ParseAddress, as the registry reads it) is rewritten:
// a listen of port 0 becomes 127.0.0.1:0; another port P becomes
// 127.0.0.1 on one of the n ports this input's proxies have bound so far,
// the (P mod (n+1))-th, or 127.0.0.1:0 when that is n, so the "unchanged
// listen", "same port again" and "address in use" paths run without a
// fixed port; an upstream
// becomes 127.0.0.1:1 or 127.0.0.1:9 (closed ports; nothing connects to the
// proxies anyway). Addresses that do not parse are sent as they are (the
// registry refuses them before binding). /populate arrays are cut to
// kMaxPopulate proxies.
//
// Contracts checked: Handle never throws; every status is one the API
// documents; a 204 has an empty body and every other answer is JSON; an
// answer of 400 or more is {"error": "<non-empty>", "status": <the HTTP
// status>}; a successful GET /proxies (the input's own, and one after the
// last request) lists exactly the proxies created and not deleted (a model
// kept from the answers), each keyed by its name, listening on 127.0.0.1
// and sending to one of the two upstreams above. Everything is closed at
// the end of each input: the lowest free file descriptor is the same after
// as before (a leaked socket would take it).
//
// FUZZ_TRACE=1 in the environment prints every request and its answer (to
// read a reproducer: FUZZ_TRACE=1 build/bin/fuzz_control_api crash-file).

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "harness/common/asio.h"
#include "harness/common/clock.h"
#include "harness/proxyd/address.h"
#include "harness/proxyd/registry.h"
#include "harness/proxyd/toxiproxy_api.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

using nlohmann::json;
namespace fl = faultline;

constexpr size_t kMaxRequests = 48;
constexpr size_t kMaxPopulate = 16;
constexpr char kSeparator = '\x1e';
const char* const kUpstreams[] = {"127.0.0.1:1", "127.0.0.1:9"};

// The path's segments, as the API splits it (empty ones skipped).
std::vector<std::string> Segments(std::string_view path) {
  std::vector<std::string> parts;
  size_t i = 0;
  while (i <= path.size()) {
    const size_t j = std::min(path.find('/', i), path.size());
    if (j > i) parts.emplace_back(path.substr(i, j - i));
    i = j + 1;
  }
  return parts;
}

int LowestFreeFd() {
  const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  FUZZ_CHECK(fd >= 0);
  ::close(fd);
  return fd;
}

fl::ApiRequest ReadRequest(std::string_view text) {
  fl::ApiRequest r;
  const size_t eol = text.find('\n');
  std::string_view line = text.substr(0, eol);
  text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
  const size_t space = line.find(' ');
  r.method = std::string(line.substr(0, space));
  if (space != std::string_view::npos) r.path = std::string(line.substr(space + 1));
  constexpr std::string_view kAgent = "User-Agent: ";
  if (text.starts_with(kAgent)) {
    const size_t end = text.find('\n');
    r.user_agent = std::string(text.substr(kAgent.size(), end - kAgent.size()));
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
  }
  r.body = std::string(text);
  return r;
}

// The ports this input's proxies have bound, to reuse in rewritten listens.
struct Ports {
  std::vector<uint16_t> bound;
  void Note(const json& proxy) {
    if (!proxy.is_object() || !proxy.contains("listen") || !proxy["listen"].is_string()) return;
    auto a = fl::ParseAddress(proxy["listen"].get<std::string>());
    if (a.ok() && a->port != 0) bound.push_back(a->port);
  }
};

// Rewrites the addresses of one proxy object; true when it changed.
bool RewriteProxy(json& o, const Ports& ports) {
  if (!o.is_object()) return false;
  bool changed = false;
  for (const char* key : {"listen", "upstream"}) {
    auto it = o.find(key);
    if (it == o.end() || !it->is_string()) continue;
    auto a = fl::ParseAddress(it->get<std::string>());
    if (!a.ok()) continue;
    std::string to;
    if (std::string_view(key) == "upstream") {
      to = kUpstreams[a->port % 2];
    } else if (const size_t pick = a->port % (ports.bound.size() + 1);
               a->port == 0 || pick == ports.bound.size()) {
      to = "127.0.0.1:0";
    } else {
      to = "127.0.0.1:" + std::to_string(ports.bound[pick]);
    }
    *it = to;
    changed = true;
  }
  return changed;
}

// The body with its addresses rewritten (see the header); as it was when
// it is no JSON or has nothing to rewrite.
std::string RewriteBody(const fl::ApiRequest& r, const Ports& ports) {
  json body = json::parse(r.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) return r.body;
  bool changed = false;
  if (body.is_array()) {
    if (body.size() > kMaxPopulate) {
      body.erase(body.begin() + kMaxPopulate, body.end());
      changed = true;
    }
    for (auto& item : body) changed |= RewriteProxy(item, ports);
  } else {
    changed = RewriteProxy(body, ports);
  }
  return changed ? body.dump() : r.body;
}

void CheckProxyList(const json& all, const std::set<std::string>& model) {
  FUZZ_CHECK(all.is_object());
  std::set<std::string> listed;
  for (const auto& [name, p] : all.items()) {
    listed.insert(name);
    FUZZ_CHECK(p.is_object() && p.value("name", std::string("\x01")) == name);
    const std::string listen = p.value("listen", std::string());
    FUZZ_CHECK(listen.starts_with("127.0.0.1:"));
    const std::string upstream = p.value("upstream", std::string());
    FUZZ_CHECK(upstream == kUpstreams[0] || upstream == kUpstreams[1]);
    FUZZ_CHECK(p.contains("toxics") && p["toxics"].is_array());
  }
  FUZZ_CHECK(listed == model);
}

// Sends one request and checks the answer's shape; the answer's JSON (null
// for a 204).
json Send(fl::ToxiproxyApi& api, const fl::ApiRequest& r, int* status) {
  fl::ApiResponse a = api.Handle(r);
  *status = a.status;
  static const bool trace = std::getenv("FUZZ_TRACE") != nullptr;
  if (trace) {
    std::fprintf(stderr, "%s %s %s -> %d %s\n", r.method.c_str(), r.path.c_str(), r.body.c_str(),
                 a.status, a.body.c_str());
  }
  static const std::set<int> kKnown = {200, 201, 204, 400, 403, 404, 405, 409, 500};
  FUZZ_CHECK(kKnown.count(a.status) == 1);
  if (a.status == 204) {
    FUZZ_CHECK(a.body.empty());
    return json();
  }
  json body = json::parse(a.body, nullptr, /*allow_exceptions=*/false);
  FUZZ_CHECK(!body.is_discarded());
  if (a.status >= 400) {
    FUZZ_CHECK(body.is_object() && body.size() == 2);
    FUZZ_CHECK(body.contains("error") && body["error"].is_string());
    FUZZ_CHECK(!body["error"].get<std::string>().empty());
    FUZZ_CHECK(body.contains("status") && body["status"] == a.status);
  }
  return body;
}

void RunInput(std::string_view input) {
  fl::asio::io_context io;
  fl::ManualClock clock;
  fl::ProxyRegistry registry(
      io, clock, [](const std::string&) { return uint64_t{1}; }, nullptr);
  fl::ToxiproxyApi api(registry, "fuzz");
  std::set<std::string> model;  // the proxies created and not deleted
  Ports ports;

  size_t sent = 0;
  while (!input.empty() && sent < kMaxRequests) {
    const size_t sep = input.find(kSeparator);
    fl::ApiRequest r = ReadRequest(input.substr(0, sep));
    input = sep == std::string_view::npos ? std::string_view() : input.substr(sep + 1);
    r.body = RewriteBody(r, ports);
    ++sent;

    int status = 0;
    const json answer = Send(api, r, &status);
    const bool browser = r.user_agent.starts_with("Mozilla/");
    FUZZ_CHECK(browser == (status == 403));
    if (status >= 300) {
      // A failed populate may have replaced some proxies before the one it
      // could not bind (registry.h): take the registry's word for it.
      const std::vector<std::string> route = Segments(r.path);
      if (status == 500 && route.size() == 1 && route[0] == "populate") {
        model.clear();
        for (const auto& p : registry.List()) model.insert(p.settings.name);
      }
      continue;
    }
    const std::vector<std::string> route = Segments(r.path);
    const bool proxies = route.size() == 1 && route[0] == "proxies";
    const bool one_proxy = route.size() == 2 && route[0] == "proxies";
    if (proxies && r.method == "GET") CheckProxyList(answer, model);
    if (proxies && status == 201) {
      FUZZ_CHECK(model.insert(answer.at("name").get<std::string>()).second);
      ports.Note(answer);
    }
    if (route.size() == 1 && route[0] == "populate") {
      FUZZ_CHECK(status == 201);
      for (const auto& p : answer.at("proxies")) {
        model.insert(p.at("name").get<std::string>());
        ports.Note(p);
      }
    }
    if (one_proxy && status == 200) {
      FUZZ_CHECK(model.count(route[1]) == 1 && answer.at("name") == route[1]);
      ports.Note(answer);
    }
    if (one_proxy && status == 204) FUZZ_CHECK(model.erase(route[1]) == 1);
  }

  int status = 0;
  const json all = Send(api, {"GET", "/proxies", "", ""}, &status);
  FUZZ_CHECK(status == 200);
  CheckProxyList(all, model);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const int lowest_free = LowestFreeFd();
  RunInput(std::string_view(reinterpret_cast<const char*>(data), size));
  FUZZ_CHECK(LowestFreeFd() == lowest_free);
  return 0;
}
