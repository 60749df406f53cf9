// Reading TOML tables through the schema: a TableView reports the keys its
// table's schema lacks, and reads each key through its row (schema.h), with
// the row's type check, its "missing required key" and its "only applies to
// kind" errors. Internal to the loader: with set_overrides.h, the only
// headers that include toml++, and only the loader's .cc files include them.
#pragma once

#include <toml++/toml.h>

#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "harness/scenario/diagnostics.h"
#include "harness/scenario/schema.h"

namespace faultline {

SourcePos Pos(const toml::source_region& where);

/// A TOML syntax error as a diagnostic of `path`: its message lower-cased
/// first, without a trailing period.
Diagnostic SyntaxError(const toml::parse_error& e, const std::string& path);

/// What a node is, for "expected X, got Y": "string \"x\"", "integer 10".
std::string Describe(const toml::node& n);

/// A duration string, refusing a negative one; on failure sets *error to the
/// whole message ("invalid duration \"10\": missing unit in ...").
std::optional<Duration> ParseDurationValue(const std::string& text, std::string* error);

/// "1MB/s": a size (units.h's ParseSize) per second, more than 0; on
/// failure sets *error to the whole message.
std::optional<uint64_t> ParseRateValue(const std::string& text, std::string* error);

/// " (write [[phases]] before each entry, not [phases])" when `key` is a
/// top-level array of tables of the schema (phases, checks, ...); else "".
std::string ArrayOfTablesHint(std::string_view key);

/// Calls f(element table, its key path "key[i]") for each element of the
/// array of tables at `n`; reports a non-array, and each element that is not
/// a table.
template <typename F>
void ForEachTable(Reporter& r, const toml::node& n, const std::string& key, F f) {
  const auto* arr = n.as_array();
  if (!arr) {
    r.Error(Pos(n.source()), key,
            "expected an array of tables, got " + Describe(n) +
                (n.is_table() ? ArrayOfTablesHint(key) : ""));
    return;
  }
  for (size_t i = 0; i < arr->size(); ++i) {
    const toml::node& e = *arr->get(i);
    if (const auto* t = e.as_table()) {
      f(*t, Indexed(key, i));
    } else {
      r.Error(Pos(e.source()), Indexed(key, i), "expected a table, got " + Describe(e));
    }
  }
}

/// One element of an array of strings or one entry of a table of strings.
struct Element {
  std::string name;  // a table entry's own key ("A"); "" in an array
  std::string key;   // its key path: "target.argv[1]", "target.env.A"
  std::string text;  // its value
  SourcePos where;
};

class TableView {
 public:
  /// Reports every key of `table` that `schema` lacks, with a suggestion.
  TableView(Reporter& reporter, const toml::table& table, std::string path,
            const schema::TableSchema& schema);

  /// The value of `f`'s key, or null. Reports nothing.
  template <typename T>
  const toml::node* Get(schema::Field<T> f) const {
    return table_.get(f.key->name);
  }
  /// The same, reporting "missing required key" when the key is absent and
  /// its row requires it (for the kind set by SetKind, when it is known).
  template <typename T>
  const toml::node* Present(schema::Field<T> f) const {
    return Present(*f.key);
  }

  /// The typed value of `f`'s key: nullopt when it is absent (reported when
  /// required, as Present does) or malformed (reported). For arrays and
  /// tables of strings, `elements` receives each element as read.
  template <typename T>
  std::optional<T> Read(schema::Field<T> f, std::vector<Element>* elements = nullptr) {
    const toml::node* n = Present(*f.key);
    if (!n) return std::nullopt;
    const schema::Key& k = *f.key;
    if constexpr (std::is_same_v<T, std::string>) {
      return Text(k, *n);
    } else if constexpr (std::is_same_v<T, int64_t>) {
      return Integer(k, *n);
    } else if constexpr (std::is_same_v<T, double>) {
      return Number(k, *n);
    } else if constexpr (std::is_same_v<T, bool>) {
      return Bool(k, *n);
    } else if constexpr (std::is_same_v<T, Duration>) {
      return DurationOf(k, *n);
    } else if constexpr (std::is_same_v<T, uint64_t>) {
      return Bytes(k, *n);
    } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
      return Strings(k, *n, elements);
    } else if constexpr (std::is_same_v<T, std::map<std::string, std::string>>) {
      return StringTable(k, *n, elements);
    } else if constexpr (std::is_same_v<T, std::vector<std::vector<std::string>>>) {
      return Commands(k, *n, elements);
    } else {
      static_assert(std::is_enum_v<T>, "read this type with its own function");
      std::optional<int> v = Choice(k, *n);
      if (!v) return std::nullopt;
      return static_cast<T>(*v);
    }
  }

  /// A ramp's `from` or `to`: read as the type of the fault kind's main
  /// value (a duration in ns, a rate in bytes/s, a size in bytes). nullopt
  /// when absent (reported when required) or malformed (reported).
  std::optional<int64_t> Read(schema::Field<schema::FaultValue> f, FaultSpec::Main main);

  /// The key path of `f`'s key in this table: "phases[0].duration".
  template <typename T>
  std::string Path(schema::Field<T> f) const {
    return JoinKey(path_, f.key->name);
  }
  /// Where `f`'s value is written (the table when it is absent).
  template <typename T>
  SourcePos At(schema::Field<T> f) const {
    const toml::node* n = Get(f);
    return n ? Pos(n->source()) : Where();
  }
  /// Where `f`'s key itself is written (the table when it is absent).
  template <typename T>
  SourcePos KeyWhere(schema::Field<T> f) const {
    return KeyWhere(f.key->name);
  }
  /// False when the kind is known and `f`'s key does not apply to it.
  template <typename T>
  bool Applies(schema::Field<T> f) const {
    return !kind_ || schema::Contains(f.key->applies, *kind_);
  }

  /// Sets the table's kind (the enumerator of its `kind` key) and reports
  /// each key present that does not apply to it.
  void SetKind(int kind);

  const std::string& path() const { return path_; }
  SourcePos Where() const { return Pos(table_.source()); }

 private:
  const toml::node* Present(const schema::Key& k) const;
  SourcePos KeyWhere(std::string_view key) const;
  void Error(const toml::node& n, const schema::Key& k, std::string message) const;

  std::optional<std::string> Text(const schema::Key& k, const toml::node& n) const;
  std::optional<int64_t> Integer(const schema::Key& k, const toml::node& n) const;
  std::optional<double> Number(const schema::Key& k, const toml::node& n) const;
  std::optional<bool> Bool(const schema::Key& k, const toml::node& n) const;
  std::optional<Duration> DurationOf(const schema::Key& k, const toml::node& n) const;
  std::optional<uint64_t> Bytes(const schema::Key& k, const toml::node& n) const;
  std::optional<std::vector<std::string>> Strings(const schema::Key& k, const toml::node& n,
                                                  std::vector<Element>* elements) const;
  std::optional<std::map<std::string, std::string>> StringTable(
      const schema::Key& k, const toml::node& n, std::vector<Element>* elements) const;
  std::optional<int> Choice(const schema::Key& k, const toml::node& n) const;
  std::optional<std::vector<std::vector<std::string>>> Commands(
      const schema::Key& k, const toml::node& n, std::vector<Element>* elements) const;

  Reporter& reporter_;
  const toml::table& table_;
  std::string path_;
  const schema::TableSchema& schema_;
  std::optional<int> kind_;
};

}  // namespace faultline
