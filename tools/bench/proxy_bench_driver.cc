// proxy_bench_driver: faultline's fault proxy alone, for tools/bench/proxy.sh
// while `faultline proxy` does not exist (or to measure the bare proxy
// without the product's API around it). One FaultProxy on one io_context
// with an AsioClock, listening on 127.0.0.1:--port (0 = any free port) in
// front of 127.0.0.1:--upstream-port, with at most one fault:
//   --latency 10ms      downstream latency (dependency -> client)
//   --bandwidth 1000000 downstream bytes per second
// Prints "proxy_bench_driver: listening on 127.0.0.1:<port>" on stdout once
// it accepts, then runs until SIGTERM or SIGINT and exits 0 after closing
// every socket. Exit 2 on bad arguments or a failed bind (message on stderr),
// and on --bandwidth when this build's proxy has no bandwidth stage
// (FAULTLINE_PROXY_HAS_BANDWIDTH, set by tools/bench/CMakeLists.txt), so
// proxy.sh never reports a figure for a fault the proxy ignores.
#include <csignal>
#include <cstdio>
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

  std::vector<ProxyFault> faults;
  if (!latency_text.empty()) {
    std::string error;
    const auto latency = ParseDuration(latency_text, &error);
    if (!latency) {
      std::fprintf(stderr, "proxy_bench_driver: --latency \"%s\": %s\n", latency_text.c_str(),
                   error.c_str());
      return 2;
    }
    ProxyFault& f = faults.emplace_back();
    f.kind = ProxyFault::Kind::kLatency;
    f.latency = *latency;
    f.direction = ProxyFault::Direction::kDownstream;
  }
  if (bandwidth > 0) {
#ifdef FAULTLINE_PROXY_HAS_BANDWIDTH
    ProxyFault& f = faults.emplace_back();
    f.kind = ProxyFault::Kind::kBandwidth;
    f.bytes_per_second = bandwidth;
    f.direction = ProxyFault::Direction::kDownstream;
#else
    std::fprintf(stderr, "proxy_bench_driver: --bandwidth: the proxy has no bandwidth stage in "
                         "this build\n");
    return 2;
#endif
  }

  asio::io_context io(1);  // one thread, like `faultline proxy`
  AsioClock clock(io);
  FaultProxy proxy(io, clock, "bench", "127.0.0.1", static_cast<uint16_t>(upstream_port), 1);
  if (const Status s = proxy.Listen("127.0.0.1", static_cast<uint16_t>(port)); !s.ok()) {
    std::fprintf(stderr, "proxy_bench_driver: %s\n", s.message().c_str());
    return 2;
  }
  proxy.SetFaults(std::move(faults));
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
