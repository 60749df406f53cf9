#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "harness/cli/commands.h"
#include "harness/cli/exit_status.h"
#include "harness/common/file.h"
#include "harness/result/results_json.h"
#include "reports/sample_results.h"

using namespace faultline;
namespace fs = std::filesystem;

namespace {

struct Invocation {
  int status = -1;
  std::string out, err;
};

// Runs `faultline report ARGS` in-process, capturing stdout and stderr.
Invocation Report(std::vector<std::string> args) {
  CLI::App app;
  int status = -1;
  SetupReportCommand(app, &status);
  args.insert(args.begin(), {"faultline", "report"});
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  std::ostringstream out, err;
  auto* old_out = std::cout.rdbuf(out.rdbuf());
  auto* old_err = std::cerr.rdbuf(err.rdbuf());
  app.parse(static_cast<int>(argv.size()), argv.data());
  std::cout.rdbuf(old_out);
  std::cerr.rdbuf(old_err);
  return {status, out.str(), err.str()};
}

struct Saved {
  Saved() {
    char tmpl[] = "/tmp/faultline-report-cmd-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    dir = tmpl;
    results = (dir / "results.json").string();
    REQUIRE(WriteFileAtomic(results, ResultsJsonText(testing::AbRun())).ok());
  }
  ~Saved() { fs::remove_all(dir); }
  fs::path dir;
  std::string results;
};

std::string Read(const fs::path& p) {
  std::ifstream in(p);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

}  // namespace

TEST_CASE("report with no option writes all three reports next to results.json") {
  Saved s;
  Invocation o = Report({s.results});
  CHECK(o.status == kExitPassed);
  for (const char* name : {"report.html", "junit.xml", "summary.md"})
    CHECK_MESSAGE(fs::exists(s.dir / name), name);
  CHECK(o.out.empty());
  // Rendering again gives the same bytes.
  const std::string first = Read(s.dir / "report.html");
  CHECK(Report({s.results}).status == kExitPassed);
  CHECK(Read(s.dir / "report.html") == first);
}

TEST_CASE("report writes only the outputs asked for") {
  Saved s;
  Invocation o = Report({s.results, "--junit", (s.dir / "ci.xml").string(), "--summary"});
  CHECK(o.status == kExitPassed);
  CHECK(Read(s.dir / "ci.xml").find("<testsuites") != std::string::npos);
  CHECK_FALSE(fs::exists(s.dir / "report.html"));
  CHECK(o.out.find("PASSED: 2 of 2 variants met their expectation") != std::string::npos);

  Invocation d = Report({s.results, "--out-dir", (s.dir / "a" / "b").string(), "--html",
                      (s.dir / "x.html").string()});
  CHECK(d.status == kExitPassed);
  CHECK(fs::exists(s.dir / "x.html"));
  CHECK_FALSE(fs::exists(s.dir / "a" / "b" / "report.html"));
  CHECK(fs::exists(s.dir / "a" / "b" / "junit.xml"));
  CHECK(fs::exists(s.dir / "a" / "b" / "summary.md"));
}

TEST_CASE("report of a bad file names it and exits 2") {
  Saved s;
  const std::string bad = (s.dir / "broken.json").string();
  std::ofstream(bad) << "{oops";
  Invocation o = Report({bad});
  CHECK(o.status == kExitUsage);
  CHECK(o.err == "faultline report: " + bad + ": not valid JSON\n");
  Invocation missing = Report({(s.dir / "none.json").string()});
  CHECK(missing.status == kExitUsage);
  CHECK(missing.err.find((s.dir / "none.json").string() + ": cannot open") != std::string::npos);
}

TEST_CASE("report says which file it could not write and exits 3") {
  Saved s;
  Invocation o = Report({s.results, "--markdown", (s.dir / "no" / "such" / "dir.md").string()});
  CHECK(o.status == kExitCouldNotRun);
  CHECK(o.err.find((s.dir / "no" / "such").string()) != std::string::npos);
}
