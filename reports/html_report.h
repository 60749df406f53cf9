// The self-contained HTML report: one file, no script needed, no network
// fetch of any kind (inline CSS and inline SVG only, and a Content Security
// Policy that forbids loading anything), fit to attach to a postmortem.
#pragma once

#include <string>

#include "harness/result/result.h"

namespace faultline {

/// Renders a run's results as HTML: the verdict
/// and description, a card per variant, a chart per metric with every
/// variant on the same axes and the phases shaded (fault phases in red), the
/// checks, requests by outcome, events, log tails, the scenario source and
/// the environment. Every string from the results is escaped. Deterministic:
/// the same results give the same bytes.
std::string RenderHtml(const RunResult& results);

}  // namespace faultline
