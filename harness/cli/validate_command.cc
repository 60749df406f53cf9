// faultline validate FILE...: loads each scenario and reports every error.
#include <iostream>
#include <string>
#include <vector>

#include "harness/cli/commands.h"
#include "harness/cli/exit_status.h"
#include "harness/scenario/scenario_loader.h"

namespace faultline {
namespace {

struct ValidateOptions {
  std::vector<std::string> files;
  std::vector<std::string> overrides;  // --set, as `run` takes them
};

int RunValidate(const ValidateOptions& o) {
  int status = kExitPassed;
  for (const auto& file : o.files) {
    LoadOutcome out = LoadScenarioFile(file, o.overrides);
    if (!out.errors.empty()) {
      for (const auto& d : out.errors) std::cerr << d.ToString() << "\n";
      std::cerr << file << ": " << out.errors.size() << " error"
                << (out.errors.size() == 1 ? "" : "s") << "\n";
      status = kExitUsage;
      continue;
    }
    const Scenario& s = *out.scenario;
    std::cout << file << ": ok (" << s.variants.size() << " variants, " << s.phases.size()
              << " phases, " << s.checks.size() << " checks)\n";
  }
  return status;
}

}  // namespace

void SetupValidateCommand(CLI::App& app, int* exit_status) {
  auto opts = std::make_shared<ValidateOptions>();
  CLI::App* cmd = app.add_subcommand("validate", "Check scenario files and report every error");
  cmd->add_option("files", opts->files, "Scenario TOML files")->required();
  cmd->add_option("--set", opts->overrides, "Override a value, as for run: key.path=value");
  cmd->callback([opts, exit_status] { *exit_status = RunValidate(*opts); });
}

}  // namespace faultline
