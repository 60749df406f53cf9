// Markdown for a CI step summary ($GITHUB_STEP_SUMMARY) or a pull-request
// comment: the verdict, then a short table of checks per variant.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace faultline {

/// Renders a results document as GitHub-flavoured Markdown. Every name from
/// the document is escaped (| ` * _ [ ] < > and more), so it cannot break a
/// table or inject markup. Deterministic.
std::string RenderMarkdown(const nlohmann::json& results);

}  // namespace faultline
