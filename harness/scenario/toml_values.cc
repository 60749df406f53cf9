#include "harness/scenario/toml_values.h"

#include <cctype>
#include <cmath>
#include <cstring>

#include "harness/common/text.h"

namespace faultline {

SourcePos Pos(const toml::source_region& where) {
  // A key or value that came from a --set has no place in the file (the
  // copies of its table's keys keep their positions in the --set text).
  if (where.path && *where.path == "--set") return SourcePos{};
  return SourcePos{static_cast<int>(where.begin.line), static_cast<int>(where.begin.column)};
}

Diagnostic SyntaxError(const toml::parse_error& e, const std::string& path) {
  std::string message(e.description());
  if (!message.empty()) message[0] = static_cast<char>(std::tolower(message[0]));
  while (!message.empty() && (message.back() == '.' || message.back() == '\n')) message.pop_back();
  // "[phases]" twice, or mixed with "[[phases]]": the usual cause.
  for (const char* what : {"redefine existing table '", "redefine existing array '"}) {
    const size_t at = message.find(what);
    if (at == std::string::npos) continue;
    const size_t start = at + std::strlen(what), end = message.find('\'', start);
    if (end != std::string::npos) message += ArrayOfTablesHint(message.substr(start, end - start));
    break;
  }
  const SourcePos where = Pos(e.source());
  // toml++ quotes what it saw as it is: a newline would break the line.
  return Diagnostic{path, where.line, where.column, "", EscapeControl(message)};
}

std::string ArrayOfTablesHint(std::string_view key) {
  const schema::Key* k = schema::FindKey(schema::kScenarioSchema, key);
  if (!k || k->type != schema::Type::kTables) return "";
  const std::string name(key);
  return " (write [[" + name + "]] before each entry, not [" + name + "])";
}

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

std::optional<Duration> ParseDurationValue(const std::string& text, std::string* error) {
  if (!text.empty() && text[0] == '-') {
    *error = "a duration must not be negative, got " + Quote(text);
    return std::nullopt;
  }
  std::string why;
  std::optional<Duration> d = ParseDuration(text, &why);
  if (!d) *error = "invalid duration " + Quote(text) + ": " + why;
  return d;
}

std::optional<uint64_t> ParseRateValue(const std::string& text, std::string* error) {
  const std::string_view t(text);
  const std::string_view per = "/s";
  if (t.size() <= per.size() || t.substr(t.size() - per.size()) != per) {
    *error = "invalid rate " + Quote(text) + ": expected a size per second like \"1MB/s\"";
    return std::nullopt;
  }
  if (t[0] == '-') {
    *error = "a rate must not be negative, got " + Quote(text);
    return std::nullopt;
  }
  std::string why;
  std::optional<uint64_t> bytes = ParseSize(t.substr(0, t.size() - per.size()), &why);
  if (!bytes) {
    *error = "invalid rate " + Quote(text) + ": " + why;
  } else if (*bytes == 0) {
    *error = "a rate must be more than 0 bytes per second, got " + Quote(text);
    return std::nullopt;
  }
  return bytes;
}

TableView::TableView(Reporter& reporter, const toml::table& table, std::string path,
                     const schema::TableSchema& schema)
    : reporter_(reporter), table_(table), path_(std::move(path)), schema_(schema) {
  // An unknown key is offered the keys its table's kind takes, when the
  // kind reads.
  std::optional<int> kind;
  if (const auto* k = schema.kinds ? table["kind"].as_string() : nullptr) {
    if (const schema::Choice* c = schema::FindChoice(*schema.kinds, k->get())) kind = c->value;
  }
  const std::vector<std::string> names = schema::KeyNames(schema, kind);
  for (auto&& [key, value] : table) {
    if (schema::FindKey(schema, key.str())) continue;
    reporter_.Error(Pos(key.source()), JoinKey(path_, key.str()),
                    "unknown key " + Quote(key.str()) + DidYouMeanOrChoices(key.str(), names));
  }
}

void TableView::SetKind(int kind) {
  kind_ = kind;
  const schema::Choice* choice = schema::FindChoice(*schema_.kinds, kind);
  for (const schema::Key& k : schema_.keys) {
    if (schema::Contains(k.applies, kind) || !table_.get(k.name)) continue;
    reporter_.Error(KeyWhere(k.name), JoinKey(path_, k.name),
                    Quote(k.name) + " only applies to " +
                        schema::KindPhrase(*schema_.kinds, k.applies) + ", not " +
                        Quote(choice->name));
  }
}

const toml::node* TableView::Present(const schema::Key& k) const {
  const toml::node* n = table_.get(k.name);
  if (n) return n;
  if (k.required == schema::kAllKinds) {
    if (k.type == schema::Type::kTable) {
      reporter_.Error(Where(), JoinKey(path_, k.name),
                      "missing required table [" + JoinKey(path_, k.name) + "]");
    } else if (k.type != schema::Type::kTables) {  // "at least one": its reader says so
      reporter_.Error(Where(), JoinKey(path_, k.name), "missing required key");
    }
  } else if (kind_ && schema::Contains(k.required, *kind_)) {
    reporter_.Error(Where(), JoinKey(path_, k.name),
                    "missing required key for kind " +
                        Quote(schema::FindChoice(*schema_.kinds, *kind_)->name));
  }
  return nullptr;
}

SourcePos TableView::KeyWhere(std::string_view key) const {
  for (auto&& [k, v] : table_) {
    if (k.str() == key) return Pos(k.source());
  }
  return Where();
}

void TableView::Error(const toml::node& n, const schema::Key& k, std::string message) const {
  reporter_.Error(Pos(n.source()), JoinKey(path_, k.name), std::move(message));
}

std::optional<std::string> TableView::Text(const schema::Key& k, const toml::node& n) const {
  const auto* s = n.as_string();
  if (!s) {
    Error(n, k, "expected a string, got " + Describe(n));
    return std::nullopt;
  }
  const std::string& v = s->get();
  switch (k.type) {
    case schema::Type::kNonEmptyString:
      if (v.empty()) {
        Error(n, k, "must not be empty");
        return std::nullopt;
      }
      break;
    case schema::Type::kName:
      if (!IsBareKey(v)) {
        Error(n, k, "invalid name " + Quote(v) + ": use letters, digits, \"_\" and \"-\"");
        return std::nullopt;
      }
      break;
    case schema::Type::kHttpPath:
      if (v.empty() || v[0] != '/') {
        Error(n, k, "must start with \"/\", got " + Quote(v));
        return std::nullopt;
      }
      if (HasSpaceOrControl(v)) {  // it would end the request line early
        Error(n, k, "a path must not hold spaces or control characters (encode a space as "
                    "%20), got " + Quote(v));
        return std::nullopt;
      }
      break;
    default:
      break;
  }
  return v;
}

std::optional<int64_t> TableView::Integer(const schema::Key& k, const toml::node& n) const {
  const auto* v = n.as_integer();
  if (!v) {
    Error(n, k, "expected an integer, got " + Describe(n));
    return std::nullopt;
  }
  if (k.min && v->get() < *k.min) {
    Error(n, k, "must be >= " + std::to_string(*k.min) + ", got " + std::to_string(v->get()));
    return std::nullopt;
  }
  if (k.max && v->get() > *k.max) {
    Error(n, k, "must be <= " + std::to_string(*k.max) + ", got " + std::to_string(v->get()));
    return std::nullopt;
  }
  return v->get();
}

std::optional<double> TableView::Number(const schema::Key& k, const toml::node& n) const {
  double v = 0;
  if (const auto* i = n.as_integer()) {
    v = static_cast<double>(i->get());
  } else if (const auto* f = n.as_floating_point()) {
    if (!std::isfinite(f->get())) {
      Error(n, k, "expected a finite number, got " + Describe(n));
      return std::nullopt;
    }
    v = f->get();
  } else {
    Error(n, k, "expected a number, got " + Describe(n));
    return std::nullopt;
  }
  if (k.type == schema::Type::kNonNegativeNumber && v < 0) {
    Error(n, k, "must be >= 0, got " + FormatNumber(v));
    return std::nullopt;
  }
  if (k.max && v > static_cast<double>(*k.max)) {
    Error(n, k, "must be <= " + std::to_string(*k.max) + ", got " + FormatNumber(v));
    return std::nullopt;
  }
  if (k.type == schema::Type::kFraction && (v < 0 || v > 1)) {
    Error(n, k, "must be between 0 and 1, got " + FormatNumber(v));
    return std::nullopt;
  }
  return v;
}

std::optional<bool> TableView::Bool(const schema::Key& k, const toml::node& n) const {
  if (const auto* v = n.as_boolean()) return v->get();
  Error(n, k, "expected true or false, got " + Describe(n));
  return std::nullopt;
}

// Durations are strings with a unit; a bare number is ambiguous and refused.
std::optional<Duration> TableView::DurationOf(const schema::Key& k, const toml::node& n) const {
  const auto* s = n.as_string();
  if (!s) {
    Error(n, k, "expected a duration string like \"2s\", got " + Describe(n));
    return std::nullopt;
  }
  std::string error;
  std::optional<Duration> d = ParseDurationValue(s->get(), &error);
  if (!d) {
    Error(n, k, error);
  } else if (k.type == schema::Type::kPositiveDuration && d->count() <= 0) {
    Error(n, k, "must be longer than 0s, got " + Quote(s->get()));
    return std::nullopt;
  }
  return d;
}

// A rate is a string "1MB/s"; a size an integer number of bytes or a string
// with a unit ("64KiB").
std::optional<uint64_t> TableView::Bytes(const schema::Key& k, const toml::node& n) const {
  const bool rate = k.type == schema::Type::kRate;
  if (const auto* i = n.as_integer(); i && !rate) {
    if (i->get() < 0) {
      Error(n, k, "a size must not be negative, got " + std::to_string(i->get()));
      return std::nullopt;
    }
    return static_cast<uint64_t>(i->get());
  }
  const auto* s = n.as_string();
  if (!s) {
    Error(n, k, std::string(rate ? "expected a rate string like \"1MB/s\"" :
                                   "expected a number of bytes or a size like \"64KiB\"") +
                    ", got " + Describe(n));
    return std::nullopt;
  }
  std::string error;
  std::optional<uint64_t> v;
  if (rate) {
    v = ParseRateValue(s->get(), &error);
  } else if (!s->get().empty() && s->get()[0] == '-') {
    error = "a size must not be negative, got " + Quote(s->get());
  } else {
    std::string why;
    v = ParseSize(s->get(), &why);
    if (!v) error = "invalid size " + Quote(s->get()) + ": " + why;
  }
  if (!v) Error(n, k, error);
  return v;
}

std::optional<int64_t> TableView::Read(schema::Field<schema::FaultValue> f, FaultSpec::Main main) {
  const toml::node* n = Present(*f.key);
  if (!n) return std::nullopt;
  schema::Key as = *f.key;  // read as the main value's own type, with its messages
  switch (main) {
    case FaultSpec::Main::kLatency:
    case FaultSpec::Main::kDelay:
    case FaultSpec::Main::kTimeout: {
      as.type = schema::Type::kDuration;
      std::optional<Duration> d = DurationOf(as, *n);
      if (!d) return std::nullopt;
      return d->count();
    }
    case FaultSpec::Main::kRate:
    case FaultSpec::Main::kBytes: {
      as.type = main == FaultSpec::Main::kRate ? schema::Type::kRate : schema::Type::kSize;
      std::optional<uint64_t> b = Bytes(as, *n);
      if (!b) return std::nullopt;
      if (*b > static_cast<uint64_t>(INT64_MAX)) {
        Error(*n, as, "too large");
        return std::nullopt;
      }
      return static_cast<int64_t>(*b);
    }
    case FaultSpec::Main::kNone:
      break;
  }
  return std::nullopt;
}

std::optional<std::vector<std::string>> TableView::Strings(const schema::Key& k,
                                                           const toml::node& n,
                                                           std::vector<Element>* elements) const {
  const auto* arr = n.as_array();
  if (!arr) {
    Error(n, k, "expected an array of strings, got " + Describe(n));
    return std::nullopt;
  }
  std::vector<std::string> out;
  std::vector<Element> read;
  bool ok = true;
  for (size_t i = 0; i < arr->size(); ++i) {
    const toml::node& e = *arr->get(i);
    const std::string key = Indexed(JoinKey(path_, k.name), i);
    if (const auto* s = e.as_string()) {
      out.push_back(s->get());
      read.push_back(Element{"", key, s->get(), Pos(e.source())});
    } else {
      reporter_.Error(Pos(e.source()), key, "expected a string, got " + Describe(e));
      ok = false;
    }
  }
  if (!ok) return std::nullopt;
  if (elements) *elements = std::move(read);
  return out;
}

// An array of commands, each a non-empty array of strings (an argv).
std::optional<std::vector<std::vector<std::string>>> TableView::Commands(
    const schema::Key& k, const toml::node& n, std::vector<Element>* elements) const {
  const auto* arr = n.as_array();
  if (!arr) {
    Error(n, k, "expected an array of commands like [[\"program\", \"arg\"]], got " + Describe(n));
    return std::nullopt;
  }
  std::vector<std::vector<std::string>> out;
  std::vector<Element> read;
  bool ok = true;
  for (size_t i = 0; i < arr->size(); ++i) {
    const toml::node& c = *arr->get(i);
    const std::string key = Indexed(JoinKey(path_, k.name), i);
    const auto* argv = c.as_array();
    if (!argv || argv->empty()) {
      reporter_.Error(Pos(c.source()), key,
                      "expected a command: a non-empty array of strings (the program and its "
                      "arguments), got " + (argv ? std::string("an empty array") : Describe(c)));
      ok = false;
      continue;
    }
    std::vector<std::string>& command = out.emplace_back();
    for (size_t j = 0; j < argv->size(); ++j) {
      const toml::node& e = *argv->get(j);
      if (const auto* s = e.as_string()) {
        command.push_back(s->get());
        read.push_back(Element{"", Indexed(key, j), s->get(), Pos(e.source())});
      } else {
        reporter_.Error(Pos(e.source()), Indexed(key, j), "expected a string, got " + Describe(e));
        ok = false;
      }
    }
  }
  if (!ok) return std::nullopt;
  if (elements) *elements = std::move(read);
  return out;
}

// A table of free-form keys. In a kScalarTable (variant vars) integers,
// floats and booleans become their text; otherwise values must be strings.
// The entries that are well-formed are returned even when others are not.
std::optional<std::map<std::string, std::string>> TableView::StringTable(
    const schema::Key& k, const toml::node& n, std::vector<Element>* elements) const {
  const auto* table = n.as_table();
  if (!table) {
    Error(n, k, "expected a table of strings, got " + Describe(n));
    return std::nullopt;
  }
  const bool scalars = k.type == schema::Type::kScalarTable;
  std::map<std::string, std::string> out;
  for (auto&& [key, v] : *table) {
    const std::string entry_key = JoinKey(JoinKey(path_, k.name), key.str());
    const std::string name(key.str());
    if (const auto* s = v.as_string()) {
      out[name] = s->get();
      if (elements) elements->push_back(Element{name, entry_key, s->get(), Pos(v.source())});
    } else if (scalars && v.is_integer()) {
      out[name] = std::to_string(v.as_integer()->get());
    } else if (scalars && v.is_floating_point()) {
      out[name] = FormatNumber(v.as_floating_point()->get());  // 0.1, not 0.10000000000000001
    } else if (scalars && v.is_boolean()) {
      out[name] = v.as_boolean()->get() ? "true" : "false";
    } else {
      reporter_.Error(Pos(v.source()), entry_key,
                      std::string(scalars ? "expected a string, number or boolean"
                                          : "expected a string") +
                          ", got " + Describe(v));
    }
  }
  return out;
}

std::optional<int> TableView::Choice(const schema::Key& k, const toml::node& n) const {
  std::vector<std::string> names;
  for (const schema::Choice& c : k.choices->choices) names.emplace_back(c.name);
  const auto* s = n.as_string();
  if (!s) {
    Error(n, k, "expected " + OneOf(names) + ", got " + Describe(n));
    return std::nullopt;
  }
  if (const schema::Choice* c = schema::FindChoice(*k.choices, s->get())) return c->value;
  std::string hint = DidYouMean(s->get(), names);
  if (hint.empty()) hint = " (expected " + OneOf(names) + ")";
  Error(n, k, "unknown " + std::string(k.choices->noun) + " " + Quote(s->get()) + hint);
  return std::nullopt;
}

}  // namespace faultline
