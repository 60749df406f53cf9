// The self-contained HTML report: one file, no script needed, no network
// fetch of any kind (inline CSS and inline SVG only, and a Content Security
// Policy that forbids loading anything), fit to attach to a postmortem.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace faultline {

/// Renders a results document (docs/results-schema.md) as HTML: the verdict
/// and description, a card per variant, a chart per metric with every
/// variant on the same axes and the phases shaded (fault phases in red), the
/// checks, requests by outcome, events, log tails, the scenario source and
/// the environment. Every string from the document is escaped. Deterministic:
/// the same document gives the same bytes. Missing members render as absent.
std::string RenderHtml(const nlohmann::json& results);

}  // namespace faultline
