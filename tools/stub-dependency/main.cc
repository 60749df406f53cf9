// stub-dependency --port N [--latency 0ms] [--status 200] [--body-size 64B]
// See stub_dependency.h.
#include <signal.h>

#include <CLI/CLI.hpp>
#include <boost/system/system_error.hpp>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <optional>
#include <string>

#include "harness/common/asio.h"
#include "harness/common/units.h"
#include "tools/stub-dependency/stub_dependency.h"

namespace {

// Every answer shares one body held in memory; past this it is surely a typo.
constexpr uint64_t kMaxBodySize = uint64_t{1} << 30;

int Usage(const CLI::App& app, const std::string& problem) {
  std::cerr << "stub-dependency: " << problem << "\n\n" << app.help();
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"stub-dependency: answers every request with a set status, latency and body size"};
  int port = 0;
  std::string latency_text = "0ms", body_size_text = "64B";
  faultline::stub::Options options;
  app.add_option("--port", port, "port to listen on, 127.0.0.1 only (0: any free port)")
      ->required()
      ->check(CLI::Range(0, 65535));
  app.add_option("--latency", latency_text, "wait before each answer")->capture_default_str();
  app.add_option("--status", options.status, "HTTP status of each answer")
      ->capture_default_str()
      ->check(CLI::Range(100, 599));
  app.add_option("--body-size", body_size_text, "body bytes of each answer")->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return Usage(app, e.what());
  }

  std::string error;
  const auto latency = faultline::ParseDuration(latency_text, &error);
  if (!latency) return Usage(app, "--latency: " + error);
  options.latency = *latency;
  const auto body_size = faultline::ParseSize(body_size_text, &error);
  if (!body_size) return Usage(app, "--body-size: " + error);
  if (*body_size > kMaxBodySize) return Usage(app, "--body-size: at most 1GiB");
  options.body_size = *body_size;

  // A client that hangs up mid-answer costs an error, not the process.
  signal(SIGPIPE, SIG_IGN);
  faultline::asio::io_context io(1);
  std::optional<faultline::stub::StubServer> server;
  try {
    server.emplace(io, options, static_cast<uint16_t>(port));
  } catch (const boost::system::system_error& e) {
    std::fprintf(stderr, "stub-dependency: cannot listen on 127.0.0.1:%d: %s\n", port,
                 e.code().message().c_str());
    return 1;
  }
  // SIGTERM/SIGINT end it at once, even with answers still waiting on their
  // latency: nothing is left to finish for a stand-in.
  faultline::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&io](const boost::system::error_code& ec, int) {
    if (!ec) io.stop();
  });
  std::printf("stub-dependency listening on 127.0.0.1:%d\n", server->port());
  std::fflush(stdout);
  io.run();
  return 0;
}
