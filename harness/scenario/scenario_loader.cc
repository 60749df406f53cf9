// The only translation unit that includes toml++. It works in three steps:
// parse the text into a toml::table, apply --set overrides to that table, then
// walk it with the schema below, reading typed values into a Scenario and
// collecting every problem as a Diagnostic. Cross-references (phase names,
// dependencies, variables, metrics) are checked once everything is read.
#include "harness/scenario/scenario_loader.h"

#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "harness/common/units.h"
#include "harness/scenario/metrics.h"
#include "harness/scenario/variables.h"
#include "harness/scrape/prometheus.h"

namespace faultline {
namespace {

// ---------------------------------------------------------------------------
// The schema: which keys each table accepts. Unknown-key errors, --set path
// resolution and AcceptedKeyPaths() all come from these tables, and every
// typed read below goes through TableView::Get, which aborts on a key missing
// from them, so the reader cannot accept a key the schema (and the docs) lack.

enum class Shape {
  kValue,    // a scalar, or an array of scalars
  kTable,    // a table with its own schema
  kTables,   // an array of tables with a schema; --set can address one by name
  kStrings,  // a table of free-form keys with string values (env, headers, vars)
};

struct TableSchema;

struct Field {
  std::string_view name;
  Shape shape = Shape::kValue;
  const TableSchema* sub = nullptr;
};

struct TableSchema {
  std::string_view noun;  // one such table, in messages: "phase"
  std::vector<Field> fields;

  const Field* Find(std::string_view name) const {
    for (const Field& f : fields) {
      if (f.name == name) return &f;
    }
    return nullptr;
  }
  std::vector<std::string> Names() const {
    std::vector<std::string> names;
    for (const Field& f : fields) names.emplace_back(f.name);
    return names;
  }
};

const TableSchema& ReadySchema() {
  static const TableSchema s{"ready",
                             {{"kind"}, {"port"}, {"path"}, {"status"}, {"log_line"}, {"timeout"}}};
  return s;
}

const TableSchema& ScrapeSchema() {
  static const TableSchema s{
      "scrape", {{"port"}, {"path"}, {"timeout"}, {"metrics", Shape::kStrings}}};
  return s;
}

const TableSchema& TargetSchema() {
  static const TableSchema s{"target",
                             {{"name"},
                              {"argv"},
                              {"env", Shape::kStrings},
                              {"ready", Shape::kTable, &ReadySchema()},
                              {"stop_grace"},
                              {"base_url"},
                              {"scrape", Shape::kTable, &ScrapeSchema()}}};
  return s;
}

const TableSchema& DependencySchema() {
  static const TableSchema s{"dependency",
                             {{"name"},
                              {"argv"},
                              {"env", Shape::kStrings},
                              {"ready", Shape::kTable, &ReadySchema()},
                              {"stop_grace"},
                              {"proxy"}}};
  return s;
}

const TableSchema& VariantSchema() {
  static const TableSchema s{"variant", {{"name"}, {"expect"}, {"vars", Shape::kStrings}}};
  return s;
}

const TableSchema& LoadSchema() {
  static const TableSchema s{"load",
                             {{"rate"},
                              {"method"},
                              {"path"},
                              {"headers", Shape::kStrings},
                              {"body"},
                              {"timeout"},
                              {"max_in_flight"}}};
  return s;
}

const TableSchema& FaultSchema() {
  static const TableSchema s{"fault",
                             {{"kind"}, {"dependency"}, {"latency"}, {"jitter"}, {"direction"}}};
  return s;
}

const TableSchema& PhaseSchema() {
  static const TableSchema s{
      "phase", {{"name"}, {"duration"}, {"rate"}, {"faults", Shape::kTables, &FaultSchema()}}};
  return s;
}

const TableSchema& SamplingSchema() {
  static const TableSchema s{"sampling", {{"interval"}}};
  return s;
}

const TableSchema& CheckSchema() {
  static const TableSchema s{"check",
                             {{"name"},
                              {"kind"},
                              {"metric"},
                              {"phases"},
                              {"limit"},
                              {"percentile"},
                              {"after"},
                              {"within"},
                              {"tolerance"},
                              {"variants"}}};
  return s;
}

const TableSchema& TopSchema() {
  static const TableSchema s{"scenario",
                             {{"name"},
                              {"description"},
                              {"seed"},
                              {"baseline_phase"},
                              {"target", Shape::kTable, &TargetSchema()},
                              {"dependencies", Shape::kTables, &DependencySchema()},
                              {"variants", Shape::kTables, &VariantSchema()},
                              {"load", Shape::kTable, &LoadSchema()},
                              {"phases", Shape::kTables, &PhaseSchema()},
                              {"sampling", Shape::kTable, &SamplingSchema()},
                              {"checks", Shape::kTables, &CheckSchema()}}};
  return s;
}

void AddKeyPaths(const TableSchema& schema, const std::string& prefix,
                 std::vector<std::string>* out) {
  for (const Field& f : schema.fields) {
    const std::string path = prefix + std::string(f.name);
    switch (f.shape) {
      case Shape::kValue:
      case Shape::kStrings:
        out->push_back(path);
        break;
      case Shape::kTable:
        out->push_back(path);
        AddKeyPaths(*f.sub, path + ".", out);
        break;
      case Shape::kTables:
        out->push_back(path + "[]");
        AddKeyPaths(*f.sub, path + "[].", out);
        break;
    }
  }
}

// ---------------------------------------------------------------------------
// Small text helpers.

std::string Quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        out += c;
    }
  }
  return out + "\"";
}

std::string FormatNumber(double v) {
  char buf[64];
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    std::snprintf(buf, sizeof buf, "%.0f", v);
  } else {
    std::snprintf(buf, sizeof buf, "%g", v);
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

// "a" + "b" = "a.b"; free-form keys that are not bare TOML keys are quoted.
std::string JoinKey(const std::string& prefix, std::string_view key) {
  std::string k = IsBareKey(key) ? std::string(key) : Quote(key);
  return prefix.empty() ? k : prefix + "." + k;
}

std::string Indexed(const std::string& prefix, size_t i) {
  return prefix + "[" + std::to_string(i) + "]";
}

// Optimal string alignment distance: edits, with adjacent transpositions
// counted as one ("hnag" -> "hang" is 1).
size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

// " (did you mean "x"?)" for the closest candidate within
// max(2, len/3) edits, or "" when none is close.
std::string DidYouMean(std::string_view got, const std::vector<std::string>& candidates) {
  const size_t allowed = std::max<size_t>(2, got.size() / 3);
  const std::string* best = nullptr;
  size_t best_distance = 0;
  for (const std::string& c : candidates) {
    const size_t d = EditDistance(got, c);
    if (d > allowed || d >= std::max(got.size(), c.size())) continue;
    if (!best || d < best_distance) {
      best = &c;
      best_distance = d;
    }
  }
  return best ? " (did you mean " + Quote(*best) + "?)" : "";
}

// "\"a\", \"b\" or \"c\""
std::string OneOf(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += i + 1 == names.size() ? " or " : ", ";
    out += Quote(names[i]);
  }
  return out;
}

// "a, b, c"
std::string CommaList(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

// What a node is, for "expected X, got Y".
std::string Describe(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::string:
      return "string " + Quote(n.as_string()->get());
    case toml::node_type::integer:
      return "integer " + std::to_string(n.as_integer()->get());
    case toml::node_type::floating_point:
      return "float " + FormatNumber(n.as_floating_point()->get());
    case toml::node_type::boolean:
      return n.as_boolean()->get() ? "boolean true" : "boolean false";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::table:
      return "a table";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

bool IsName(std::string_view s) { return IsBareKey(s); }

bool IsDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c)) != 0;
  });
}

// ---------------------------------------------------------------------------
// Diagnostics.

class Reporter {
 public:
  explicit Reporter(std::string file) : file_(std::move(file)) {}

  void Error(const toml::source_region& where, std::string key, std::string message) {
    errors_.push_back(Diagnostic{file_, static_cast<int>(where.begin.line),
                                 static_cast<int>(where.begin.column), std::move(key),
                                 std::move(message)});
  }
  void SetError(std::string key, std::string message) {
    errors_.push_back(Diagnostic{"--set", 0, 0, std::move(key), std::move(message)});
  }

  bool empty() const { return errors_.empty(); }

  // --set path errors first, then the file's errors by position (errors in
  // values set by --set have no position and come first among those).
  std::vector<Diagnostic> Sorted() && {
    std::stable_sort(errors_.begin(), errors_.end(), [](const Diagnostic& a, const Diagnostic& b) {
      const bool a_set = a.file == "--set", b_set = b.file == "--set";
      if (a_set != b_set) return a_set;
      if (a.line != b.line) return a.line < b.line;
      return a.column < b.column;
    });
    return std::move(errors_);
  }

 private:
  std::string file_;
  std::vector<Diagnostic> errors_;
};

// A table being read against its schema. Construction reports unknown keys.
class TableView {
 public:
  TableView(Reporter& reporter, const toml::table& table, std::string path,
            const TableSchema& schema)
      : reporter_(reporter), table_(table), path_(std::move(path)), schema_(schema) {
    const std::vector<std::string> names = schema.Names();
    for (auto&& [key, value] : table) {
      if (schema.Find(key.str())) continue;
      std::string hint = DidYouMean(key.str(), names);
      if (hint.empty()) hint = " (expected one of: " + CommaList(names) + ")";
      reporter_.Error(key.source(), JoinKey(path_, key.str()),
                      "unknown key " + Quote(key.str()) + hint);
    }
  }

  /// The value of `key`, or null. `key` must be in the schema.
  const toml::node* Get(std::string_view key) const {
    if (!schema_.Find(key)) {
      std::fprintf(stderr, "scenario loader: key \"%.*s\" read but missing from the %.*s schema\n",
                   static_cast<int>(key.size()), key.data(), static_cast<int>(schema_.noun.size()),
                   schema_.noun.data());
      std::abort();
    }
    return table_.get(key);
  }

  std::string Path(std::string_view key) const { return JoinKey(path_, key); }
  const std::string& path() const { return path_; }
  const toml::source_region& Where() const { return table_.source(); }

  /// Where `key` itself is written (for errors about the key, not its value).
  toml::source_region KeyWhere(std::string_view key) const {
    for (auto&& [k, v] : table_) {
      if (k.str() == key) return k.source();
    }
    return Where();
  }

  void Missing(std::string_view key, const std::string& why = "") const {
    reporter_.Error(Where(), Path(key), "missing required key" + why);
  }

 private:
  Reporter& reporter_;
  const toml::table& table_;
  std::string path_;
  const TableSchema& schema_;
};

// ---------------------------------------------------------------------------
// The reader.

// A string that may hold ${...} variables, remembered for checking once every
// name is known.
struct VariableSite {
  std::string text;
  toml::source_region where;
  std::string key;
  bool target_argv_or_env = false;
};

// A named element (process, phase, variant), remembered for duplicate and
// reference checks.
struct NameSite {
  std::string name;
  std::string owner;  // "the target", "dependencies[0]", "phases[1]"
};

class ScenarioReader {
 public:
  ScenarioReader(Reporter& reporter, Scenario* scenario) : r_(reporter), s_(*scenario) {}

  void Read(const toml::table& root);

 private:
  // Typed reads. Each reports a type or range error and returns nullopt.
  std::optional<std::string> String(const toml::node& n, const std::string& key) {
    if (const auto* v = n.as_string()) return v->get();
    r_.Error(n.source(), key, "expected a string, got " + Describe(n));
    return std::nullopt;
  }

  std::optional<std::string> NonEmptyString(const toml::node& n, const std::string& key) {
    std::optional<std::string> v = String(n, key);
    if (v && v->empty()) {
      r_.Error(n.source(), key, "must not be empty");
      return std::nullopt;
    }
    return v;
  }

  std::optional<int64_t> Integer(const toml::node& n, const std::string& key) {
    if (const auto* v = n.as_integer()) return v->get();
    r_.Error(n.source(), key, "expected an integer, got " + Describe(n));
    return std::nullopt;
  }

  std::optional<double> Number(const toml::node& n, const std::string& key) {
    if (const auto* v = n.as_integer()) return static_cast<double>(v->get());
    if (const auto* v = n.as_floating_point()) {
      if (std::isfinite(v->get())) return v->get();
      r_.Error(n.source(), key, "expected a finite number, got " + Describe(n));
      return std::nullopt;
    }
    r_.Error(n.source(), key, "expected a number, got " + Describe(n));
    return std::nullopt;
  }

  std::optional<double> NonNegativeNumber(const toml::node& n, const std::string& key) {
    std::optional<double> v = Number(n, key);
    if (v && *v < 0) {
      r_.Error(n.source(), key, "must be >= 0, got " + FormatNumber(*v));
      return std::nullopt;
    }
    return v;
  }

  std::optional<bool> Bool(const toml::node& n, const std::string& key) {
    if (const auto* v = n.as_boolean()) return v->get();
    r_.Error(n.source(), key, "expected true or false, got " + Describe(n));
    return std::nullopt;
  }

  // Durations are strings with a unit; a bare number is ambiguous and refused.
  std::optional<Duration> DurationValue(const toml::node& n, const std::string& key) {
    const auto* v = n.as_string();
    if (!v) {
      r_.Error(n.source(), key, "expected a duration string like \"2s\", got " + Describe(n));
      return std::nullopt;
    }
    std::optional<Duration> d = ParseDurationText(v->get());
    if (!d) r_.Error(n.source(), key, duration_error_);
    return d;
  }

  std::optional<Duration> PositiveDuration(const toml::node& n, const std::string& key) {
    std::optional<Duration> d = DurationValue(n, key);
    if (d && d->count() <= 0) {
      r_.Error(n.source(), key, "must be longer than 0s, got " + Quote(n.as_string()->get()));
      return std::nullopt;
    }
    return d;
  }

  // Sets duration_error_ on failure.
  std::optional<Duration> ParseDurationText(const std::string& text) {
    if (!text.empty() && text[0] == '-') {
      duration_error_ = "a duration must not be negative, got " + Quote(text);
      return std::nullopt;
    }
    std::string why;
    std::optional<Duration> d = ParseDuration(text, &why);
    if (!d) duration_error_ = "invalid duration " + Quote(text) + ": " + why;
    return d;
  }

  std::optional<std::vector<std::string>> Strings(const toml::node& n, const std::string& key,
                                                  std::vector<const toml::node*>* nodes = nullptr) {
    const auto* arr = n.as_array();
    if (!arr) {
      r_.Error(n.source(), key, "expected an array of strings, got " + Describe(n));
      return std::nullopt;
    }
    std::vector<std::string> out;
    bool ok = true;
    for (size_t i = 0; i < arr->size(); ++i) {
      const toml::node& e = *arr->get(i);
      if (const auto* s = e.as_string()) {
        out.push_back(s->get());
        if (nodes) nodes->push_back(&e);
      } else {
        r_.Error(e.source(), Indexed(key, i), "expected a string, got " + Describe(e));
        ok = false;
      }
    }
    if (!ok) return std::nullopt;
    return out;
  }

  // A table of free-form keys. With `scalars_as_text`, integers, floats and
  // booleans become their text (variant vars); otherwise values must be strings.
  std::map<std::string, std::string> StringTable(const toml::node& n, const std::string& key,
                                                 bool scalars_as_text,
                                                 bool target_argv_or_env = false) {
    std::map<std::string, std::string> out;
    const auto* table = n.as_table();
    if (!table) {
      r_.Error(n.source(), key, "expected a table of strings, got " + Describe(n));
      return out;
    }
    for (auto&& [k, v] : *table) {
      const std::string entry_key = JoinKey(key, k.str());
      if (const auto* s = v.as_string()) {
        out[std::string(k.str())] = s->get();
        if (!scalars_as_text) Site(s->get(), v, entry_key, target_argv_or_env);
      } else if (scalars_as_text && v.is_integer()) {
        out[std::string(k.str())] = std::to_string(v.as_integer()->get());
      } else if (scalars_as_text && v.is_floating_point()) {
        std::ostringstream text;
        text << *v.as_floating_point();
        out[std::string(k.str())] = text.str();
      } else if (scalars_as_text && v.is_boolean()) {
        out[std::string(k.str())] = v.as_boolean()->get() ? "true" : "false";
      } else {
        r_.Error(v.source(), entry_key,
                 std::string(scalars_as_text ? "expected a string, number or boolean"
                                             : "expected a string") +
                     ", got " + Describe(v));
      }
    }
    return out;
  }

  template <typename E>
  std::optional<E> Enum(const toml::node& n, const std::string& key, std::string_view what,
                        std::initializer_list<E> values) {
    std::vector<std::string> names;
    for (E e : values) names.emplace_back(ToString(e));
    const auto* s = n.as_string();
    if (!s) {
      r_.Error(n.source(), key, "expected " + OneOf(names) + ", got " + Describe(n));
      return std::nullopt;
    }
    for (E e : values) {
      if (s->get() == ToString(e)) return e;
    }
    std::string hint = DidYouMean(s->get(), names);
    if (hint.empty()) hint = " (expected " + OneOf(names) + ")";
    r_.Error(n.source(), key, "unknown " + std::string(what) + " " + Quote(s->get()) + hint);
    return std::nullopt;
  }

  // Calls f(array element table, its key path) for each element of an array
  // of tables.
  template <typename F>
  void ForEachTable(const toml::node& n, const std::string& key, F f) {
    const auto* arr = n.as_array();
    if (!arr) {
      r_.Error(n.source(), key, "expected an array of tables, got " + Describe(n));
      return;
    }
    for (size_t i = 0; i < arr->size(); ++i) {
      const toml::node& e = *arr->get(i);
      if (const auto* t = e.as_table()) {
        f(*t, Indexed(key, i), i);
      } else {
        r_.Error(e.source(), Indexed(key, i), "expected a table, got " + Describe(e));
      }
    }
  }

  const toml::table* Table(const toml::node& n, const std::string& key) {
    if (const auto* t = n.as_table()) return t;
    r_.Error(n.source(), key, "expected a table, got " + Describe(n));
    return nullptr;
  }

  void Site(const std::string& text, const toml::node& n, const std::string& key,
            bool target_argv_or_env = false) {
    sites_.push_back(VariableSite{text, n.source(), key, target_argv_or_env});
  }

  // Reports `key` as not applying to `kind` when it is present.
  void OnlyFor(const TableView& t, std::string_view key, bool applies, const std::string& kinds,
               const char* kind) {
    if (applies || !t.Get(key)) return;
    r_.Error(t.KeyWhere(key), t.Path(key),
             Quote(key) + " only applies to " + kinds + ", not " + Quote(kind));
  }

  // Checks a reference to a phase by name.
  void PhaseRef(const std::string& name, const toml::node& n, const std::string& key) {
    for (const Phase& p : s_.phases) {
      if (p.name == name) return;
    }
    std::vector<std::string> names;
    for (const Phase& p : s_.phases) names.push_back(p.name);
    r_.Error(n.source(), key, "unknown phase " + Quote(name) + DidYouMean(name, names));
  }

  // Reports `name` if an earlier element of `seen` has it, then records it.
  void Unique(std::vector<NameSite>* seen, const std::string& what, const std::string& name,
              const std::string& owner, const toml::source_region& where, const std::string& key) {
    for (const NameSite& s : *seen) {
      if (s.name == name) {
        r_.Error(where, key, what + " name " + Quote(name) + " is already used by " + s.owner);
        return;
      }
    }
    seen->push_back(NameSite{name, owner});
  }

  void ReadProcess(const TableView& t, ProcessSpec* p, bool is_target);
  void ReadReady(const toml::table& table, const std::string& key, const std::string& process,
                 Readiness* ready);
  void ReadVariant(const toml::table& table, const std::string& key, Variant* v);
  void ReadLoad(const toml::table& table, const std::string& key);
  void ReadPhase(const toml::table& table, const std::string& key, Phase* phase);
  void ReadFault(const toml::table& table, const std::string& key, FaultSpec* fault);
  void ReadCheck(const toml::table& table, const std::string& key, CheckSpec* check);
  void ReadPort(const toml::node& n, const std::string& path, const std::string& process,
                std::string* port);
  bool ReadPath(const toml::node& n, const std::string& key, std::string* path);
  void ReadScrape(const toml::table& table, const std::string& key, const std::string& process,
                  ScrapeSpec* scrape);
  void CheckVariables();
  void NameChecks();

  Reporter& r_;
  Scenario& s_;
  std::string duration_error_;
  std::vector<VariableSite> sites_;
  std::vector<NameSite> processes_;
  std::vector<NameSite> phases_;
  std::vector<NameSite> variants_;
  // Where each dependency's `proxy = true` is written, for the unused-proxy error.
  std::map<std::string, std::pair<toml::source_region, std::string>> proxy_sites_;
  std::pair<toml::source_region, std::string> scrape_timeout_site_;  // where target.scrape.timeout was set
  std::vector<bool> check_has_name_;
};

void ScenarioReader::Read(const toml::table& root) {
  TableView top(r_, root, "", TopSchema());

  if (const toml::node* n = top.Get("name")) {
    if (auto v = NonEmptyString(*n, "name")) s_.name = *v;
  }
  if (const toml::node* n = top.Get("description")) {
    if (auto v = String(*n, "description")) s_.description = *v;
  }
  if (const toml::node* n = top.Get("seed")) {
    if (auto v = Integer(*n, "seed")) {
      if (*v < 0) {
        r_.Error(n->source(), "seed", "must be >= 0, got " + std::to_string(*v));
      } else {
        s_.seed = static_cast<uint64_t>(*v);
      }
    }
  }

  // Processes first: faults, metrics and variables refer to them.
  if (const toml::node* n = top.Get("target")) {
    if (const toml::table* t = Table(*n, "target")) {
      TableView view(r_, *t, "target", TargetSchema());
      ReadProcess(view, &s_.target, /*is_target=*/true);
    }
  } else {
    r_.Error(top.Where(), "target", "missing required table [target]");
  }
  if (const toml::node* n = top.Get("dependencies")) {
    ForEachTable(*n, "dependencies", [&](const toml::table& t, const std::string& key, size_t) {
      TableView view(r_, t, key, DependencySchema());
      ProcessSpec dep;
      ReadProcess(view, &dep, /*is_target=*/false);
      s_.dependencies.push_back(std::move(dep));
    });
  }

  if (const toml::node* n = top.Get("variants")) {
    ForEachTable(*n, "variants", [&](const toml::table& t, const std::string& key, size_t) {
      Variant v;
      ReadVariant(t, key, &v);
      s_.variants.push_back(std::move(v));
    });
  }
  if (s_.variants.empty()) {
    Variant v;
    v.name = "default";
    s_.variants.push_back(v);
    variants_.push_back(NameSite{"default", "the default variant"});
  }

  if (const toml::node* n = top.Get("load")) {
    if (const toml::table* t = Table(*n, "load")) ReadLoad(*t, "load");
  }

  if (const toml::node* n = top.Get("phases")) {
    ForEachTable(*n, "phases", [&](const toml::table& t, const std::string& key, size_t) {
      Phase phase;
      ReadPhase(t, key, &phase);
      s_.phases.push_back(std::move(phase));
    });
  }
  if (s_.phases.empty() && (!top.Get("phases") || top.Get("phases")->is_array())) {
    r_.Error(top.Where(), "phases", "at least one [[phases]] entry is required");
  }

  if (const toml::node* n = top.Get("baseline_phase")) {
    if (auto v = String(*n, "baseline_phase")) {
      s_.baseline_phase = *v;
      PhaseRef(*v, *n, "baseline_phase");
    }
  } else if (!s_.phases.empty()) {
    s_.baseline_phase = s_.phases.front().name;
  }

  if (const toml::node* n = top.Get("sampling")) {
    if (const toml::table* t = Table(*n, "sampling")) {
      TableView view(r_, *t, "sampling", SamplingSchema());
      if (const toml::node* i = view.Get("interval")) {
        if (auto d = DurationValue(*i, view.Path("interval"))) {
          if (*d < 10ms) {
            r_.Error(i->source(), view.Path("interval"),
                     "must be at least 10ms, got " + Quote(i->as_string()->get()));
          } else {
            s_.sampling.interval = *d;
          }
        }
      }
    }
  }

  if (const toml::node* n = top.Get("checks")) {
    ForEachTable(*n, "checks", [&](const toml::table& t, const std::string& key, size_t) {
      CheckSpec check;
      ReadCheck(t, key, &check);
      s_.checks.push_back(std::move(check));
    });
  }

  if (s_.target.scrape && s_.target.scrape->timeout >= s_.sampling.interval) {
    r_.Error(scrape_timeout_site_.first, scrape_timeout_site_.second.empty()
                                             ? "target.scrape.timeout"
                                             : scrape_timeout_site_.second,
             "must be shorter than sampling.interval (" +
                 FormatDuration(s_.sampling.interval) + "), got " +
                 FormatDuration(s_.target.scrape->timeout) +
                 ": a scrape must end before the next sample is due");
  }

  CheckVariables();
  NameChecks();
}

void ScenarioReader::ReadProcess(const TableView& t, ProcessSpec* p, bool is_target) {
  const std::string owner = is_target ? "the target" : t.path();
  if (is_target) p->name = "target";
  if (const toml::node* n = t.Get("name")) {
    if (auto v = String(*n, t.Path("name"))) {
      if (!IsName(*v)) {
        r_.Error(n->source(), t.Path("name"),
                 "invalid name " + Quote(*v) + ": use letters, digits, \"_\" and \"-\"");
      } else {
        p->name = *v;
        Unique(&processes_, "process", *v, owner, n->source(), t.Path("name"));
      }
    }
  } else if (is_target) {
    Unique(&processes_, "process", p->name, owner, t.Where(), t.Path("name"));
  } else {
    t.Missing("name");
  }

  if (const toml::node* n = t.Get("argv")) {
    std::vector<const toml::node*> nodes;
    if (auto v = Strings(*n, t.Path("argv"), &nodes)) {
      if (v->empty()) {
        r_.Error(n->source(), t.Path("argv"),
                 "expected a non-empty array of strings (the program and its arguments), got an "
                 "empty array");
      }
      for (size_t i = 0; i < v->size(); ++i) {
        Site((*v)[i], *nodes[i], Indexed(t.Path("argv"), i), is_target);
      }
      p->argv = std::move(*v);
    }
  } else {
    t.Missing("argv");
  }

  if (const toml::node* n = t.Get("env")) {
    p->env = StringTable(*n, t.Path("env"), /*scalars_as_text=*/false, is_target);
  }

  p->ready.port = "${port." + p->name + "}";
  if (const toml::node* n = t.Get("ready")) {
    if (const toml::table* rt = Table(*n, t.Path("ready"))) {
      ReadReady(*rt, t.Path("ready"), p->name, &p->ready);
    }
  }

  if (const toml::node* n = t.Get("stop_grace")) {
    if (auto d = DurationValue(*n, t.Path("stop_grace"))) p->stop_grace = *d;
  }

  if (is_target) {
    auto* target = static_cast<TargetSpec*>(p);
    target->base_url = "http://127.0.0.1:${port." + p->name + "}";
    if (const toml::node* n = t.Get("scrape")) {
      if (const toml::table* st = Table(*n, t.Path("scrape"))) {
        target->scrape.emplace();
        ReadScrape(*st, t.Path("scrape"), p->name, &*target->scrape);
      }
    }
    if (const toml::node* n = t.Get("base_url")) {
      if (auto v = String(*n, t.Path("base_url"))) {
        if (v->rfind("http://", 0) != 0) {
          r_.Error(n->source(), t.Path("base_url"),
                   "must start with \"http://\", got " + Quote(*v));
        } else {
          target->base_url = *v;
          Site(*v, *n, t.Path("base_url"), /*target_argv_or_env=*/true);  // load sent through the proxy
        }
      }
    }
  } else if (const toml::node* n = t.Get("proxy")) {
    if (auto v = Bool(*n, t.Path("proxy"))) {
      p->proxy = *v;
      if (*v) proxy_sites_[p->name] = {t.KeyWhere("proxy"), t.Path("proxy")};
    }
  }
}

void ScenarioReader::ReadReady(const toml::table& table, const std::string& key,
                               const std::string& process, Readiness* ready) {
  using Kind = Readiness::Kind;
  TableView t(r_, table, key, ReadySchema());
  bool known = true;
  if (const toml::node* n = t.Get("kind")) {
    auto k = Enum(*n, t.Path("kind"), "ready kind", {Kind::kTcp, Kind::kHttp, Kind::kLogLine});
    if (k) ready->kind = *k;
    known = k.has_value();
  }
  const char* kind = ToString(ready->kind);
  if (known) {
    OnlyFor(t, "port", ready->kind != Kind::kLogLine, "kinds \"tcp\" and \"http\"", kind);
    OnlyFor(t, "path", ready->kind == Kind::kHttp, "kind \"http\"", kind);
    OnlyFor(t, "status", ready->kind == Kind::kHttp, "kind \"http\"", kind);
    OnlyFor(t, "log_line", ready->kind == Kind::kLogLine, "kind \"log\"", kind);
  }

  if (const toml::node* n = t.Get("port")) ReadPort(*n, t.Path("port"), process, &ready->port);

  if (const toml::node* n = t.Get("path")) ReadPath(*n, t.Path("path"), &ready->path);

  if (const toml::node* n = t.Get("status")) {
    if (auto v = Integer(*n, t.Path("status"))) {
      if (*v < 100 || *v > 599) {
        r_.Error(n->source(), t.Path("status"),
                 "expected an HTTP status 100..599, got " + std::to_string(*v));
      } else {
        ready->status = static_cast<int>(*v);
      }
    }
  }

  if (const toml::node* n = t.Get("log_line")) {
    if (auto v = NonEmptyString(*n, t.Path("log_line"))) ready->log_line = *v;
  } else if (known && ready->kind == Kind::kLogLine) {
    t.Missing("log_line", " for kind \"log\"");
  }

  if (const toml::node* n = t.Get("timeout")) {
    if (auto d = PositiveDuration(*n, t.Path("timeout"))) ready->timeout = *d;
  }
}

void ScenarioReader::ReadPort(const toml::node& n, const std::string& path,
                              const std::string& process, std::string* port) {
    if (const auto* i = n.as_integer()) {
      if (i->get() < 1 || i->get() > 65535) {
        r_.Error(n.source(), path,
                 "expected a port number 1..65535, got " + std::to_string(i->get()));
      } else {
        *port = std::to_string(i->get());
      }
    } else if (const auto* s = n.as_string()) {
      const std::string& text = s->get();
      const bool has_variable = text.find("${") != std::string::npos;
      const bool is_number =
          IsDigits(text) && text.size() <= 5 && std::stoi(text) >= 1 && std::stoi(text) <= 65535;
      if (!has_variable && !is_number) {
        r_.Error(n.source(), path,
                 "expected a port number 1..65535 or a variable like \"${port." + process +
                     "}\", got " + Quote(text));
      } else {
        *port = text;
        Site(text, n, path);
      }
    } else {
      r_.Error(n.source(), path,
               "expected a port number or a string like \"${port." + process + "}\", got " +
                   Describe(n));
    }
}

// An HTTP path: a string starting with "/". False (with an error) otherwise.
bool ScenarioReader::ReadPath(const toml::node& n, const std::string& key, std::string* path) {
  auto v = String(n, key);
  if (!v) return false;
  if (v->empty() || (*v)[0] != '/') {
    r_.Error(n.source(), key, "must start with \"/\", got " + Quote(*v));
    return false;
  }
  *path = *v;
  return true;
}

void ScenarioReader::ReadScrape(const toml::table& table, const std::string& key,
                                const std::string& process, ScrapeSpec* scrape) {
  TableView t(r_, table, key, ScrapeSchema());
  scrape->port = "${port." + process + "}";
  if (const toml::node* n = t.Get("port")) ReadPort(*n, t.Path("port"), process, &scrape->port);
  if (const toml::node* n = t.Get("path")) ReadPath(*n, t.Path("path"), &scrape->path);
  if (const toml::node* n = t.Get("timeout")) {
    if (auto d = PositiveDuration(*n, t.Path("timeout"))) {
      scrape->timeout = *d;
      scrape_timeout_site_ = {n->source(), t.Path("timeout")};
    }
  }
  if (const toml::node* n = t.Get("metrics")) {
    scrape->metrics = StringTable(*n, t.Path("metrics"), /*scalars_as_text=*/false);
    const toml::table* mt = n->as_table();
    for (const auto& [name, selector] : scrape->metrics) {
      const toml::node* entry = mt ? mt->get(name) : nullptr;
      const toml::source_region where = entry ? entry->source() : n->source();
      const std::string entry_key = JoinKey(t.Path("metrics"), name);
      const auto& builtin = BuiltinMetrics();
      if (std::find(builtin.begin(), builtin.end(), name) != builtin.end() ||
          name.rfind("upstream.", 0) == 0) {
        r_.Error(where, entry_key, Quote(name) + " is a built-in metric; choose another name");
      }
      auto parsed = ParseSelector(selector);
      if (!parsed.ok()) r_.Error(where, entry_key, parsed.status().message());
    }
    if (scrape->metrics.empty()) {
      r_.Error(n->source(), t.Path("metrics"),
               "names no metric: add entries like goroutines = \"go_goroutines\"");
    }
  } else {
    t.Missing("metrics");
  }
}

void ScenarioReader::ReadVariant(const toml::table& table, const std::string& key, Variant* v) {
  TableView t(r_, table, key, VariantSchema());
  if (const toml::node* n = t.Get("name")) {
    if (auto name = NonEmptyString(*n, t.Path("name"))) {
      v->name = *name;
      Unique(&variants_, "variant", *name, key, n->source(), t.Path("name"));
    }
  } else {
    t.Missing("name");
  }
  if (const toml::node* n = t.Get("expect")) {
    if (auto e = Enum(*n, t.Path("expect"), "expectation",
                      {Variant::Expect::kPass, Variant::Expect::kFail})) {
      v->expect = *e;
    }
  }
  if (const toml::node* n = t.Get("vars")) {
    v->vars = StringTable(*n, t.Path("vars"), /*scalars_as_text=*/true);
    if (v->vars.count("name")) {
      const toml::table& vars = *n->as_table();
      r_.Error(vars.get("name")->source(), JoinKey(t.Path("vars"), "name"),
               "\"name\" is reserved: ${variant.name} is the variant's name");
      v->vars.erase("name");
    }
  }
}

bool IsHttpToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (std::isalnum(static_cast<unsigned char>(c))) continue;
    if (std::strchr("!#$%&'*+-.^_`|~", c) == nullptr || c == '\0') return false;
  }
  return true;
}

void ScenarioReader::ReadLoad(const toml::table& table, const std::string& key) {
  TableView t(r_, table, key, LoadSchema());
  LoadSpec& load = s_.load;
  if (const toml::node* n = t.Get("rate")) {
    if (auto v = NonNegativeNumber(*n, t.Path("rate"))) load.rate = *v;
  }
  if (const toml::node* n = t.Get("method")) {
    if (auto v = String(*n, t.Path("method"))) {
      if (!IsHttpToken(*v)) {
        r_.Error(n->source(), t.Path("method"),
                 "expected an HTTP method like \"GET\" or \"POST\", got " + Quote(*v));
      } else {
        load.method = *v;
      }
    }
  }
  if (const toml::node* n = t.Get("path")) {
    if (ReadPath(*n, t.Path("path"), &load.path)) Site(load.path, *n, t.Path("path"));
  }
  if (const toml::node* n = t.Get("headers")) {
    load.headers = StringTable(*n, t.Path("headers"), /*scalars_as_text=*/false);
  }
  if (const toml::node* n = t.Get("body")) {
    if (auto v = String(*n, t.Path("body"))) {
      load.body = *v;
      Site(*v, *n, t.Path("body"));
    }
  }
  if (const toml::node* n = t.Get("timeout")) {
    if (auto d = PositiveDuration(*n, t.Path("timeout"))) load.timeout = *d;
  }
  if (const toml::node* n = t.Get("max_in_flight")) {
    if (auto v = Integer(*n, t.Path("max_in_flight"))) {
      if (*v < 1) {
        r_.Error(n->source(), t.Path("max_in_flight"), "must be >= 1, got " + std::to_string(*v));
      } else {
        load.max_in_flight = static_cast<uint64_t>(*v);
      }
    }
  }
}

void ScenarioReader::ReadPhase(const toml::table& table, const std::string& key, Phase* phase) {
  TableView t(r_, table, key, PhaseSchema());
  if (const toml::node* n = t.Get("name")) {
    if (auto v = NonEmptyString(*n, t.Path("name"))) {
      phase->name = *v;
      Unique(&phases_, "phase", *v, key, n->source(), t.Path("name"));
    }
  } else {
    t.Missing("name");
  }
  if (const toml::node* n = t.Get("duration")) {
    if (auto d = PositiveDuration(*n, t.Path("duration"))) phase->duration = *d;
  } else {
    t.Missing("duration");
  }
  if (const toml::node* n = t.Get("rate")) {
    if (auto v = NonNegativeNumber(*n, t.Path("rate"))) phase->rate = *v;
  }
  if (const toml::node* n = t.Get("faults")) {
    ForEachTable(*n, t.Path("faults"), [&](const toml::table& ft, const std::string& fkey, size_t) {
      FaultSpec fault;
      ReadFault(ft, fkey, &fault);
      phase->faults.push_back(std::move(fault));
    });
  }
}

void ScenarioReader::ReadFault(const toml::table& table, const std::string& key, FaultSpec* fault) {
  using Kind = FaultSpec::Kind;
  TableView t(r_, table, key, FaultSchema());
  bool known = false;
  if (const toml::node* n = t.Get("kind")) {
    auto k = Enum(*n, t.Path("kind"), "fault kind",
                  {Kind::kLatency, Kind::kHang, Kind::kReset, Kind::kRefuse});
    if (k) fault->kind = *k;
    known = k.has_value();
  } else {
    t.Missing("kind");
  }
  const bool latency = known && fault->kind == Kind::kLatency;
  if (known) {
    const char* kind = ToString(fault->kind);
    OnlyFor(t, "latency", latency, "kind \"latency\"", kind);
    OnlyFor(t, "jitter", latency, "kind \"latency\"", kind);
    OnlyFor(t, "direction", latency, "kind \"latency\"", kind);
  }

  if (const toml::node* n = t.Get("dependency")) {
    if (auto v = String(*n, t.Path("dependency"))) {
      fault->dependency = *v;
      const ProcessSpec* dep = nullptr;
      std::vector<std::string> names;
      for (const ProcessSpec& d : s_.dependencies) {
        names.push_back(d.name);
        if (d.name == *v) dep = &d;
      }
      if (!dep) {
        r_.Error(n->source(), t.Path("dependency"),
                 "unknown dependency " + Quote(*v) + DidYouMean(*v, names));
      } else if (!dep->proxy) {
        r_.Error(n->source(), t.Path("dependency"),
                 "dependency " + Quote(*v) +
                     " has no fault proxy (set proxy = true in its [[dependencies]] entry)");
      }
    }
  } else {
    t.Missing("dependency");
  }

  bool have_latency = false;
  if (const toml::node* n = t.Get("latency")) {
    if (auto d = DurationValue(*n, t.Path("latency"))) {
      fault->latency = *d;
      have_latency = true;
    }
  } else if (latency) {
    t.Missing("latency", " for kind \"latency\"");
  }
  if (const toml::node* n = t.Get("jitter")) {
    if (auto d = DurationValue(*n, t.Path("jitter"))) {
      fault->jitter = *d;
      if (have_latency && *d > fault->latency) {
        r_.Error(n->source(), t.Path("jitter"),
                 "jitter " + FormatDuration(*d) + " is larger than latency " +
                     FormatDuration(fault->latency));
      }
    }
  }
  if (const toml::node* n = t.Get("direction")) {
    using Dir = FaultSpec::Direction;
    if (auto d = Enum(*n, t.Path("direction"), "direction",
                      {Dir::kDownstream, Dir::kUpstream, Dir::kBoth})) {
      fault->direction = *d;
    }
  }
}

// "20MiB" -> bytes; error text in *why.
std::optional<double> SizeValue(const std::string& text, std::string* why) {
  std::optional<uint64_t> v = ParseSize(text, why);
  if (!v) return std::nullopt;
  return static_cast<double>(*v);
}

void ScenarioReader::ReadCheck(const toml::table& table, const std::string& key, CheckSpec* check) {
  using Kind = CheckSpec::Kind;
  TableView t(r_, table, key, CheckSchema());
  bool known = false;
  if (const toml::node* n = t.Get("kind")) {
    auto k = Enum(*n, t.Path("kind"), "check kind",
                  {Kind::kMax, Kind::kGrowth, Kind::kRate, Kind::kRecovers, Kind::kLatency,
                   Kind::kErrorRatio});
    if (k) check->kind = *k;
    known = k.has_value();
  } else {
    t.Missing("kind");
  }
  const bool has_metric =
      known && check->kind != Kind::kLatency && check->kind != Kind::kErrorRatio;
  const bool recovers = known && check->kind == Kind::kRecovers;
  const bool is_latency = known && check->kind == Kind::kLatency;
  if (known) {
    const char* kind = ToString(check->kind);
    OnlyFor(t, "metric", has_metric, "kinds \"max\", \"growth\", \"rate\" and \"recovers\"", kind);
    OnlyFor(t, "percentile", is_latency, "kind \"latency\"", kind);
    // recovers has no window and is judged by `within`: a limit or phases
    // there would be silently ignored.
    const std::string not_recovers =
        "kinds \"max\", \"growth\", \"rate\", \"latency\" and \"error_ratio\"";
    OnlyFor(t, "phases", !recovers, not_recovers, kind);
    OnlyFor(t, "limit", !recovers, not_recovers, kind);
    OnlyFor(t, "after", recovers, "kind \"recovers\"", kind);
    OnlyFor(t, "within", recovers, "kind \"recovers\"", kind);
    OnlyFor(t, "tolerance", recovers, "kind \"recovers\"", kind);
  }

  if (const toml::node* n = t.Get("name")) {
    if (auto v = NonEmptyString(*n, t.Path("name"))) check->name = *v;
  }
  check_has_name_.push_back(!check->name.empty());

  if (const toml::node* n = t.Get("metric")) {
    if (auto v = String(*n, t.Path("metric"))) {
      check->metric = *v;
      const std::vector<std::string> metrics = ScenarioMetrics(s_);
      if (std::find(metrics.begin(), metrics.end(), *v) == metrics.end()) {
        std::string hint = DidYouMean(*v, metrics);
        if (hint.empty()) hint = " (known metrics: " + CommaList(metrics) + ")";
        r_.Error(n->source(), t.Path("metric"), "unknown metric " + Quote(*v) + hint);
      }
    }
  } else if (has_metric) {
    t.Missing("metric", std::string(" for kind ") + Quote(ToString(check->kind)));
  }

  if (const toml::node* n = t.Get("phases")) {
    std::vector<const toml::node*> nodes;
    if (auto v = Strings(*n, t.Path("phases"), &nodes)) {
      for (size_t i = 0; i < v->size(); ++i) {
        PhaseRef((*v)[i], *nodes[i], Indexed(t.Path("phases"), i));
      }
      check->phases = std::move(*v);
    }
  }

  if (const toml::node* n = t.Get("limit"); n && !recovers) {
    const std::string k = t.Path("limit");
    if (const auto* s = n->as_string()) {
      std::string why;
      if (auto d = ParseDurationText(s->get())) {
        check->limit = ToSeconds(*d);
      } else if (is_latency) {
        r_.Error(n->source(), k,
                 "expected a duration string like \"250ms\" or a number of seconds, got " +
                     Describe(*n));
      } else if (auto b = SizeValue(s->get(), &why)) {
        check->limit = *b;
      } else {
        r_.Error(n->source(), k,
                 "expected a number, a duration like \"2s\" or a size like \"20MiB\", got " +
                     Describe(*n));
      }
    } else if (n->is_number()) {
      if (auto v = Number(*n, k)) check->limit = *v;
    } else {
      r_.Error(n->source(), k,
               std::string(is_latency ? "expected a duration string like \"250ms\" or a number of "
                                        "seconds"
                                      : "expected a number, a duration like \"2s\" or a size like "
                                        "\"20MiB\"") +
                   ", got " + Describe(*n));
    }
  } else if (known && !recovers) {
    t.Missing("limit", std::string(" for kind ") + Quote(ToString(check->kind)));
  }

  if (const toml::node* n = t.Get("percentile")) {
    if (auto v = Number(*n, t.Path("percentile"))) {
      if (*v <= 0 || *v > 100) {
        r_.Error(n->source(), t.Path("percentile"),
                 "must be > 0 and <= 100, got " + FormatNumber(*v));
      } else {
        check->percentile = *v;
      }
    }
  }

  if (const toml::node* n = t.Get("after")) {
    if (auto v = String(*n, t.Path("after"))) {
      check->after = *v;
      PhaseRef(*v, *n, t.Path("after"));
    }
  } else if (recovers) {
    t.Missing("after", " for kind \"recovers\"");
  }

  if (const toml::node* n = t.Get("within")) {
    if (auto d = PositiveDuration(*n, t.Path("within"))) check->within = *d;
  }

  if (const toml::node* n = t.Get("tolerance")) {
    const std::string k = t.Path("tolerance");
    if (const auto* s = n->as_string()) {
      std::string why;
      if (auto b = SizeValue(s->get(), &why)) {
        check->tolerance = *b;
      } else {
        r_.Error(n->source(), k, "invalid size " + Quote(s->get()) + ": " + why);
      }
    } else if (n->is_number()) {
      if (auto v = NonNegativeNumber(*n, k)) check->tolerance = *v;
    } else {
      r_.Error(n->source(), k, "expected a number or a size like \"1MiB\", got " + Describe(*n));
    }
  }

  if (const toml::node* n = t.Get("variants")) {
    std::vector<const toml::node*> nodes;
    if (auto v = Strings(*n, t.Path("variants"), &nodes)) {
      std::vector<std::string> names;
      for (const Variant& var : s_.variants) names.push_back(var.name);
      for (size_t i = 0; i < v->size(); ++i) {
        if (std::find(names.begin(), names.end(), (*v)[i]) == names.end()) {
          r_.Error(nodes[i]->source(), Indexed(t.Path("variants"), i),
                   "unknown variant " + Quote((*v)[i]) + DidYouMean((*v)[i], names));
        }
      }
      check->variants = std::move(*v);
    }
  }
}

// Every ${...} names something that will exist in every variant; every fault
// proxy is reachable by the target.
void ScenarioReader::CheckVariables() {
  std::vector<std::string> known;
  known.push_back("port." + s_.target.name);
  for (const ProcessSpec& d : s_.dependencies) known.push_back("port." + d.name);
  for (const ProcessSpec& d : s_.dependencies) {
    if (d.proxy) known.push_back("proxy." + d.name);
  }
  known.push_back("variant.name");
  // variant.K: defined by every variant, or by some (an error naming the rest).
  std::map<std::string, std::vector<std::string>> lacking;
  std::set<std::string> all_keys;
  for (const Variant& v : s_.variants) {
    for (const auto& [k, value] : v.vars) all_keys.insert(k);
  }
  for (const std::string& k : all_keys) {
    for (const Variant& v : s_.variants) {
      if (!v.vars.count(k)) lacking[k].push_back(v.name);
    }
    if (lacking[k].empty()) known.push_back("variant." + k);
  }

  std::set<std::string> target_refs;
  for (const VariableSite& site : sites_) {
    std::map<std::string, std::string> placeholders;
    std::vector<std::string> refs = ReferencedVariables(site.text);
    for (const std::string& name : refs) placeholders[name] = "";
    StatusOr<std::string> syntax = ExpandVariables(site.text, placeholders);
    if (!syntax.ok()) r_.Error(site.where, site.key, syntax.status().message());

    std::set<std::string> reported;
    for (const std::string& name : refs) {
      if (site.target_argv_or_env) target_refs.insert(name);
      if (!reported.insert(name).second) continue;
      if (std::find(known.begin(), known.end(), name) != known.end()) continue;
      if (name.rfind("variant.", 0) == 0) {
        auto it = lacking.find(name.substr(8));
        if (it != lacking.end() && !it->second.empty()) {
          const std::vector<std::string>& missing = it->second;
          std::string who = missing.size() == 1 ? "variant " : "variants ";
          for (size_t i = 0; i < missing.size(); ++i) {
            if (i > 0) who += i + 1 == missing.size() ? " and " : ", ";
            who += Quote(missing[i]);
          }
          r_.Error(site.where, site.key,
                   "variable " + Quote(name) + " is not defined by " + who +
                       " (every variant must set " + Quote(name.substr(8)) + " in vars)");
          continue;
        }
      }
      if (name.rfind("variant.", 0) == 0) {
        // Compared with the vars keys only: "variant.mode" is no typo of "variant.name".
        std::vector<std::string> keys;
        for (const std::string& k : known) {
          if (k.rfind("variant.", 0) == 0 && k != "variant.name") keys.push_back(k);
        }
        r_.Error(site.where, site.key,
                 "unknown variable " + Quote(name) + ": no variant sets " + Quote(name.substr(8)) +
                     " in vars" + DidYouMean(name, keys));
        continue;
      }
      r_.Error(site.where, site.key, "unknown variable " + Quote(name) + DidYouMean(name, known));
    }
  }

  for (const auto& [dep, where] : proxy_sites_) {
    if (target_refs.count("proxy." + dep)) continue;
    r_.Error(where.first, where.second,
             "the fault proxy in front of " + Quote(dep) + " is never used: reference ${proxy." +
                 dep + "} in the target's argv, env or base_url");
  }
}

// Default check names: readable, and unique among all checks.
void ScenarioReader::NameChecks() {
  std::set<std::string> taken;
  for (size_t i = 0; i < s_.checks.size(); ++i) {
    if (check_has_name_[i]) taken.insert(s_.checks[i].name);
  }
  for (size_t i = 0; i < s_.checks.size(); ++i) {
    if (check_has_name_[i]) continue;
    CheckSpec& c = s_.checks[i];
    std::string window;
    for (const std::string& p : c.phases) window += (window.empty() ? "" : ", ") + p;
    if (window.empty()) window = "the whole run";
    std::string name;
    switch (c.kind) {
      case CheckSpec::Kind::kMax:
      case CheckSpec::Kind::kGrowth:
      case CheckSpec::Kind::kRate:
        name = std::string(ToString(c.kind)) + " " + c.metric + " over " + window;
        break;
      case CheckSpec::Kind::kRecovers:
        name = c.metric + " recovers within " + FormatDuration(c.within) + " after " + c.after;
        break;
      case CheckSpec::Kind::kLatency:
        name = "p" + FormatNumber(c.percentile) + " latency over " + window;
        break;
      case CheckSpec::Kind::kProcess:  // not accepted in scenarios
      case CheckSpec::Kind::kErrorRatio:
        name = "error_ratio over " + window;
        break;
    }
    std::string unique = name;
    for (int n = 2; taken.count(unique); ++n) unique = name + " (" + std::to_string(n) + ")";
    taken.insert(unique);
    c.name = unique;
  }
}

// ---------------------------------------------------------------------------
// --set overrides, applied to the parsed table before it is read.

struct PathSegment {
  std::string name;
  std::optional<size_t> index;
};

std::optional<std::vector<PathSegment>> SplitPath(const std::string& path) {
  std::vector<PathSegment> segments;
  size_t start = 0;
  while (true) {
    const size_t dot = path.find('.', start);
    std::string part =
        path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    PathSegment seg;
    const size_t open = part.find('[');
    if (open != std::string::npos) {
      if (part.back() != ']' || open + 2 > part.size() - 1) return std::nullopt;
      const std::string digits = part.substr(open + 1, part.size() - open - 2);
      if (!IsDigits(digits) || digits.size() > 9) {
        return std::nullopt;
      }
      seg.index = static_cast<size_t>(std::stoul(digits));
      part = part.substr(0, open);
    }
    if (part.empty()) return std::nullopt;
    seg.name = part;
    segments.push_back(seg);
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return segments;
}

// The value of an override: a TOML value when "v = <text>" parses as exactly
// that, else the text as a string. In a table that holds only strings (env,
// headers, vars) only a quoted TOML string is unquoted: DEBUG=1 means "1".
// Copies carry no source position.
void SetValue(toml::table* table, const std::string& key, const std::string& text,
              bool strings_only = false) {
  try {
    toml::table parsed = toml::parse("v = " + text, std::string_view("--set"));
    if (parsed.size() == 1 && parsed.get("v") && (!strings_only || parsed.get("v")->is_string())) {
      parsed.get("v")->visit([&](const auto& node) {
        std::remove_cvref_t<decltype(node)> copy(node);
        table->insert_or_assign(key, std::move(copy));
      });
      return;
    }
  } catch (const toml::parse_error&) {
  }
  table->insert_or_assign(key, text);
}

void ApplyOverride(toml::table* root, const std::string& override, Reporter* r) {
  const size_t eq = override.find('=');
  if (eq == std::string::npos || eq == 0) {
    r->SetError(override, "expected key.path=value");
    return;
  }
  const std::string path = override.substr(0, eq);
  const std::string value = override.substr(eq + 1);
  std::optional<std::vector<PathSegment>> segments = SplitPath(path);
  if (!segments) {
    r->SetError(path,
                "malformed key path (use dotted keys, names or [index]: phases.hang.duration, "
                "phases[1].duration)");
    return;
  }

  toml::table* table = root;
  const TableSchema* schema = &TopSchema();  // null inside a free-form table
  std::string where;                         // the path so far, for messages
  for (size_t i = 0; i < segments->size(); ++i) {
    const PathSegment& seg = (*segments)[i];
    const bool last = i + 1 == segments->size();
    const std::string here = JoinKey(where, seg.name);
    if (!schema) {
      if (seg.index || !last) {
        r->SetError(path, Quote(where) + " holds strings: " + Quote(seg.name) + " has no parts");
        return;
      }
      SetValue(table, seg.name, value, /*strings_only=*/true);
      return;
    }
    const Field* field = schema->Find(seg.name);
    if (!field) {
      r->SetError(path, "unknown key " + Quote(seg.name) + (where.empty() ? "" : " in " + where) +
                            DidYouMean(seg.name, schema->Names()));
      return;
    }
    if (seg.index && field->shape != Shape::kTables) {
      r->SetError(path, Quote(here) + " is not an array of tables");
      return;
    }
    if (field->shape == Shape::kValue) {
      if (!last) {
        r->SetError(path, Quote(here) + " is a value, not a table");
        return;
      }
      SetValue(table, seg.name, value);
      return;
    }
    if (last && !seg.index) {  // replaces a whole table or array
      SetValue(table, seg.name, value);
      return;
    }
    if (field->shape == Shape::kTable || field->shape == Shape::kStrings) {
      toml::node* existing = table->get(seg.name);
      if (!existing) {
        table->insert_or_assign(seg.name, toml::table{});
        existing = table->get(seg.name);
      }
      if (!existing->is_table()) {
        r->SetError(path, Quote(here) + " is not a table in the file");
        return;
      }
      table = existing->as_table();
      schema = field->shape == Shape::kTable ? field->sub : nullptr;
      where = here;
      continue;
    }
    // An array of tables: by [index], or by the name in the next segment.
    toml::array* arr = table->get(seg.name) ? table->get(seg.name)->as_array() : nullptr;
    const std::string noun(field->sub->noun);
    toml::table* element = nullptr;
    std::string element_path;
    if (seg.index) {
      const size_t count = arr ? arr->size() : 0;
      if (*seg.index >= count) {
        r->SetError(path, "no " + here + "[" + std::to_string(*seg.index) + "]: there " +
                              (count == 1 ? "is " : "are ") + std::to_string(count) + " " + noun +
                              (count == 1 ? "" : "s") + " in the file");
        return;
      }
      element = arr->get(*seg.index)->as_table();
      element_path = Indexed(here, *seg.index);
    } else {
      const std::string& name = (*segments)[i + 1].name;
      std::vector<std::string> names;
      for (size_t j = 0; arr && j < arr->size(); ++j) {
        const toml::table* t = arr->get(j)->as_table();
        const toml::node* n = t ? t->get("name") : nullptr;
        if (!n || !n->is_string()) continue;
        names.push_back(n->as_string()->get());
        if (names.back() == name && !element) element = arr->get(j)->as_table();
      }
      if (!element) {
        r->SetError(path, "no " + noun + " named " + Quote(name) + DidYouMean(name, names));
        return;
      }
      element_path = JoinKey(here, name);
      ++i;
    }
    if (!element) {
      r->SetError(path, Quote(element_path) + " is not a table in the file");
      return;
    }
    if (i + 1 == segments->size()) {
      r->SetError(path, "name a key inside " + element_path + ", like " + element_path + "." +
                            std::string(field->sub->fields[1].name));
      return;
    }
    table = element;
    schema = field->sub;
    where = element_path;
  }
}

}  // namespace

std::string Diagnostic::ToString() const {
  std::string out = file;
  if (line > 0) {
    out += ":" + std::to_string(line);
    if (column > 0) out += ":" + std::to_string(column);
  }
  if (!key.empty()) out += (out.empty() ? "" : ": ") + key;
  out += (out.empty() ? "" : ": ") + message;
  return out;
}

LoadOutcome LoadScenarioText(std::string_view text, const std::string& path,
                             const std::vector<std::string>& overrides) {
  LoadOutcome outcome;
  toml::table root;
  try {
    root = toml::parse(text, std::string_view(path));
  } catch (const toml::parse_error& e) {
    // Nothing after a syntax error can be trusted, so it is reported alone.
    std::string message(e.description());
    if (!message.empty()) message[0] = static_cast<char>(std::tolower(message[0]));
    while (!message.empty() && (message.back() == '.' || message.back() == '\n'))
      message.pop_back();
    outcome.errors.push_back(Diagnostic{path, static_cast<int>(e.source().begin.line),
                                        static_cast<int>(e.source().begin.column), "", message});
    return outcome;
  }

  Reporter reporter(path);
  for (const std::string& o : overrides) ApplyOverride(&root, o, &reporter);

  Scenario scenario;
  scenario.path = path;
  scenario.source = std::string(text);
  scenario.name = std::filesystem::path(path).stem().string();
  ScenarioReader(reporter, &scenario).Read(root);

  if (reporter.empty()) {
    outcome.scenario = std::move(scenario);
  } else {
    outcome.errors = std::move(reporter).Sorted();
  }
  return outcome;
}

LoadOutcome LoadScenarioFile(const std::string& path, const std::vector<std::string>& overrides) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    LoadOutcome outcome;
    outcome.errors.push_back(
        Diagnostic{path, 0, 0, "", std::string("cannot read the file: ") + std::strerror(errno)});
    return outcome;
  }
  std::ostringstream text;
  text << in.rdbuf();
  return LoadScenarioText(text.str(), path, overrides);
}

std::vector<std::string> AcceptedKeyPaths() {
  std::vector<std::string> paths;
  AddKeyPaths(TopSchema(), "", &paths);
  return paths;
}

}  // namespace faultline
