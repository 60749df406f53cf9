// The cancellation audit in the reports (docs/reports.md): per dependency
// whose proxy speaks HTTP, how long upstream work outlived the callers who
// gave up (a histogram), the orphans over time, and a one-line summary for
// the terminal. Results without an audit (TCP proxies, files before issue
// 10) render nothing, so they look as before.
#pragma once

#include <string>
#include <vector>

#include "harness/result/result.h"

namespace faultline {

/// One variant as the section shows it: its name, colour and result.
struct CancellationRow {
  std::string variant;
  std::string colour;  // CSS colour, trusted
  const VariantResult* result = nullptr;
};

/// The HTML report's "cancellation" section; "" when no variant has an audit.
std::string HtmlCancellation(const std::vector<CancellationRow>& rows);

/// One line per audited dependency of `v`, each ending in "\n":
/// "  inventory: 480 gave up; their upstream requests ended 0 before, 12 after, 468 never;
///  outlived p99 2.9s; 470 orphans at the end"
/// or, when the target does not forward traceparent,
/// "  inventory: target does not forward traceparent; 470 upstream requests open at the end
///  (0 client requests in flight); 468 orphans".
std::string CancellationLines(const VariantResult& v);

}  // namespace faultline
