#include "harness/compare/sweep_plan.h"

#include <algorithm>

namespace faultline {

StatusOr<VaryAxis> ParseVary(std::string_view text) {
  const std::string quoted = "--vary \"" + std::string(text) + "\"";
  const auto eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0 || eq + 1 == text.size())
    return Status::Invalid(quoted + ": expected KEY=V1,V2,...");
  VaryAxis axis;
  axis.key = std::string(text.substr(0, eq));
  std::string_view rest = text.substr(eq + 1);
  while (true) {
    const auto comma = rest.find(',');
    std::string_view v = rest.substr(0, comma);
    if (v.empty()) return Status::Invalid(quoted + ": empty value");
    if (std::find(axis.values.begin(), axis.values.end(), v) != axis.values.end())
      return Status::Invalid(quoted + ": " + std::string(v) + " is given twice");
    axis.values.emplace_back(v);
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  return axis;
}

std::vector<SweepSetting> SweepPoints(const std::vector<VaryAxis>& axes) {
  std::vector<SweepSetting> out = {{}};
  // Build from the last axis inwards so that the first one varies fastest.
  for (auto axis = axes.rbegin(); axis != axes.rend(); ++axis) {
    std::vector<SweepSetting> next;
    for (const auto& outer : out)
      for (const auto& v : axis->values) {
        SweepSetting s = {{axis->key, v}};
        s.insert(s.end(), outer.begin(), outer.end());
        next.push_back(std::move(s));
      }
    out = std::move(next);
  }
  return axes.empty() ? std::vector<SweepSetting>{} : out;
}

std::string SettingLabel(const SweepSetting& setting) {
  std::string s;
  for (const auto& [k, v] : setting) s += (s.empty() ? "" : ",") + k + "=" + v;
  return s;
}

std::string SettingFolder(const SweepSetting& setting) {
  std::string s = SettingLabel(setting);
  for (auto& c : s)
    if (c == '/' || c == ' ') c = '_';
  return s;
}

}  // namespace faultline
