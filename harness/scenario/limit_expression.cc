#include "harness/scenario/limit_expression.h"

#include <charconv>
#include <cmath>
#include <optional>
#include <vector>

#include "harness/common/text.h"
#include "harness/common/units.h"
#include "harness/scenario/diagnostics.h"

namespace faultline {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::optional<double> PlainNumber(std::string_view s) {
  double v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

// What a factor may be: "a number, a duration or a size", with "${KEY}" when
// `variable` (for an empty factor, where a variable would do too).
std::string Expected(LimitUnits units, bool variable = false) {
  std::vector<std::string> kinds = {"a number"};
  if (units != LimitUnits::kNone) kinds.push_back("a duration");
  if (units == LimitUnits::kAll) kinds.push_back("a size");
  if (variable) kinds.push_back("${KEY}");
  std::string out = kinds.front();
  for (size_t i = 1; i < kinds.size(); ++i)
    out += (i + 1 == kinds.size() ? " or " : ", ") + kinds[i];
  return out;
}

// One factor's value; Invalid naming it when it is none of what `units` allows.
StatusOr<double> Factor(std::string_view token, const std::map<std::string, double>& variables,
                        LimitUnits units, double time_unit_s) {
  const bool variable = token.substr(0, 2) == "${" && token.find('}') == token.size() - 1;
  if (token.substr(0, 2) == "${" && token.find('}') == std::string_view::npos)
    return Status::Invalid("unclosed \"${\" in " + Quote(token));
  if (variable) {
    const std::string name(token.substr(2, token.size() - 3));
    if (name.empty()) return Status::Invalid("empty variable name \"${}\"");
    if (auto it = variables.find(name); it != variables.end()) return it->second;
    std::vector<std::string> names;
    for (const auto& [key, value] : variables) names.push_back(key);
    return Status::Invalid("unknown variable " + Quote(token) + DidYouMeanOrChoices(name, names));
  }
  if (std::optional<double> v = PlainNumber(token)) return *v;
  if (units != LimitUnits::kNone) {
    if (std::optional<Duration> d = ParseDuration(token)) return ToSeconds(*d) / time_unit_s;
  }
  if (units == LimitUnits::kAll) {
    if (std::optional<uint64_t> b = ParseSize(token)) return static_cast<double>(*b);
  }
  return Status::Invalid(Quote(token) + " is not " + Expected(units));
}

}  // namespace

std::map<std::string, double> LimitVariables(const Scenario& s, double time_unit_s) {
  std::map<std::string, double> out = {
      {"load.rate", s.load.rate * time_unit_s},
      {"load.timeout", ToSeconds(s.load.timeout) / time_unit_s},
      {"load.max_in_flight", static_cast<double>(s.load.max_in_flight)},
      {"sampling.interval", ToSeconds(s.sampling.interval) / time_unit_s},
  };
  for (const Phase& p : s.phases) {
    if (p.name.empty()) continue;
    out["phases." + p.name + ".duration"] = ToSeconds(p.duration) / time_unit_s;
    out["phases." + p.name + ".rate"] = p.rate.value_or(s.load.rate) * time_unit_s;
  }
  return out;
}

bool IsLimitExpression(std::string_view text) {
  return text.find("${") != std::string_view::npos ||
         text.find_first_of("*/") != std::string_view::npos;
}

StatusOr<double> EvaluateLimitExpression(std::string_view text,
                                         const std::map<std::string, double>& variables,
                                         LimitUnits units, double time_unit_s) {
  double value = 1;
  char op = '*';             // the operator before the factor being read
  std::string_view before;   // the text of the operator, for messages: "" at the start
  size_t start = 0;
  while (true) {
    // A factor runs to the next operator outside "${...}".
    size_t end = start;
    bool in_variable = false;
    for (; end < text.size(); ++end) {
      if (!in_variable && text.compare(end, 2, "${") == 0) in_variable = true;
      if (in_variable && text[end] == '}') in_variable = false;
      if (!in_variable && (text[end] == '*' || text[end] == '/')) break;
    }
    const std::string_view token = Trim(text.substr(start, end - start));
    if (token.empty()) {
      return Status::Invalid("expected " + Expected(units, /*variable=*/true) + " " +
                             (before.empty() ? std::string("before ") + Quote(text.substr(end, 1))
                                             : "after " + Quote(before)));
    }
    StatusOr<double> factor = Factor(token, variables, units, time_unit_s);
    if (!factor.ok()) return factor.status();
    if (op == '/') {
      if (*factor == 0) return Status::Invalid("division by zero: " + Quote(token) + " is 0");
      value /= *factor;
    } else {
      value *= *factor;
    }
    if (end >= text.size()) break;
    op = text[end];
    before = text.substr(end, 1);
    start = end + 1;
  }
  if (!std::isfinite(value) || value < 0)
    return Status::Invalid("comes to " + FormatNumber(value) +
                           ": a limit must be a finite number >= 0");
  return value;
}

}  // namespace faultline
