#include "reports/write_reports.h"

#include <filesystem>
#include <functional>
#include <system_error>

#include "harness/common/file.h"
#include "reports/html_report.h"
#include "reports/junit_report.h"
#include "reports/markdown_report.h"

namespace faultline {

Status WriteReports(const RunResult& results, const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::Unavailable("create directory " + dir + ": " + ec.message());
  const std::filesystem::path base(dir);
  Status first;
  auto write = [&](const char* name, const std::function<std::string()>& render) {
    Status s = WriteFileAtomic((base / name).string(), render());
    if (!s.ok() && first.ok()) first = s;
  };
  write(kHtmlReportName, [&] { return RenderHtml(results); });
  write(kJunitReportName, [&] { return RenderJunit(results); });
  write(kMarkdownReportName, [&] { return RenderMarkdown(results); });
  return first;
}

void RemoveReports(const std::string& dir) {
  const std::filesystem::path base(dir);
  std::error_code ec;
  for (const char* name : {kHtmlReportName, kJunitReportName, kMarkdownReportName})
    std::filesystem::remove(base / name, ec);
}

}  // namespace faultline
