// ToxiproxyApi: Toxiproxy's HTTP control API over a ProxyRegistry, as a
// function from a request to a response, so that it is tested without a
// server; ApiServer (api_server.h) puts it behind HTTP.
//
// Routes (JSON in and out; errors are {"error": "...", "status": N}):
//   GET    /proxies                      200 {name: proxy, ...}
//   POST   /proxies                      201 proxy (409, 400, 500)
//   POST   /populate                     201 {"proxies": [proxy, ...]}
//   GET    /proxies/{p}                  200 proxy (404)
//   POST|PATCH /proxies/{p}              200 proxy: fields merged
//   DELETE /proxies/{p}                  204
//   GET    /proxies/{p}/toxics           200 [toxic, ...]
//   POST   /proxies/{p}/toxics           200 toxic (toxic_json.h for defaults)
//   GET    /proxies/{p}/toxics/{t}       200 toxic (404)
//   POST|PATCH /proxies/{p}/toxics/{t}   200 toxic: attributes and toxicity merged
//   DELETE /proxies/{p}/toxics/{t}       204
//   POST   /reset                        204: every proxy enabled, no toxics
//   GET    /version                      200 {"version": "..."}
// A proxy is {"name", "listen", "upstream", "enabled", "toxics": [...]}.
// Any request whose User-Agent starts with "Mozilla/" gets 403, as in
// Toxiproxy (a web page must not drive the proxies of a developer's machine).
// An unknown path is a 404, a known path with another method a 405.
//
// Single-threaded, like the registry: call Handle on the registry's thread.
#pragma once

#include <string>

#include "harness/proxyd/registry.h"

namespace faultline {

struct ApiRequest {
  std::string method;      // "GET", "POST", ...
  std::string path;        // "/proxies/redis/toxics", no query string
  std::string body;
  std::string user_agent;
};

struct ApiResponse {
  int status = 200;
  std::string body;  // JSON; empty for 204
};

/// `e` as the API answers it: {"error": message, "status": status}.
ApiResponse ErrorResponse(const ApiError& e);

class ToxiproxyApi {
 public:
  /// `registry` must outlive the API. `version` is what GET /version shows.
  ToxiproxyApi(ProxyRegistry& registry, std::string version);

  ApiResponse Handle(const ApiRequest& request);

 private:
  ApiResponse Populate(const ApiRequest& r);                        // /populate
  ApiResponse Proxies(const ApiRequest& r);                         // /proxies
  ApiResponse Proxy(const ApiRequest& r, const std::string& proxy);  // /proxies/{p}
  ApiResponse Toxics(const ApiRequest& r, const std::string& proxy);
  ApiResponse Toxic(const ApiRequest& r, const std::string& proxy, const std::string& name);

  ProxyRegistry& registry_;
  std::string version_;
};

}  // namespace faultline
