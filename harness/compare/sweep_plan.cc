#include "harness/compare/sweep_plan.h"

#include <algorithm>
#include <set>

#include "harness/common/file.h"

namespace faultline {
namespace {

// Where the value starting `rest` ends: the first ',' outside brackets,
// braces and quoted strings (a TOML array or inline table is one value:
// `["a","b"],["c"]` is two), or npos at the end. Invalid when a bracket,
// brace or quote is still open at the end.
StatusOr<size_t> ValueEnd(std::string_view rest) {
  int depth = 0;
  char quote = 0;  // '"' or '\'' while inside a string
  for (size_t i = 0; i < rest.size(); ++i) {
    const char c = rest[i];
    if (quote) {
      if (c == '\\' && quote == '"') ++i;  // an escaped character, a quote too
      else if (c == quote) quote = 0;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '[' || c == '{') {
      ++depth;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    } else if (c == ',' && depth == 0) {
      return i;
    }
  }
  if (quote) return Status::Invalid(std::string("a ") + quote + " is not closed");
  if (depth > 0) return Status::Invalid("a [ or { is not closed");
  return std::string_view::npos;
}

}  // namespace

StatusOr<VaryAxis> ParseVary(std::string_view text) {
  const std::string quoted = "--vary \"" + std::string(text) + "\"";
  const auto eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0 || eq + 1 == text.size())
    return Status::Invalid(quoted + ": expected KEY=V1,V2,...");
  VaryAxis axis;
  axis.key = std::string(text.substr(0, eq));
  axis.text = std::string(text);
  std::string_view rest = text.substr(eq + 1);
  while (true) {
    const StatusOr<size_t> end = ValueEnd(rest);
    if (!end.ok()) return Status::Invalid(quoted + ": " + end.status().message());
    const size_t comma = *end;
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

StatusOr<std::vector<VaryAxis>> ParseVaryOptions(const std::vector<std::string>& texts) {
  std::vector<VaryAxis> axes;
  for (const auto& text : texts) {
    StatusOr<VaryAxis> axis = ParseVary(text);
    if (!axis.ok()) return axis.status();
    for (const auto& earlier : axes)
      if (earlier.key == axis->key)
        return Status::Invalid("--vary \"" + text + "\": " + axis->key +
                               " is already varied by --vary \"" + earlier.text + "\"");
    axes.push_back(std::move(*axis));
  }
  return axes;
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
  return FolderName(SettingLabel(setting), "point");
}

std::vector<std::string> SettingFolders(const std::vector<SweepSetting>& points) {
  std::vector<std::string> out;
  std::set<std::string> taken;
  for (const auto& point : points) {
    const std::string base = SettingFolder(point);
    std::string name = base;
    for (int n = 2; !taken.insert(name).second; ++n) name = base + "-" + std::to_string(n);
    out.push_back(name);
  }
  return out;
}

}  // namespace faultline
