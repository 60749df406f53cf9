// faultline: a fault-injection chaos harness. See README.md.
#include <CLI/CLI.hpp>

#include <iostream>

#include "harness/cli/commands.h"
#include "harness/cli/exit_status.h"

namespace faultline {
namespace {

int RealMain(int argc, char** argv) {
  CLI::App app{"faultline: fault-injection experiments that show whether a service's "
               "deadlines hold when a dependency hangs"};
  app.set_version_flag("--version", std::string("faultline ") + FAULTLINE_VERSION);
  app.require_subcommand(1);
  int exit_status = kExitPassed;
  SetupRunCommand(app, &exit_status);
  SetupValidateCommand(app, &exit_status);
  SetupReportCommand(app, &exit_status);
  SetupProxyCommand(app, &exit_status);
  SetupCompareCommand(app, &exit_status);
  SetupSweepCommand(app, &exit_status);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);  // prints the message
    return kExitUsage;
  }
  return exit_status;
}

}  // namespace
}  // namespace faultline

int main(int argc, char** argv) { return faultline::RealMain(argc, argv); }
