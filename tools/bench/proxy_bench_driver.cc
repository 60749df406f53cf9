// proxy_bench_driver: faultline's fault proxy alone, for tools/bench/proxy.sh
// while `faultline proxy` does not exist (or to measure the bare proxy
// without the product's API around it). One FaultProxy on one io_context
// with an AsioClock, listening on 127.0.0.1:--port (0 = any free port) in
// front of 127.0.0.1:--upstream-port, with at most one fault:
//   --latency 10ms      downstream latency (dependency -> client)
//   --bandwidth 1000000 downstream bytes per second
// Prints "proxy_bench_driver: listening on 127.0.0.1:<port>" on stdout once
// it accepts, then runs until SIGTERM or SIGINT and exits 0 after closing
// every socket. Exit 2 on bad arguments or a failed bind (message on stderr).
#include <csignal>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "harness/common/asio.h"
#include "harness/common/clock.h"
#include "harness/common/units.h"
#include "harness/proxy/proxy.h"

using namespace faultline;

int main(int argc, char** argv) {
  CLI::App app{"proxy_bench_driver: faultline's fault proxy alone, until SIGTERM"};
  int port = 0, upstream_port = 0;
  std::string latency_text;
  uint64_t bandwidth = 0;
  app.add_option("--port", port, "listen port on 127.0.0.1 (0 = any free port)");
  app.add_option("--upstream-port", upstream_port, "the dependency's port on 127.0.0.1")->required();
  app.add_option("--latency", latency_text, "downstream latency, e.g. 10ms");
  app.add_option("--bandwidth", bandwidth, "downstream bytes per second");
  CLI11_PARSE(app, argc, argv);

  std::optional<ProxyFault> fault;
  if (!latency_text.empty()) {
    std::string error;
    const auto latency = ParseDuration(latency_text, &error);
    if (!latency) {
      std::fprintf(stderr, "proxy_bench_driver: --latency \"%s\": %s\n", latency_text.c_str(),
                   error.c_str());
      return 2;
    }
    fault = ProxyFault{};
    fault->kind = ProxyFault::Kind::kLatency;
    fault->latency = *latency;
    fault->direction = ProxyFault::Direction::kDownstream;
  }
  if (bandwidth > 0) {
    std::fprintf(stderr, "proxy_bench_driver: --bandwidth: not available in this build\n");
    return 2;
  }

  asio::io_context io;
  AsioClock clock(io);
  FaultProxy proxy(io, clock, "bench", static_cast<uint16_t>(upstream_port), 1);
  if (const Status s = proxy.Listen(static_cast<uint16_t>(port)); !s.ok()) {
    std::fprintf(stderr, "proxy_bench_driver: %s\n", s.message().c_str());
    return 2;
  }
  proxy.SetFault(fault);
  asio::signal_set signals(io, SIGTERM, SIGINT);
  signals.async_wait([&](boost::system::error_code, int) {
    proxy.Close();
    io.stop();
  });
  std::printf("proxy_bench_driver: listening on 127.0.0.1:%u\n", proxy.port());
  std::fflush(stdout);
  io.run();
  return 0;
}
