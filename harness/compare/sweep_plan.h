// Sweeps (`faultline sweep SCENARIO --vary KEY=V1,V2,... [--vary ...]`):
// the values to try, and every combination of them as --set overrides
// (harness/scenario/set_overrides), so a sweep point is exactly the run
// `faultline run SCENARIO --set KEY=V ...` would make.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "harness/common/status.h"

namespace faultline {

/// One --vary: a scenario key and its values, in the order given.
struct VaryAxis {
  std::string key;                  // "load.rate"
  std::vector<std::string> values;  // "25", "50", ... as --set takes them
  std::string text;                 // the option as given, for messages
};

/// Parses "KEY=V1,V2,...". Invalid, naming the text: `--vary "load.rate":
/// expected KEY=V1,V2,...`, `--vary "load.rate=25,,50": empty value`.
StatusOr<VaryAxis> ParseVary(std::string_view text);

/// Parses every --vary of a sweep. Invalid as ParseVary, and when a key is
/// varied twice: `--vary "load.rate=40": load.rate is already varied by
/// --vary "load.rate=10,20"` (the last would win at every point).
StatusOr<std::vector<VaryAxis>> ParseVaryOptions(const std::vector<std::string>& texts);

/// One point of a sweep: a value per axis, in axis order.
using SweepSetting = std::vector<std::pair<std::string, std::string>>;

/// Every combination of the axes' values; the first axis varies fastest, so
/// consecutive points walk the first axis for each setting of the others.
std::vector<SweepSetting> SweepPoints(const std::vector<VaryAxis>& axes);

/// "load.rate=25" or "load.rate=25,variants[0].env.X=1": the --set overrides
/// of a point joined with ',' (for labels).
std::string SettingLabel(const SweepSetting& setting);

/// A folder name for a point: its label as FolderName makes it ("a/b c" as "a_b_c").
std::string SettingFolder(const SweepSetting& setting);

/// The folder names of `points`, in order: SettingFolder, with -2, -3 ...
/// added to a name an earlier point already has ("X=a/b" and "X=a_b"), so
/// no point writes over another's results.
std::vector<std::string> SettingFolders(const std::vector<SweepSetting>& points);

}  // namespace faultline
