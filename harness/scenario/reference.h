// The scenario reference, generated from the schema (schema.h) and the
// built-in metrics (metrics.h). docs/scenarios.md holds hand-written prose
// around generated blocks, each between
//   <!-- generated: NAME -->   and   <!-- end generated -->
// where NAME is "keys NOUN" for a table of the schema ("keys load",
// "keys fault") or "metrics". A test checks that the file is up to date;
// `scenario_reference docs/scenarios.md` rewrites the blocks in place.
#pragma once

#include <string>
#include <string_view>

#include "harness/common/status.h"
#include "harness/scenario/key_schema.h"

namespace faultline {

/// The Markdown table of one table's keys: key, type, default, allowed
/// values and "applies to" (each only when some key of the table has them),
/// meaning.
std::string RenderKeyTable(const schema::TableSchema& table);

/// The Markdown table of the metrics a check may name.
std::string RenderMetricTable();

/// Every generated block with its markers, in schema order (what
/// `scenario_reference` prints).
std::string RenderScenarioReference();

/// `doc` with the text inside each generated block replaced by what it
/// should hold now. Invalid when a block is unknown, unclosed or repeated,
/// or when a table or the metrics have no block.
StatusOr<std::string> RegenerateScenarioReference(std::string_view doc);

}  // namespace faultline
