// The census in the reports (issue 14): one line per variant for the
// terminal and summary.md, and a section of top groups for report.html.
#pragma once

#include <string>

#include "harness/result/result.h"

namespace faultline {

/// The census a report leads with: the last one taken ("end" when there is
/// one), or null when the variant has none.
const Census* LeadCensus(const VariantResult& v);

/// "803 threads waiting in __poll ← httplib::ClientImpl::read_response_line
/// ← … (census "end" of 916 threads, paused 0.812 s)"; "(partial: reason)"
/// appended when partial; "" when the census holds no group.
std::string CensusTopLine(const Census& census);

/// The HTML section "Where threads wait": per variant and census, its top
/// `max_groups` groups, each a <details> whose summary is the count and the
/// stack line and whose body is every frame. "" when no variant has a census.
std::string RenderCensusHtml(const RunResult& results, size_t max_groups = 5);

}  // namespace faultline
