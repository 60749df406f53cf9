#include "harness/scenario/diagnostics.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <cstdio>
#include <utility>

#include "harness/common/text.h"

namespace faultline {

std::string Diagnostic::ToString() const {
  std::string out = file;
  if (line > 0) {
    out += ":" + std::to_string(line);
    if (column > 0) out += ":" + std::to_string(column);
  }
  if (severity == Severity::kWarning) out += (out.empty() ? "" : ": ") + std::string("warning");
  if (!key.empty()) out += (out.empty() ? "" : ": ") + key;
  out += (out.empty() ? "" : ": ") + message;
  return out;
}

// A key or value can be any length and hold any character (a quoted TOML
// key, a string value quoted in a message); a message stays one readable
// line.
constexpr size_t kMaxKeyBytes = 120, kMaxMessageBytes = 400;

namespace {

std::string OneLine(std::string_view s, size_t max) { return Elide(EscapeControl(s), max); }

}  // namespace

void Reporter::Error(SourcePos where, std::string key, std::string message) {
  errors_.push_back(Diagnostic{file_, where.line, where.column, OneLine(key, kMaxKeyBytes),
                               OneLine(message, kMaxMessageBytes)});
}

void Reporter::SetError(std::string key, std::string message) {
  errors_.push_back(
      Diagnostic{"--set", 0, 0, OneLine(key, kMaxKeyBytes), OneLine(message, kMaxMessageBytes)});
}

void Reporter::Warning(SourcePos where, std::string key, std::string message) {
  warnings_.push_back(Diagnostic{file_, where.line, where.column, EscapeControl(key),
                                 EscapeControl(message), Diagnostic::Severity::kWarning});
}

namespace {

void SortByPosition(std::vector<Diagnostic>* list) {
  std::stable_sort(list->begin(), list->end(), [](const Diagnostic& a, const Diagnostic& b) {
    const bool a_set = a.file == "--set", b_set = b.file == "--set";
    if (a_set != b_set) return a_set;
    if (a.line != b.line) return a.line < b.line;
    return a.column < b.column;
  });
}

}  // namespace

std::vector<Diagnostic> Reporter::Sorted() && {
  SortByPosition(&errors_);
  return std::move(errors_);
}

std::vector<Diagnostic> Reporter::TakeWarnings() {
  SortByPosition(&warnings_);
  return std::exchange(warnings_, {});
}

std::string FormatNumber(double v) {
  char buf[64];
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    std::snprintf(buf, sizeof buf, "%.0f", v);
  } else {
    // As short as it reads back exactly: 100.0000001 must not print as a
    // valid-looking 100 in "must be <= 100, got ...".
    for (const char* format : {"%g", "%.15g", "%.17g"}) {
      std::snprintf(buf, sizeof buf, format, v);
      if (std::strtod(buf, nullptr) == v) break;
    }
  }
  return buf;
}

bool IsBareKey(std::string_view key) {
  if (key.empty()) return false;
  for (char c : key) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') return false;
  }
  return true;
}

bool IsDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

std::string CommaList(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

std::string DidYouMeanOrChoices(std::string_view got, const std::vector<std::string>& names) {
  std::string hint = DidYouMean(got, names);
  if (hint.empty() && !names.empty()) hint = " (expected one of: " + CommaList(names) + ")";
  return hint;
}

std::string JoinKey(const std::string& prefix, std::string_view key) {
  std::string k = IsBareKey(key) ? std::string(key) : Quote(key);
  return prefix.empty() ? k : prefix + "." + k;
}

std::string Indexed(const std::string& prefix, size_t i) {
  return prefix + "[" + std::to_string(i) + "]";
}

}  // namespace faultline
