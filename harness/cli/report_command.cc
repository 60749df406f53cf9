// faultline report RESULTS.json: renders the reports again from a saved
// results.json (the source of truth), into chosen paths or next to it.
#include <filesystem>
#include <functional>
#include <iostream>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include "harness/cli/commands.h"
#include "harness/cli/exit_status.h"
#include "harness/common/file.h"
#include "harness/result/results_json.h"
#include "reports/before_after.h"
#include "reports/html_report.h"
#include "reports/junit_report.h"
#include "reports/markdown_report.h"
#include "reports/terminal.h"
#include "reports/write_reports.h"

namespace faultline {
namespace {

struct ReportOptions {
  std::string results;   // the results.json to render
  std::string html;      // --html PATH
  std::string junit;     // --junit PATH
  std::string markdown;  // --markdown PATH
  std::string out_dir;   // --out-dir DIR: all three, default names
  bool summary = false;  // --summary: print the terminal summary to stdout
  std::vector<std::string> compare;  // --compare A.json B.json: before/after, to --html
};

// --compare A.json B.json --html PATH: both runs on the same axes.
int RunCompareReport(const ReportOptions& o) {
  if (!o.results.empty() || o.html.empty() || !o.junit.empty() || !o.markdown.empty() ||
      !o.out_dir.empty() || o.summary) {
    std::cerr << "faultline report: --compare A.json B.json writes one HTML report: give "
                 "--html PATH and no other output or results file\n";
    return kExitUsage;
  }
  std::vector<RunResult> runs;
  for (const auto& path : o.compare) {
    StatusOr<RunResult> r = ReadResultsFile(path);
    if (!r.ok()) {
      std::cerr << "faultline report: " << r.status().message() << "\n";
      return kExitUsage;
    }
    runs.push_back(std::move(*r));
  }
  const RunResult both =
      BeforeAfter(runs[0], RunLabel(o.compare[0], o.compare[1], "A"), runs[1],
                  RunLabel(o.compare[1], o.compare[0], "B"));
  Status s = WriteFileCreatingFolders(o.html, RenderHtml(both));
  if (!s.ok()) {
    std::cerr << "faultline report: " << s.message() << "\n";
    return kExitCouldNotRun;
  }
  std::cerr << "faultline report: wrote " << o.html << "\n";
  return kExitPassed;
}

int RunReport(ReportOptions o) {
  if (!o.compare.empty()) return RunCompareReport(o);
  if (o.results.empty()) {
    std::cerr << "faultline report: a results.json to render is required (or --compare "
                 "A.json B.json)\n";
    return kExitUsage;
  }
  StatusOr<RunResult> results = ReadResultsFile(o.results);
  if (!results.ok()) {
    std::cerr << "faultline report: " << results.status().message() << "\n";
    return kExitUsage;
  }
  namespace fs = std::filesystem;
  const bool any_file = !o.html.empty() || !o.junit.empty() || !o.markdown.empty();
  // With no output chosen at all, all three go next to the results file.
  if (!any_file && o.out_dir.empty() && !o.summary) {
    o.out_dir = fs::path(o.results).parent_path().string();
    if (o.out_dir.empty()) o.out_dir = ".";
  }
  if (!o.out_dir.empty()) {
    std::error_code ec;
    fs::create_directories(o.out_dir, ec);
    if (ec) {
      std::cerr << "faultline report: create directory " << o.out_dir << ": " << ec.message()
                << "\n";
      return kExitCouldNotRun;
    }
    const fs::path dir(o.out_dir);
    // An explicit path wins over --out-dir for its own report.
    if (o.html.empty()) o.html = (dir / kHtmlReportName).string();
    if (o.junit.empty()) o.junit = (dir / kJunitReportName).string();
    if (o.markdown.empty()) o.markdown = (dir / kMarkdownReportName).string();
  }

  int status = kExitPassed;
  auto write = [&](const std::string& path,
                   const std::function<std::string(const RunResult&)>& render) {
    if (path.empty()) return;
    Status s = WriteFileCreatingFolders(path, render(*results));
    if (!s.ok()) {
      std::cerr << "faultline report: " << s.message() << "\n";
      status = kExitCouldNotRun;
      return;
    }
    std::cerr << "faultline report: wrote " << path << "\n";
  };
  write(o.html, RenderHtml);
  write(o.junit, RenderJunit);
  write(o.markdown, RenderMarkdown);
  if (o.summary) std::cout << RenderSummary(*results) << std::flush;
  return status;
}

}  // namespace

void SetupReportCommand(CLI::App& app, int* exit_status) {
  auto opts = std::make_shared<ReportOptions>();
  CLI::App* cmd = app.add_subcommand(
      "report",
      "Render the HTML, JUnit XML and Markdown reports again from a saved results.json "
      "(with no option: all three next to it)");
  cmd->add_option("results", opts->results, "results.json written by `faultline run`");
  cmd->add_option("--html", opts->html, "Write the self-contained HTML report to PATH");
  cmd->add_option("--junit", opts->junit, "Write JUnit XML to PATH");
  cmd->add_option("--markdown", opts->markdown, "Write the Markdown summary to PATH");
  cmd->add_option("--out-dir", opts->out_dir,
                  "Write report.html, junit.xml and summary.md into DIR (created if missing)");
  cmd->add_flag("--summary", opts->summary, "Print the terminal summary to stdout");
  cmd->add_option("--compare", opts->compare,
                  "A.json B.json: before/after, both runs' variants on the same axes, "
                  "labelled by run (the results' folder names), into --html PATH")
      ->expected(2);
  cmd->callback([opts, exit_status] { *exit_status = RunReport(*opts); });
}

}  // namespace faultline
