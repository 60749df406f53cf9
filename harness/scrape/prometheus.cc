#include "harness/scrape/prometheus.h"

#include <charconv>
#include <cmath>
#include <cstdint>

namespace faultline {
namespace {

bool IsLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsSpace(char c) { return c == ' ' || c == '\t'; }

/// A read position in one line (or one selector).
class Cursor {
 public:
  explicit Cursor(std::string_view text) : text_(text) {}
  bool done() const { return pos_ >= text_.size(); }
  char peek() const { return done() ? '\0' : text_[pos_]; }
  void SkipSpace() {
    while (!done() && IsSpace(text_[pos_])) ++pos_;
  }
  char Next() { return done() ? '\0' : text_[pos_++]; }
  bool Consume(char c) {
    if (done() || text_[pos_] != c) return false;
    ++pos_;
    return true;
  }
  /// Metric names may contain ':', label names may not; neither starts with
  /// a digit. Empty when there is no name here.
  std::string_view Name(bool allow_colon) {
    size_t start = pos_;
    while (!done()) {
      char c = text_[pos_];
      bool ok = IsLetter(c) || (allow_colon && c == ':') || (pos_ > start && IsDigit(c));
      if (!ok) break;
      ++pos_;
    }
    return text_.substr(start, pos_ - start);
  }
  /// Up to the next space or tab.
  std::string_view Token() {
    size_t start = pos_;
    while (!done() && !IsSpace(text_[pos_])) ++pos_;
    return text_.substr(start, pos_ - start);
  }

 private:
  std::string_view text_;
  size_t pos_ = 0;
};

std::string Quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

/// Every label of `wanted` has its value in `labels`. As in PromQL, a label
/// the sample lacks has the empty value, so `{code=""}` picks the samples
/// without a `code` label.
bool HasLabels(const std::map<std::string, std::string>& labels,
               const std::map<std::string, std::string>& wanted) {
  for (const auto& [key, value] : wanted) {
    auto it = labels.find(key);
    if ((it == labels.end() ? std::string_view() : std::string_view(it->second)) != value) {
      return false;
    }
  }
  return true;
}

/// Parses `{name="value",...}` (trailing comma allowed) with the cursor on
/// the '{'. Returns the reason on malformed input.
std::optional<std::string> ParseLabels(Cursor& c, std::map<std::string, std::string>& labels) {
  c.Consume('{');
  for (;;) {
    c.SkipSpace();
    if (c.done()) return "unclosed label set (missing '}')";
    if (c.Consume('}')) return std::nullopt;
    std::string name(c.Name(/*allow_colon=*/false));
    if (name.empty()) return std::string("expected a label name, got '") + c.peek() + "'";
    c.SkipSpace();
    if (!c.Consume('=')) return "expected '=' after label " + Quote(name);
    c.SkipSpace();
    if (!c.Consume('"')) return "expected '\"' to open the value of label " + Quote(name);
    std::string value;
    for (;;) {
      if (c.done()) return "unclosed quote in the value of label " + Quote(name);
      char ch = c.Next();
      if (ch == '"') break;
      if (ch == '\\' && !c.done()) {
        char esc = c.Next();
        // The format defines \\, \" and \n; keep any other pair as written.
        if (esc == 'n') {
          value += '\n';
        } else if (esc == '\\' || esc == '"') {
          value += esc;
        } else {
          value += '\\';
          value += esc;
        }
        continue;
      }
      value += ch;
    }
    if (!labels.emplace(name, std::move(value)).second) return "duplicate label " + Quote(name);
    c.SkipSpace();
    if (c.Consume(',')) continue;
    if (c.peek() != '}') {
      if (c.done()) return "unclosed label set (missing '}')";
      return "expected ',' or '}' after label " + Quote(name);
    }
  }
}

/// Go's strconv.ParseFloat forms that Prometheus writes: decimals, exponents,
/// NaN, +Inf, -Inf.
std::optional<double> ParseValue(std::string_view token) {
  if (token.size() > 1 && token[0] == '+' && token[1] != '-') token.remove_prefix(1);
  double value = 0;
  auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), value);
  if (ec != std::errc() || end != token.data() + token.size()) return std::nullopt;
  return value;
}

/// A timestamp: integer milliseconds (text format 0.0.4) or OpenMetrics'
/// seconds with a fraction ("1700000000.250"); finite either way.
bool IsTimestamp(std::string_view token) {
  double ts = 0;
  auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), ts);
  return ec == std::errc() && end == token.data() + token.size() && std::isfinite(ts);
}

/// An OpenMetrics exemplar after its " # ": `{labels} value [timestamp]`.
/// Validated and dropped; returns the reason on malformed input.
std::optional<std::string> ParseExemplar(Cursor& c) {
  c.SkipSpace();
  if (c.peek() != '{') return "exemplar: expected '{' after \" # \"";
  std::map<std::string, std::string> labels;
  if (auto err = ParseLabels(c, labels)) return "exemplar: " + *err;
  c.SkipSpace();
  std::string_view value = c.Token();
  if (value.empty()) return std::string("exemplar: missing value");
  if (!ParseValue(value)) return "exemplar: bad value " + Quote(value);
  c.SkipSpace();
  if (c.done()) return std::nullopt;
  std::string_view ts = c.Token();
  if (!IsTimestamp(ts)) return "exemplar: bad timestamp " + Quote(ts);
  c.SkipSpace();
  if (!c.done()) return "exemplar: unexpected text after the timestamp: " + Quote(c.Token());
  return std::nullopt;
}

std::optional<std::string> ParseSampleLine(std::string_view line, PromSample& sample,
                                           bool* labels_read) {
  Cursor c(line);
  c.SkipSpace();
  sample.name = std::string(c.Name(/*allow_colon=*/true));
  if (sample.name.empty() || !(c.done() || IsSpace(c.peek()) || c.peek() == '{')) {
    sample.name.clear();
    Cursor whole(line);
    whole.SkipSpace();
    return "invalid metric name " + Quote(whole.Token());
  }
  c.SkipSpace();
  if (c.peek() == '{') {
    if (auto err = ParseLabels(c, sample.labels)) return err;
    c.SkipSpace();
  }
  *labels_read = true;
  std::string_view value_token = c.Token();
  if (value_token.empty()) return "missing value after " + Quote(sample.name);
  auto value = ParseValue(value_token);
  if (!value) return "bad value " + Quote(value_token);
  sample.value = *value;
  c.SkipSpace();
  if (c.done()) return std::nullopt;
  std::string_view token = c.Token();
  if (token != "#") {
    if (!IsTimestamp(token)) return "bad timestamp " + Quote(token);
    c.SkipSpace();
    if (c.done()) return std::nullopt;
    token = c.Token();
    if (token != "#") return "unexpected text after the timestamp: " + Quote(token);
  }
  return ParseExemplar(c);
}

}  // namespace

PromParse ParsePrometheusText(std::string_view text) {
  PromParse parse;
  size_t line_number = 0;
  while (!text.empty()) {
    ++line_number;
    size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);

    size_t first = line.find_first_not_of(" \t");
    if (first == std::string_view::npos || line[first] == '#') continue;
    PromSample sample;
    bool labels_read = false;
    if (auto err = ParseSampleLine(line, sample, &labels_read)) {
      parse.errors.push_back("line " + std::to_string(line_number) + ": " + *err);
      parse.unparsed.push_back(
          PromUnparsed{std::move(sample.name), std::move(sample.labels), labels_read});
      continue;
    }
    parse.samples.push_back(std::move(sample));
  }
  return parse;
}

StatusOr<MetricSelector> ParseSelector(std::string_view text) {
  auto invalid = [&](const std::string& why) {
    return Status::Invalid("metric selector " + Quote(text) + ": " + why);
  };
  MetricSelector selector;
  Cursor c(text);
  c.SkipSpace();
  selector.name = std::string(c.Name(/*allow_colon=*/true));
  if (selector.name.empty()) return invalid("expected a metric name");
  c.SkipSpace();
  if (c.peek() == '{') {
    if (auto err = ParseLabels(c, selector.labels)) return invalid(*err);
    c.SkipSpace();
  }
  if (!c.done()) return invalid("unexpected text " + Quote(c.Token()));
  return selector;
}

std::optional<double> Select(const PromParse& parse, const MetricSelector& selector) {
  std::optional<double> sum;
  for (const PromSample& sample : parse.samples) {
    if (sample.name == selector.name && HasLabels(sample.labels, selector.labels)) {
      sum = sum.value_or(0) + sample.value;
    }
  }
  return sum;
}

const std::string* UnparsedMatch(const PromParse& parse, const MetricSelector& selector) {
  for (size_t i = 0; i < parse.unparsed.size() && i < parse.errors.size(); ++i) {
    const PromUnparsed& line = parse.unparsed[i];
    if (line.name != selector.name) continue;
    if (!line.labels_read || HasLabels(line.labels, selector.labels)) return &parse.errors[i];
  }
  return nullptr;
}

}  // namespace faultline
