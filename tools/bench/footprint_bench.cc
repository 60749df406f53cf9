// footprint_bench: faultline's memory per unit of load, measured in-process
// on its real parts, with the far side in separate holder processes (so the
// fds counted are faultline's own):
//
//   1. the load generator alone: N requests held in flight against a sink
//      that accepts and never answers, under a 20,000-fd limit;
//      heap and RSS growth / requests in flight.
//   2. the fault proxy: M idle client connections through it, each with its
//      upstream connection to the sink; heap and RSS growth / connections.
//
// Prints the figures and exits 1 when a goal is missed: at most 4 KiB per
// in-flight request and per idle proxied connection, and N held in flight.
// Run as root: the holders raise their own open-file limits past 20,000.
#include <malloc.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "harness/common/asio.h"
#include "harness/common/clock.h"
#include "harness/load/load_generator.h"
#include "harness/proxy/proxy.h"

using namespace faultline;
using namespace std::chrono_literals;

namespace {

constexpr double kGoalBytes = 4096;
constexpr rlim_t kMachineFdLimit = 20000;

void SetFdLimit(rlim_t soft, rlim_t hard) {
  rlimit lim{soft, hard};
  if (::setrlimit(RLIMIT_NOFILE, &lim) != 0) {
    ::getrlimit(RLIMIT_NOFILE, &lim);
    lim.rlim_cur = lim.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &lim);
  }
}

// Bytes the allocator has handed out, and the resident set.
struct Memory {
  double heap = 0;
  double rss = 0;
};
Memory Measure() {
  struct mallinfo2 mi = ::mallinfo2();
  Memory m;
  m.heap = static_cast<double>(mi.uordblks + mi.hblkhd);
  std::ifstream statm("/proc/self/statm");
  double size = 0, resident = 0;
  statm >> size >> resident;
  m.rss = resident * static_cast<double>(::sysconf(_SC_PAGESIZE));
  return m;
}

// A holder process: accepts on a port of its own and holds every connection
// (never reads, never answers); with `connect_port`, also opens `connections`
// connections to it and holds them. Reports "<port>\n" then, after the
// connects, "connected\n" on `report`. Runs until killed.
[[noreturn]] void Holder(int report, int read_connect_port, int connections) {
  SetFdLimit(200000, 200000);
  asio::io_context io;
  tcp::acceptor acceptor(io);
  acceptor.open(tcp::v4());
  acceptor.set_option(asio::socket_base::reuse_address(true));
  acceptor.bind(tcp::endpoint(asio::ip::address_v4::loopback(), 0));
  acceptor.listen(asio::socket_base::max_listen_connections);
  std::vector<std::unique_ptr<tcp::socket>> held;
  std::function<void()> accept = [&] {
    acceptor.async_accept([&](boost::system::error_code ec, tcp::socket s) {
      if (!ec) held.push_back(std::make_unique<tcp::socket>(std::move(s)));
      accept();
    });
  };
  accept();
  std::string line = std::to_string(acceptor.local_endpoint().port()) + "\n";
  (void)!::write(report, line.data(), line.size());
  if (read_connect_port >= 0) {
    char buf[16] = {};
    (void)!::read(read_connect_port, buf, sizeof buf - 1);
    const auto port = static_cast<uint16_t>(std::atoi(buf));
    for (int i = 0; i < connections; ++i) {
      auto s = std::make_unique<tcp::socket>(io);
      s->connect(tcp::endpoint(asio::ip::address_v4::loopback(), port));
      held.push_back(std::move(s));
    }
    (void)!::write(report, "connected\n", 10);
  }
  io.run();
  std::_Exit(0);
}

struct Child {
  pid_t pid = -1;
  int report = -1;      // read end: the holder's lines
  int connect_to = -1;  // write end: the port to connect to
};

Child StartHolder(int connections) {
  int report[2], port[2];
  if (::pipe(report) != 0 || ::pipe(port) != 0) std::exit(2);
  Child c;
  c.pid = ::fork();
  if (c.pid == 0) {
    ::close(report[0]);
    ::close(port[1]);
    Holder(report[1], connections > 0 ? port[0] : -1, connections);
  }
  ::close(report[1]);
  ::close(port[0]);
  c.report = report[0];
  c.connect_to = port[1];
  return c;
}

std::string ReadLine(int fd) {
  std::string s;
  char ch;
  while (::read(fd, &ch, 1) == 1 && ch != '\n') s += ch;
  return s;
}

bool RunUntil(asio::io_context& io, const std::function<bool()>& done, Duration limit) {
  const auto deadline = SteadyClock::now() + limit;
  while (!done() && SteadyClock::now() < deadline) io.run_for(10ms);
  return done();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"footprint_bench: bytes per in-flight request and per idle proxied connection"};
  int requests = 19000, connections = 5000;
  app.add_option("--requests", requests, "requests to hold in flight (load generator alone)");
  app.add_option("--connections", connections, "idle connections through the proxy");
  CLI11_PARSE(app, argc, argv);

  Child sink = StartHolder(0);
  const auto sink_port = static_cast<uint16_t>(std::stoi(ReadLine(sink.report)));
  Child clients = StartHolder(connections);  // its own listener stays unused
  ReadLine(clients.report);
  SetFdLimit(kMachineFdLimit, kMachineFdLimit);  // the machines' limit

  asio::io_context io;
  auto keep_running = asio::make_work_guard(io);  // run_for must not stop between the parts
  AsioClock clock(io);
  bool ok = true;

  // 1. The load generator alone.
  {
    LoadOptions o;
    o.port = sink_port;
    o.timeout = 600s;
    o.max_in_flight = static_cast<uint64_t>(requests);
    o.epoch = clock.Now();
    uint64_t failed = 0, dropped = 0;  // ended before the end; not sent (the cap was reached)
    const Memory before = Measure();
    LoadGenerator gen(io, clock, o, [&](const RequestResult& r) {
      ++(r.outcome == Outcome::kDropped ? dropped : failed);
    });
    gen.SetRate(5000);
    RunUntil(io, [&] { return gen.in_flight() >= static_cast<uint64_t>(requests) || failed > 0; },
             60s);
    gen.Stop();
    io.run_for(200ms);
    const Memory after = Measure();
    const double n = static_cast<double>(gen.in_flight());
    const double heap = (after.heap - before.heap) / n, rss = (after.rss - before.rss) / n;
    std::printf("load generator: %.0f requests in flight (fd limit %llu), %llu ended early, "
                "%llu dropped at the cap\n",
                n, static_cast<unsigned long long>(kMachineFdLimit),
                static_cast<unsigned long long>(failed), static_cast<unsigned long long>(dropped));
    if (failed > 0) ok = false, std::printf("FAIL: requests ended while they should be held\n");
    std::printf("  per in-flight request: heap %.0f bytes, RSS %.0f bytes (goal <= 4096)\n", heap,
                rss);
    if (n < requests) ok = false, std::printf("FAIL: fewer than %d requests in flight\n", requests);
    if (heap > kGoalBytes) ok = false, std::printf("FAIL: more than 4 KiB per in-flight request\n");
    gen.Abort();
  }
  io.run_for(200ms);

  // 2. Idle connections through the fault proxy.
  {
    const Memory before = Measure();
    auto proxy = std::make_unique<FaultProxy>(io, clock, "sink", "127.0.0.1", sink_port, 1);
    if (!proxy->Listen("127.0.0.1", 0).ok()) return 2;
    const std::string port = std::to_string(proxy->port()) + "\n";
    (void)!::write(clients.connect_to, port.data(), port.size());
    RunUntil(io, [&] { return proxy->counters().open_upstream >= static_cast<uint64_t>(connections); },
             60s);
    io.run_for(200ms);
    const Memory after = Measure();
    const double n = static_cast<double>(proxy->counters().open_upstream);
    const double heap = (after.heap - before.heap) / n, rss = (after.rss - before.rss) / n;
    std::printf("proxy: %.0f idle connections proxied (client side and upstream side open)\n", n);
    std::printf("  per idle proxied connection: heap %.0f bytes, RSS %.0f bytes (goal <= 4096)\n",
                heap, rss);
    if (n < connections) ok = false, std::printf("FAIL: fewer than %d connections proxied\n", connections);
    if (heap > kGoalBytes) ok = false, std::printf("FAIL: more than 4 KiB per idle proxied connection\n");
  }

  for (pid_t pid : {sink.pid, clients.pid}) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  }
  std::printf(ok ? "OK: within the goals\n" : "FAILED\n");
  return ok ? 0 : 1;
}
