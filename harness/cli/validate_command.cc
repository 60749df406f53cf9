// faultline validate FILE...: loads each scenario and reports every error,
// including those that appear only once variables are expanded: every variant
// is bound (run/bind.h) with placeholder ports, as `run` binds it with real ones.
// Warnings (checks that cannot discriminate, scenario/warnings.h) are printed
// too and leave the exit status alone; --strict counts them as errors.
#include <iostream>
#include <string>
#include <vector>

#include "harness/cli/commands.h"
#include "harness/cli/exit_status.h"
#include "harness/common/text.h"
#include "harness/cli/run_command.h"
#include "harness/cli/scenario_run.h"
#include "harness/cli/suite_plan.h"
#include "harness/scenario/scenario_loader.h"

namespace faultline {
namespace {

struct ValidateOptions {
  std::vector<std::string> files;
  std::vector<std::string> overrides;  // --set, as `run` takes them
  bool strict = false;                 // warnings are errors
};

int RunValidate(const ValidateOptions& o) {
  int status = kExitPassed;
  // A folder is its *.toml files, as `run` takes it; a file is checked even
  // when it cannot be read, so that its error is listed with the others.
  std::vector<std::string> files;
  for (const auto& arg : o.files) {
    if (!IsFolder(arg)) {
      files.push_back(arg);
      continue;
    }
    StatusOr<std::vector<std::string>> found = ExpandScenarioPaths({arg});
    if (!found.ok()) {
      std::cerr << found.status().message() << "\n";
      status = kExitUsage;
      continue;
    }
    files.insert(files.end(), found->begin(), found->end());
  }
  for (const auto& file : files) {
    LoadOutcome out = LoadScenarioFile(file, o.overrides);
    std::vector<std::string> errors;
    for (const auto& d : out.errors) errors.push_back(d.ToString());
    if (errors.empty())
      for (const auto& e : BindErrors(*out.scenario)) errors.push_back(file + ": " + e);
    if (o.strict) {
      for (const auto& w : out.warnings) errors.push_back(w.ToString());
    } else {
      for (const auto& w : out.warnings) std::cerr << w.ToString() << "\n";
    }
    if (!errors.empty()) {
      for (const auto& e : errors) std::cerr << e << "\n";
      std::cerr << file << ": " << errors.size() << " error" << (errors.size() == 1 ? "" : "s")
                << "\n";
      status = kExitUsage;
      continue;
    }
    const Scenario& s = *out.scenario;
    const size_t warnings = out.warnings.size();
    std::cout << file << ": ok (" << s.variants.size() << " variants, " << s.phases.size()
              << " phases, " << s.checks.size() << " checks"
              << (warnings == 0 ? ""
                                : "; " + std::to_string(warnings) +
                                      (warnings == 1 ? " warning" : " warnings"))
              << ")\n";
  }
  return status;
}

}  // namespace

void SetupValidateCommand(CLI::App& app, int* exit_status) {
  auto opts = std::make_shared<ValidateOptions>();
  CLI::App* cmd = app.add_subcommand("validate", "Check scenario files and report every error");
  cmd->add_option("files", opts->files, "Scenario TOML files, or folders of them")->required();
  cmd->add_option("--set", opts->overrides, "Override a value, as for run: key.path=value");
  cmd->add_flag("--strict", opts->strict, "Treat warnings as errors (for CI)");
  cmd->callback([opts, exit_status] { *exit_status = RunValidate(*opts); });
}

}  // namespace faultline
