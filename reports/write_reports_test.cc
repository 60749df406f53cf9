#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "reports/html_report.h"
#include "reports/junit_report.h"
#include "reports/markdown_report.h"
#include "reports/sample_results.h"
#include "reports/write_reports.h"

using namespace faultline;
namespace fs = std::filesystem;

namespace {

std::string Read(const fs::path& p) {
  std::ifstream in(p);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

}  // namespace

TEST_CASE("WriteReports writes the three reports into a new directory") {
  char tmpl[] = "/tmp/faultline-write-reports-XXXXXX";
  REQUIRE(::mkdtemp(tmpl) != nullptr);
  const fs::path dir = fs::path(tmpl) / "out" / "demo";
  const RunResult j = testing::AbRun();
  REQUIRE(WriteReports(j, dir.string()).ok());
  CHECK(Read(dir / "report.html") == RenderHtml(j));
  CHECK(Read(dir / "junit.xml") == RenderJunit(j));
  CHECK(Read(dir / "summary.md") == RenderMarkdown(j));
  CHECK(std::distance(fs::directory_iterator(dir), fs::directory_iterator()) == 3);

  // A directory that cannot be created: the error names it.
  const fs::path blocked = fs::path(tmpl) / "file";
  std::ofstream(blocked) << "x";
  Status s = WriteReports(j, (blocked / "sub").string());
  CHECK(s.code() == Status::Code::kUnavailable);
  CHECK(s.message().find((blocked / "sub").string()) != std::string::npos);
  fs::remove_all(tmpl);
}
