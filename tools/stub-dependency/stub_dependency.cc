#include "tools/stub-dependency/stub_dependency.h"

#include <memory>
#include <string>
#include <thread>

namespace faultline::stub {

void RegisterRoutes(httplib::Server& server, const Options& options) {
  server.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok", "text/plain");
  });

  // Built once; every answer shares it.
  auto body = std::make_shared<const std::string>(options.body_size, 'x');
  auto answer = [options, body](const httplib::Request&, httplib::Response& res) {
    if (options.latency > Duration::zero()) std::this_thread::sleep_for(options.latency);
    res.status = options.status;
    res.set_content(*body, "text/plain");
  };
  const char* const kAnyPath = ".*";
  server.Get(kAnyPath, answer);  // also serves HEAD
  server.Post(kAnyPath, answer);
  server.Put(kAnyPath, answer);
  server.Patch(kAnyPath, answer);
  server.Delete(kAnyPath, answer);
  server.Options(kAnyPath, answer);
}

}  // namespace faultline::stub
