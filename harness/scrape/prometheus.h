// Prometheus text exposition format (version 0.0.4): parsing a scraped page
// into samples, and picking one value out of it with a selector such as
// `go_goroutines` or `http_requests_total{code="200"}`.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/common/status.h"

namespace faultline {

/// One sample line: `name{label="value",...} value [timestamp] [# exemplar]`.
struct PromSample {
  std::string name;
  std::map<std::string, std::string> labels;  ///< unescaped values
  double value = 0;                           ///< may be NaN or +-Inf
};

/// What was read of a malformed line before the error: which samples it
/// might have been.
struct PromUnparsed {
  std::string name;                           ///< "" when the name itself was malformed
  std::map<std::string, std::string> labels;  ///< complete only when labels_read
  bool labels_read = false;                   ///< the line broke after its label set
};

struct PromParse {
  std::vector<PromSample> samples;  ///< in page order
  /// One "line N: reason" per malformed line (1-based); such lines are
  /// skipped and the rest of the page is still parsed.
  std::vector<std::string> errors;
  std::vector<PromUnparsed> unparsed;  ///< one per entry of `errors`, same order
};

/// Parses a whole page. Comments (`# HELP`, `# TYPE`, any `#` line) and blank
/// lines are ignored, CRLF line ends are accepted. A timestamp (integer
/// milliseconds, or OpenMetrics' seconds with a fraction) and an OpenMetrics
/// exemplar after " # " (`{trace_id="abc"} 1.0 [timestamp]`) are validated
/// and dropped. Never fails as a whole: malformed lines land in `errors`.
PromParse ParsePrometheusText(std::string_view text);

/// Which samples a custom metric in a scenario refers to.
struct MetricSelector {
  std::string name;
  /// Each must be equal; a sample without the label has it empty, so
  /// `{code=""}` picks the samples that have no `code` label (as in PromQL).
  std::map<std::string, std::string> labels;
};

/// Parses `name` or `name{label="value",...}` (same quoting as the
/// exposition format). Returns Invalid naming the selector on bad syntax.
StatusOr<MetricSelector> ParseSelector(std::string_view text);

/// Sum of the values of all samples named `selector.name` whose labels include
/// all of `selector.labels` (they may have more). nullopt when none match,
/// so "metric absent" is distinguishable from zero.
std::optional<double> Select(const PromParse& parse, const MetricSelector& selector);

/// The error ("line N: reason") of the first malformed line that may have been
/// a sample Select would sum: same metric name, and labels that include the
/// selector's or were not all read. nullptr when there is none, so Select's
/// sum is whole. A line whose name is malformed matches no selector.
const std::string* UnparsedMatch(const PromParse& parse, const MetricSelector& selector);

}  // namespace faultline
