// Diagnostics: the problems a scenario has, each with where it is, and the
// Reporter that collects them while the loader reads. Nothing here knows
// TOML: positions are plain line and column numbers.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace faultline {

/// One problem found in a scenario, with where it is.
struct Diagnostic {
  std::string file;     // path as given
  int line = 0;         // 1-based; 0 when unknown (e.g. a missing key)
  int column = 0;       // 1-based; 0 when unknown
  std::string key;      // key path, e.g. "phases[1].faults[0].kind"; may be empty
  std::string message;  // e.g. "unknown fault kind \"hnag\" (did you mean \"hang\"?)"
  /// A warning: the scenario is valid but something in it cannot do what it
  /// seems to (a check that cannot tell a good run from a bad one).
  enum class Severity { kError, kWarning };
  Severity severity = Severity::kError;

  /// "file:line:col: key: message" (parts that are unknown are left out);
  /// a warning reads "file:line:col: warning: key: message".
  std::string ToString() const;
};

/// Where something is written in the file; 0 for values set by --set.
struct SourcePos {
  int line = 0;
  int column = 0;
};

/// Collects the diagnostics of one load. Not thread-safe; one per load.
class Reporter {
 public:
  explicit Reporter(std::string file) : file_(std::move(file)) {}

  /// A problem in the file (or in a value --set put there) at `where`.
  void Error(SourcePos where, std::string key, std::string message);
  /// A problem with a --set path itself: reported with file "--set".
  void SetError(std::string key, std::string message);
  /// Something valid that cannot do what it seems to (warnings.h).
  void Warning(SourcePos where, std::string key, std::string message);

  /// No errors (warnings do not count).
  bool empty() const { return errors_.empty(); }

  /// --set path errors first, then the file's errors by position (errors in
  /// values set by --set have no position and come first among those);
  /// errors at the same position stay in the order they were reported.
  std::vector<Diagnostic> Sorted() &&;
  /// The warnings, by position; the Reporter keeps its errors.
  std::vector<Diagnostic> TakeWarnings();

 private:
  std::string file_;
  std::vector<Diagnostic> errors_;
  std::vector<Diagnostic> warnings_;
};

/// A number as messages and the reference print it: "5", "-0.5", "2.5",
/// "100.0000001": the shortest of %g, %.15g and %.17g that reads back exactly.
std::string FormatNumber(double v);

/// "a" + "b" = "a.b"; a key that is not a bare TOML key is quoted:
/// JoinKey("load.headers", "Content Type") = "load.headers.\"Content Type\"".
std::string JoinKey(const std::string& prefix, std::string_view key);

/// "phases" + 1 = "phases[1]".
std::string Indexed(const std::string& prefix, size_t i);

/// At least one decimal digit and nothing else.
bool IsDigits(std::string_view s);

/// "a, b, c": names joined as they are, unquoted.
std::string CommaList(const std::vector<std::string>& names);

/// " (did you mean \"rate\"?)" when a name is close (DidYouMean), else the
/// names to choose from: " (expected one of: rate, method, path)"; "" when
/// `names` is empty.
std::string DidYouMeanOrChoices(std::string_view got, const std::vector<std::string>& names);

/// Letters, digits, "_" and "-", at least one: a bare TOML key, and a valid
/// process name.
bool IsBareKey(std::string_view key);

}  // namespace faultline
