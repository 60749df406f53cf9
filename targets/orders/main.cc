// orders-service --port N --inventory http://127.0.0.1:PORT --mode propagate|naive [--budget 2s]
// See orders.h for the story this service tells.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <string>

#include "harness/common/units.h"
#include "targets/common/serve.h"
#include "targets/orders/orders.h"

namespace {

int Usage(const CLI::App& app, const std::string& problem) {
  std::cerr << "orders-service: " << problem << "\n\n" << app.help();
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  namespace orders = faultline::orders;
  CLI::App app{"orders-service: reproduces a dependency-hang incident, with or without deadlines"};
  int port = 0;
  std::string inventory, mode_text, budget_text = "2s";
  app.add_option("--port", port, "port to listen on, 127.0.0.1 only (0: any free port)")
      ->required()
      ->check(CLI::Range(0, 65535));
  app.add_option("--inventory", inventory, "inventory base URL, http://127.0.0.1:PORT")->required();
  app.add_option("--mode", mode_text, "propagate: one deadline per request; naive: no timeouts")
      ->required();
  app.add_option("--budget", budget_text, "per-request deadline in propagate mode")
      ->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return Usage(app, e.what());
  }

  if (inventory.rfind("http://", 0) != 0) {
    return Usage(app, "--inventory: want http://HOST:PORT, got \"" + inventory + "\"");
  }
  const auto mode = orders::ParseMode(mode_text);
  if (!mode) return Usage(app, "--mode: want propagate or naive, got \"" + mode_text + "\"");
  std::string error;
  const auto budget = faultline::ParseDuration(budget_text, &error);
  if (!budget || *budget <= faultline::Duration::zero()) {
    return Usage(app, "--budget: " + (budget ? "must be positive" : error));
  }
  const orders::Options options{inventory, *mode, *budget};
  const std::string mode_name(orders::ModeName(options.mode));
  const std::string budget_name =
      options.mode == orders::Mode::kPropagate ? faultline::FormatDuration(options.budget) : "none";

  httplib::Server server;
  orders::RegisterRoutes(server, options);
  faultline::targets::ServeUntilSignal(server, port, [&](int bound) {
    std::printf("orders-service listening on 127.0.0.1:%d mode=%s budget=%s\n", bound,
                mode_name.c_str(), budget_name.c_str());
  });
}
