// The single-scenario run path (harness/cli/scenario_run.h), moved here from
// run_command.cc so that suites, --repeat and sweeps run scenarios the same way.
#include "harness/cli/scenario_run.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "harness/cli/exit_status.h"
#include "harness/common/file.h"
#include "harness/common/out_of_fds.h"
#include "harness/common/text.h"
#include "harness/result/results_json.h"
#include "harness/run/bind.h"
#include "harness/run/runner.h"
#include "harness/scenario/scenario_loader.h"
#include "harness/scenario/warnings.h"
#include "reports/terminal.h"
#include "reports/text_format.h"
#include "reports/write_reports.h"

namespace faultline {
namespace {

// Children find the targets and tools built next to faultline (build/bin)
// by name, before anything else on PATH.
void PrependOwnDirToPath() {
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return;
  std::string path = exe.parent_path().string();
  if (const char* old = std::getenv("PATH")) path += std::string(":") + old;
  ::setenv("PATH", path.c_str(), 1);
}

// How many descriptors faultline needs for `s`, and why, when `limit` is too
// few; nullopt when it fits. At the peak rate, rate x timeout requests can be
// in flight at once (at most load.max_in_flight); each holds one socket in the
// load generator and two in every fault proxy it passes (client side and
// dependency side), plus a fixed allowance for everything else.
std::optional<std::string> CapacityWarning(const Scenario& s, rlim_t limit) {
  constexpr double kFixed = 256;  // logs, pidfds, pipes, listeners, /proc reads
  double peak_rate = 0;  // load.rate only where a phase runs at it
  for (const auto& p : s.phases) peak_rate = std::max(peak_rate, p.rate.value_or(s.load.rate));
  double proxied = 0;
  for (const auto& d : s.dependencies) proxied += d.proxy ? 1 : 0;
  const double by_rate = peak_rate * ToSeconds(s.load.timeout);
  const double in_flight = std::min(static_cast<double>(s.load.max_in_flight), by_rate);
  const double per_request = 1 + 2 * proxied;
  const double need = std::ceil(in_flight * per_request + kFixed);
  if (static_cast<double>(limit) >= need) return std::nullopt;
  char text[640];
  std::snprintf(text, sizeof text,
                "open-file limit is %llu but this scenario may need %.0f: peak rate %g/s x "
                "timeout %gs = %.0f requests in flight%s x %g fds/request in faultline (1 "
                "for the load generator + 2 per proxied dependency) + %.0f for the rest; "
                "requests past the limit go unsent and make the variant an error. "
                "Lower load.rate or load.timeout, set load.max_in_flight, or ",
                static_cast<unsigned long long>(limit), need, peak_rate,
                ToSeconds(s.load.timeout), in_flight,
                in_flight < by_rate ? " (capped by load.max_in_flight)" : "", per_request, kFixed);
  return std::string(text) + FdLimitAdvice();
}

// Raises the soft open-file limit to the hard one (as root, the hard one to
// at least 65536 first); children inherit it. Warns, with the numbers, when
// the scenario may need more than faultline got.
void RaiseFileLimit(const Scenario& s) {
  const uint64_t limit = RaiseOpenFileLimit();
  if (limit == 0) return;
  if (auto warning = CapacityWarning(s, limit))
    std::cerr << "faultline: warning: " << *warning << "\n";
}

// Everything after the file name: load, check --variant, run, write, report.
int RunLoaded(const ScenarioRunOptions& o, Watchdog* watchdog, ScenarioRunOutcome* outcome) {
  LoadOutcome loaded = LoadScenarioFile(o.scenario, o.overrides);
  // A folder named for this run holds nothing of an earlier one when this
  // one cannot start: a suite member's old passing junit.xml must not stand
  // beside the suite's error for it.
  auto clear_out_dir = [&o] {
    if (o.out_dir.empty()) return;
    std::error_code ec;
    std::filesystem::remove(o.out_dir + "/results.json", ec);
    RemoveReports(o.out_dir);
  };
  if (!loaded.errors.empty()) {
    clear_out_dir();
    for (const auto& d : loaded.errors) std::cerr << d.ToString() << "\n";
    const size_t more = loaded.errors.size() - 1;
    outcome->error = "the scenario did not load: " + loaded.errors[0].ToString() +
                     (more ? " (and " + std::to_string(more) + " more on stderr)" : "");
    return kExitUsage;
  }
  const Scenario& scenario = *loaded.scenario;
  outcome->scenario_name = scenario.name;
  std::vector<std::string> names;
  for (const auto& sv : scenario.variants) names.push_back(sv.name);
  for (const auto& v : o.variants) {
    if (std::find(names.begin(), names.end(), v) != names.end()) continue;
    outcome->error = "--variant " + v + ": no such variant in " + o.scenario + "; expected " +
                     OneOf(names) + DidYouMean(v, names);
    clear_out_dir();
    std::cerr << "faultline: " << outcome->error << "\n";
    return kExitUsage;
  }
  // A variant whose values do not bind (a port that is no number once its
  // variables are expanded) is refused before any variant runs, as
  // `validate` refuses it, not after the variants before it ran.
  if (const std::vector<std::string> bind = BindErrors(scenario, o.variants); !bind.empty()) {
    for (const auto& e : bind) std::cerr << o.scenario << ": " << e << "\n";
    clear_out_dir();
    outcome->error = "the scenario did not load: " + bind[0] +
                     (bind.size() > 1 ? " (and " + std::to_string(bind.size() - 1) +
                                            " more on stderr)"
                                      : "");
    return kExitUsage;
  }
  std::vector<Diagnostic> warnings = std::move(loaded.warnings);
  for (Diagnostic& d : SelectionWarnings(scenario, o.variants)) warnings.push_back(std::move(d));
  for (const auto& d : warnings) std::cerr << d.ToString() << "\n";
  if (o.strict && !warnings.empty()) {
    outcome->error = std::to_string(warnings.size()) +
                     (warnings.size() == 1 ? " warning" : " warnings") +
                     " and --strict: nothing was started; the first: " + warnings[0].ToString();
    clear_out_dir();
    std::cerr << "faultline: " << outcome->error << "\n";
    return kExitUsage;
  }
  RaiseFileLimit(scenario);

  RunOptions ro;
  ro.out_dir = o.out_dir.empty() ? "out/" + FolderName(scenario.name, "scenario") : o.out_dir;
  ro.overrides = o.overrides;
  ro.only_variants = o.variants;
  ro.live_progress = ::isatty(STDERR_FILENO) == 1;
  ro.progress = o.quiet ? nullptr : &std::cerr;
  std::error_code ec;
  std::filesystem::create_directories(ro.out_dir, ec);
  if (ec) {
    outcome->error = "create output directory " + ro.out_dir + ": " + ec.message();
    std::cerr << "faultline: " << outcome->error << "\n";
    return kExitCouldNotRun;
  }
  // One that exists but is not this user's to write (a root run's) would
  // keep an earlier run's results and reports where this run says its are.
  if (::access(ro.out_dir.c_str(), W_OK | X_OK) != 0) {
    outcome->error = "output directory " + ro.out_dir + " is not writable: " + strerror(errno) +
                     "; choose another with --out";
    std::cerr << "faultline: " << outcome->error << "\n";
    return kExitCouldNotRun;
  }
  const std::string ro_out_dir = ro.out_dir;
  const std::string results_path = ro.out_dir + "/results.json";
  bool write_failed = false;
  // Returns the text written, so that the reports render from exactly that.
  auto write = [&](const RunResult& r) {
    std::string text = ResultsJsonText(r);
    Status s = WriteFileAtomic(results_path, text);
    if (!s.ok()) {
      std::cerr << "faultline: " << s.message() << "\n";
      write_failed = true;
    }
    return text;
  };
  ro.checkpoint = [&](const RunResult& r) { write(r); };
  RemoveReports(ro.out_dir);  // the first checkpoint replaces results.json

  RunEnd end = RunEnd::kCompleted;
  RunResult result;
  try {
    Runner runner(scenario, std::move(ro), watchdog);
    result = runner.Run(&end);
  } catch (const std::exception& e) {  // the Runner keeps its own; this is the last line
    end = RunEnd::kCouldNotRun;
    result.scenario_name = scenario.name;
    result.error = std::string("internal error: ") + e.what();
  }
  const std::string written = write(result);
  // Every report renders from results.json as written, read back by the one
  // reader, exactly as `faultline report` would redo it (also when the file
  // could not be written: then from the text that was meant for it).
  StatusOr<RunResult> read = ResultsFromJson(nlohmann::json::parse(written, nullptr, false));
  if (!read.ok()) {  // the writer and the reader disagree: a bug; still show what was measured
    std::cerr << "faultline: internal error: results.json cannot be read back: "
              << read.status().message() << "\n";
    write_failed = true;
  }
  const RunResult& rendered = read.ok() ? *read : result;
  outcome->results_path = results_path;
  outcome->result = rendered;
  Status reports = WriteReports(rendered, ro_out_dir);
  if (!reports.ok()) {
    std::cerr << "faultline: " << reports.message() << "\n";
    write_failed = true;
  }
  std::cout << RenderSummary(rendered);
  if (write_failed) {
    std::cout << "results: not all written to " << ro_out_dir << " (see the errors above)\n";
  } else {
    std::cout << "results: " << results_path
              << " (report.html, junit.xml, summary.md beside it)\n";
  }
  if (!result.error.empty()) std::cerr << "faultline: " << CleanText(result.error) << "\n";

  switch (end) {
    case RunEnd::kInterrupted: return kExitInterrupted;
    case RunEnd::kInvalid: return kExitUsage;
    case RunEnd::kCouldNotRun: return kExitCouldNotRun;
    case RunEnd::kCompleted: break;
  }
  if (write_failed) return kExitCouldNotRun;
  // A variant that could not be judged (a check with nothing to compute, a
  // crash where a failure was expected) is not a verdict either way.
  for (const VariantResult& v : result.variants) {
    if (v.outcome == VariantOutcome::kError) return kExitCouldNotRun;
  }
  return result.passed() ? kExitPassed : kExitCheckFailed;
}

}  // namespace

std::vector<std::string> BindErrors(const Scenario& s, const std::vector<std::string>& only) {
  const Ports ports = PlaceholderPorts(s);
  std::vector<std::pair<std::string, std::string>> failed;  // variant, message
  size_t bound = 0;
  for (const auto& v : s.variants) {
    if (!only.empty() && std::find(only.begin(), only.end(), v.name) == only.end()) continue;
    ++bound;
    StatusOr<Plan> plan = Bind(s, v, ports);
    if (!plan.ok()) failed.emplace_back(v.name, plan.status().message());
  }
  // The same errors in every variant are said once, without a variant.
  bool same = failed.size() == bound && failed.size() > 1;
  for (const auto& f : failed) same = same && f.second == failed[0].second;
  if (same) failed.resize(1);
  // Bind gives each error on a line of its own.
  std::vector<std::string> out;
  for (const auto& [variant, message] : failed) {
    std::istringstream lines(message);
    for (std::string line; std::getline(lines, line);)
      out.push_back(same ? line : "variant " + Quote(variant) + ": " + line);
  }
  return out;
}

std::unique_ptr<Watchdog> StartRunEnvironment() {
  // A parent that ignored SIGCHLD passed that on: the kernel would reap our
  // children itself, and no exit code (a hook's, a process's) could be read.
  std::signal(SIGCHLD, SIG_DFL);
  // Before any thread exists: the watchdog is forked from a quiet process.
  auto watchdog = Watchdog::Start();
  if (!watchdog.ok()) {
    std::cerr << "faultline: " << watchdog.status().message() << "\n";
    return nullptr;
  }
  std::signal(SIGPIPE, SIG_IGN);
  PrependOwnDirToPath();
  return std::move(*watchdog);
}

int WorseExitStatus(int a, int b) {
  auto rank = [](int s) {
    switch (s) {
      case kExitPassed: return 0;
      case kExitCheckFailed: return 1;
      case kExitUsage: return 2;
      case kExitCouldNotRun: return 3;
      case kExitInterrupted: return 5;
      default: return 4;
    }
  };
  return rank(a) >= rank(b) ? a : b;
}

ScenarioRunOutcome RunOneScenario(const ScenarioRunOptions& o, Watchdog* watchdog) {
  ScenarioRunOutcome outcome;
  outcome.scenario_name = std::filesystem::path(o.scenario).stem().string();
  outcome.exit_status = RunLoaded(o, watchdog, &outcome);
  return outcome;
}

}  // namespace faultline
