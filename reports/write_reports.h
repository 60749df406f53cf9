// Writes every file report of a run next to its results.json.
#pragma once

#include <string>

#include "harness/common/status.h"
#include "harness/result/result.h"

namespace faultline {

/// File names WriteReports uses inside its directory.
inline constexpr const char* kHtmlReportName = "report.html";
inline constexpr const char* kJunitReportName = "junit.xml";
inline constexpr const char* kMarkdownReportName = "summary.md";

/// Renders `results` and writes report.html, junit.xml and summary.md into
/// `dir` (created if missing), each atomically (WriteFileAtomic). Tries all
/// three; returns Unavailable naming the first file that could not be
/// written, Ok when all were.
Status WriteReports(const RunResult& results, const std::string& dir);

/// Removes the three reports from `dir` where present, so that reports an
/// earlier run left there do not stand beside a new run's results.json
/// until that run ends (or for good, when it is killed). Best effort.
void RemoveReports(const std::string& dir);

}  // namespace faultline
