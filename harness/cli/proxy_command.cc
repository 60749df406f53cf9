// faultline proxy: the fault proxy on its own, in front of anything.
//   --listen A --upstream B   one proxy, A -> B (with --toxic: its faults)
//   --api A                   the Toxiproxy-compatible control API on A
//   --config FILE             the proxies and faults of a file
// Runs until SIGINT or SIGTERM, then closes everything and exits 0. Every
// proxy, the API and every fault change is logged as one line on stderr.
#include <csignal>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness/cli/commands.h"
#include "harness/cli/exit_status.h"
#include "harness/common/asio.h"
#include "harness/common/clock.h"
#include "harness/common/out_of_fds.h"
#include "harness/common/text.h"
#include "harness/proxyd/address.h"
#include "harness/proxyd/api_server.h"
#include "harness/proxyd/registry.h"
#include "harness/proxyd/toxic_json.h"
#include "harness/proxyd/toxiproxy_api.h"
#include "harness/run/proxy_fault.h"
#include "harness/scenario/proxy_config.h"

namespace faultline {
namespace {

struct ProxyCommandOptions {
  std::string listen;               // --listen host:port (0 = any free port)
  std::string upstream;             // --upstream host:port
  std::string name = "proxy";       // --name: the --listen proxy's name
  std::vector<std::string> toxics;  // --toxic JSON: faults on the --listen proxy
  std::string api;                  // --api host:port
  std::string config;               // --config FILE.toml
  uint64_t seed = 1;                // --seed: with each proxy's name, its seed (ProxySeed)
};

void Log(const std::string& line) { std::cerr << line << std::endl; }

int Fail(int code, const std::string& message) {
  std::cerr << "faultline proxy: " << message << "\n";
  return code;
}

// The control API's prefix for a body it cannot use; on the command line the
// flag names what was wrong instead.
constexpr std::string_view kBadBody = "bad request body: ";

int ExitFor(const ApiError& e) { return e.status >= 500 ? kExitCouldNotRun : kExitUsage; }

// What to run, checked before anything starts.
struct Plan {
  std::vector<ProxyFault> toxics;  // for the --listen proxy
  std::optional<Address> api;
  std::vector<ProxyConfigEntry> config;
};

int Check(const ProxyCommandOptions& o, Plan* plan) {
  if (o.listen.empty() != o.upstream.empty())
    return Fail(kExitUsage, "--listen and --upstream go together");
  if (o.listen.empty() && o.api.empty() && o.config.empty())
    return Fail(kExitUsage,
                "nothing to run: give --listen and --upstream, --api HOST:PORT, or --config FILE");
  // Checked here, so a typo reads as a flag error, not as the control API's
  // "bad request body".
  for (const auto& [flag, text] : {std::pair{"--listen", &o.listen}, {"--upstream", &o.upstream}}) {
    if (text->empty()) continue;
    if (StatusOr<Address> a = ParseAddress(*text); !a.ok())
      return Fail(kExitUsage, std::string(flag) + ": " + a.status().message());
  }
  if (!o.toxics.empty() && o.listen.empty())
    return Fail(kExitUsage, "--toxic applies to the --listen proxy: give --listen and --upstream");
  for (const auto& text : o.toxics) {
    nlohmann::json body = nlohmann::json::parse(text, nullptr, false);
    if (body.is_discarded()) return Fail(kExitUsage, "--toxic " + text + ": not JSON");
    ApiResult<ProxyFault> toxic = ToxicFromJson(body);
    if (!toxic.ok()) {
      std::string_view why = toxic.error().message;
      if (why.starts_with(kBadBody)) why.remove_prefix(kBadBody.size());
      return Fail(kExitUsage, "--toxic " + text + ": " + std::string(why));
    }
    plan->toxics.push_back(*toxic);
  }
  if (!o.api.empty()) {
    StatusOr<Address> api = ParseAddress(o.api);
    if (!api.ok()) return Fail(kExitUsage, "--api: " + api.status().message());
    plan->api = *api;
  }
  if (!o.config.empty()) {
    StatusOr<std::vector<ProxyConfigEntry>> config = LoadProxyConfig(o.config);
    if (!config.ok()) {  // every error, one per line, each naming file:line:col
      std::cerr << config.status().message() << "\n";
      return kExitUsage;
    }
    plan->config = std::move(*config);
  }
  return kExitPassed;
}

int RunProxy(const ProxyCommandOptions& o) {
  Plan plan;
  if (int status = Check(o, &plan); status != kExitPassed) return status;
  std::signal(SIGPIPE, SIG_IGN);
  RaiseOpenFileLimit();  // each proxied connection holds two fds

  // One thread runs the loop (the API server's threads only post to it):
  // hint 1 lets Asio queue the loop's own completions without waking the
  // reactor (an epoll_ctl on its interrupter each time).
  asio::io_context io(1);
  AsioClock clock(io);
  // Watched from here on, before any address is printed: a signal sent by
  // whoever read that line is handled, never fatal.
  asio::signal_set signals(io, SIGINT, SIGTERM);
  ProxyRegistry registry(
      io, clock, [seed = o.seed](const std::string& name) { return ProxySeed(seed, name); }, Log);
  if (!o.listen.empty()) {
    ApiResult<ProxyState> created = registry.Create({o.name, o.listen, o.upstream, true});
    if (!created.ok()) return Fail(ExitFor(created.error()), created.error().message);
    for (const auto& toxic : plan.toxics) {
      ApiResult<ProxyFault> added = registry.AddToxic(o.name, toxic);
      if (!added.ok()) return Fail(kExitUsage, "--toxic: " + added.error().message);
    }
  }
  for (const auto& entry : plan.config) {
    const std::string where = o.config + ": proxy " + Quote(entry.name) + ": ";
    ApiResult<ProxyState> created =
        registry.Create({entry.name, entry.listen, entry.upstream, true, entry.http});
    if (!created.ok()) return Fail(ExitFor(created.error()), where + created.error().message);
    for (const auto& fault : entry.faults) {
      ApiResult<ProxyFault> added = registry.AddToxic(entry.name, ToProxyFault(fault));
      if (!added.ok()) return Fail(ExitFor(added.error()), where + added.error().message);
    }
  }
  ToxiproxyApi api(registry, FAULTLINE_VERSION);
  ApiServer server(io, api);
  if (plan.api) {
    Status listening = server.Listen(plan.api->host, plan.api->port);
    if (!listening.ok()) return Fail(kExitCouldNotRun, listening.message());
    Log("api listening on " + ToString(Address{plan.api->host, server.port()}));
  }
  signals.async_wait([&](const boost::system::error_code& ec, int signo) {
    if (ec) return;
    Log(std::string("received ") + (signo == SIGINT ? "SIGINT" : "SIGTERM") + ", stopping");
    server.Stop();
    registry.CloseAll();
    io.stop();
  });

  try {
    io.run();
  } catch (const std::exception& e) {
    server.Stop();
    return Fail(kExitCouldNotRun, std::string("internal error: ") + e.what());
  }
  return kExitPassed;
}

}  // namespace

void SetupProxyCommand(CLI::App& app, int* exit_status) {
  auto opts = std::make_shared<ProxyCommandOptions>();
  CLI::App* cmd = app.add_subcommand(
      "proxy", "Run the fault proxy on its own, with a Toxiproxy-compatible control API");
  cmd->add_option("--listen", opts->listen, "Proxy from this host:port (port 0: any free port)");
  cmd->add_option("--upstream", opts->upstream, "Proxy to this host:port");
  cmd->add_option("--name", opts->name, "Name of the --listen proxy (default \"proxy\")");
  cmd->add_option("--toxic", opts->toxics,
                  "A fault on the --listen proxy, as a Toxiproxy toxic in JSON (repeatable): "
                  "'{\"type\": \"latency\", \"attributes\": {\"latency\": 100}}'");
  cmd->add_option("--api", opts->api,
                  "Serve the control API on this host:port (Toxiproxy's is 127.0.0.1:8474)");
  cmd->add_option("--config", opts->config, "Create the proxies and faults of this TOML file");
  cmd->add_option("--seed", opts->seed, "Seed of the per-connection draws (default 1)")
      ->check(CLI::Validator(  // CLI11 would wrap -1 to 2^64 - 1
          [](std::string& v) {
            return v.starts_with('-') ? "expected a whole number >= 0, got " + v : std::string();
          },
          "", "not negative"));
  cmd->callback([opts, exit_status] { *exit_status = RunProxy(*opts); });
}

}  // namespace faultline
