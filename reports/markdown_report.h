// Markdown for a CI step summary ($GITHUB_STEP_SUMMARY) or a pull-request
// comment: the verdict, then a short table of checks per variant.
#pragma once

#include <string>

#include "harness/result/result.h"

namespace faultline {

/// Renders a run's results as GitHub-flavoured Markdown. Every name from
/// the results is escaped (| ` * _ [ ] < > and more), so it cannot break a
/// table or inject markup. Deterministic.
std::string RenderMarkdown(const RunResult& results);

}  // namespace faultline
