// The shape of the scenario schema: a Key is one row of the table in
// schema.h, a TableSchema one TOML table's rows. The rows are the single
// source for the loader's validation (unknown keys, types, allowed values,
// keys that apply only to some kinds, required keys), for did-you-mean, for
// --set paths, for AcceptedKeyPaths() and for the reference in
// docs/scenarios.md (reference.h). Defaults are not written here: a row
// renders its default from a default-constructed struct of scenario.h.
//
// Readers reach a row through a typed handle, Field<T>, made at compile time
// by FieldOf<T>(rows, "name"): a key that is not in its table, or that is read
// as a C++ type its row's Type does not hold, does not compile.
//
// Everything here is constexpr data; no TOML library is involved.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "harness/common/text.h"
#include "harness/common/units.h"
#include "harness/scenario/scenario.h"

namespace faultline::schema {

/// What a key holds. Decides the typed read (and its error messages), the
/// "type" column of the reference, and how --set treats the key.
enum class Type {
  kString,             // std::string
  kNonEmptyString,     // std::string: "must not be empty"
  kName,               // std::string of letters, digits, "_" and "-"
  kHttpPath,           // std::string starting with "/"
  kInteger,            // int64_t, at least Key::min when set
  kNumber,             // double, finite
  kNonNegativeNumber,  // double >= 0
  kFraction,           // double, 0 <= x <= 1
  kBool,               // bool
  kDuration,           // Duration, a string with a unit, not negative
  kPositiveDuration,   // Duration > 0
  kRate,               // uint64_t bytes per second > 0, a string "1MB/s" (size units, per second)
  kSize,               // uint64_t bytes: an integer >= 0 or a size string "64KiB"
  kStrings,            // std::vector<std::string>
  kStringTable,        // std::map<std::string, std::string>: free-form keys, string values
  kScalarTable,        // the same, with numbers and booleans taken as their text
  kEnum,               // one of Key::choices, read as its enum type
  kPort,               // PortText: a port number, or a string with variables
  kLimit,              // LimitValue: a number, a duration or a size (checks)
  kTolerance,          // ToleranceValue: a number >= 0 or a size (checks)
  kFaultValue,         // FaultValue: a duration, rate or size, as its fault kind's main value
  kTable,              // TableTag: a table with its own schema (Key::sub)
  kTables,             // TablesTag: an array of such tables
  kCommands,           // std::vector<std::vector<std::string>>: an array of non-empty argv arrays
};

// C++ types of the keys that a reader parses with its own function (they
// need context the row does not have: the process name, the check kind).
struct PortText {};
struct LimitValue {};
struct ToleranceValue {};
struct FaultValue {};
struct TableTag {};
struct TablesTag {};

/// A set of enumerators of a table's kind enum (fault kind, check kind, ...),
/// one bit per enumerator value.
using KindSet = uint32_t;
inline constexpr KindSet kAllKinds = ~KindSet{0};
template <typename... E>
constexpr KindSet Kinds(E... e) {
  return ((KindSet{1} << static_cast<int>(e)) | ... | KindSet{0});
}
constexpr bool Contains(KindSet set, int kind) { return (set >> kind) & 1u; }

/// One allowed value of an enum key.
struct Choice {
  int value;                    // the enumerator, as an int
  std::string_view name;        // its TOML spelling; ToString() in scenario.h returns it
  std::string_view doc;         // one line for the reference
  std::string_view label = {};  // check kinds: the default check name (check_names.h)
};

template <typename E>
inline constexpr char kEnumTag = 0;

/// The allowed values of one enum, in the order messages and docs list them.
struct ChoiceList {
  std::string_view noun;            // in "unknown fault kind \"x\""
  std::span<const Choice> choices;
  const void* tag;                  // &kEnumTag<E>: which enum they spell
};

struct TableSchema;

/// One row of the schema.
struct Key {
  std::string_view name;                // the TOML key
  Type type = Type::kString;
  std::string_view doc;                 // one line for the reference
  std::string (*def)() = nullptr;       // the default, rendered from a default struct
  std::string_view def_note = {};       // or the default in words, when it is derived
  std::string_view type_note = {};      // a constraint, appended to the type in the reference
  std::optional<int64_t> min = {};      // kInteger: the smallest value accepted
  std::optional<int64_t> max = {};      // kInteger, kNonNegativeNumber: the largest accepted
  const ChoiceList* choices = nullptr;  // kEnum: the allowed values
  KindSet applies = kAllKinds;          // the kinds of its table this key applies to
  KindSet required = 0;                 // the kinds for which it must be present
  const TableSchema* sub = nullptr;     // kTable, kTables: the rows of the inner table
};

/// One TOML table: its rows in the order the reference lists them.
struct TableSchema {
  std::string_view noun;               // one such table, in messages: "phase"
  std::span<const Key> keys;
  const ChoiceList* kinds = nullptr;   // the values of its `kind` key, when it has one
  // Rows read only to be refused with an error of their own (a proxy file's
  // `ramp`): offered in no message as an expected key.
  std::span<const std::string_view> unlisted = {};
};

/// A typed handle on a row; see FieldOf.
template <typename T>
struct Field {
  const Key* key;
};

/// True when a row of type `type` (and `choices`) is read as T.
template <typename T>
consteval bool Holds(Type type, const ChoiceList* choices) {
  switch (type) {
    case Type::kString:
    case Type::kNonEmptyString:
    case Type::kName:
    case Type::kHttpPath:
      return std::is_same_v<T, std::string>;
    case Type::kInteger:
      return std::is_same_v<T, int64_t>;
    case Type::kNumber:
    case Type::kNonNegativeNumber:
    case Type::kFraction:
      return std::is_same_v<T, double>;
    case Type::kBool:
      return std::is_same_v<T, bool>;
    case Type::kDuration:
    case Type::kPositiveDuration:
      return std::is_same_v<T, Duration>;
    case Type::kRate:
    case Type::kSize:
      return std::is_same_v<T, uint64_t>;
    case Type::kFaultValue:
      return std::is_same_v<T, FaultValue>;
    case Type::kStrings:
      return std::is_same_v<T, std::vector<std::string>>;
    case Type::kStringTable:
    case Type::kScalarTable:
      return std::is_same_v<T, std::map<std::string, std::string>>;
    case Type::kEnum:
      return std::is_enum_v<T> && choices && choices->tag == &kEnumTag<T>;
    case Type::kPort:
      return std::is_same_v<T, PortText>;
    case Type::kLimit:
      return std::is_same_v<T, LimitValue>;
    case Type::kTolerance:
      return std::is_same_v<T, ToleranceValue>;
    case Type::kTable:
      return std::is_same_v<T, TableTag>;
    case Type::kTables:
      return std::is_same_v<T, TablesTag>;
    case Type::kCommands:
      return std::is_same_v<T, std::vector<std::vector<std::string>>>;
  }
  return false;
}

/// The handle on row `name` of `rows`, read as T. Evaluated at compile time:
/// a name missing from `rows` or a T the row does not hold is a compile error
/// naming this function.
template <typename T, size_t N>
consteval Field<T> FieldOf(const Key (&rows)[N], std::string_view name) {
  for (const Key& k : rows) {
    if (k.name != name) continue;
    if (!Holds<T>(k.type, k.choices)) throw "FieldOf: the row's type does not hold this C++ type";
    return Field<T>{&k};
  }
  throw "FieldOf: no such key in this table of the schema";
}

// Rendering of defaults, in TOML spelling: `100`, `"3s"`, `"GET"`, `{}`.
std::string Render(const std::string& v);
std::string Render(double v);
std::string Render(int v);
std::string Render(uint64_t v);
std::string Render(bool v);
std::string Render(Duration v);
std::string Render(const std::map<std::string, std::string>& v);
std::string Render(const std::vector<std::string>& v);
std::string Render(const std::vector<std::vector<std::string>>& v);
template <typename E>
  requires std::is_enum_v<E>
std::string Render(E v) {
  return Quote(ToString(v));  // ToString from scenario.h: the TOML spelling
}

template <typename M>
struct MemberOf;
template <typename S, typename T>
struct MemberOf<T S::*> {
  using Struct = S;
};

/// Renders member M of a default-constructed S (by default the struct that
/// declares M). Used as Key::def: `.def = Default<&LoadSpec::rate>`.
template <auto M, typename S = typename MemberOf<decltype(M)>::Struct>
std::string Default() {
  return Render(S{}.*M);
}

/// The names of `schema`'s keys, in order (for "expected one of" and
/// did-you-mean), without its unlisted rows and, given the table's kind,
/// without the rows that do not apply to it.
std::vector<std::string> KeyNames(const TableSchema& schema, std::optional<int> kind = {});

/// The row named `name`, or null.
const Key* FindKey(const TableSchema& schema, std::string_view name);

/// The choice with enumerator `value`, or null.
const Choice* FindChoice(const ChoiceList& list, int value);
/// The choice spelt `name` in TOML, or null.
const Choice* FindChoice(const ChoiceList& list, std::string_view name);

/// "kind \"http\"" or "kinds \"tcp\" and \"http\"": the kinds in `set`, in
/// the order of `kinds`.
std::string KindPhrase(const ChoiceList& kinds, KindSet set);

/// The "type" column of the reference: "integer >= 0", "duration > 0", ...
std::string TypeText(const Key& key);

/// The "default" column: "required", "required for kind \"log\"", `"3s"`,
/// or the row's note.
std::string DefaultText(const Key& key, const ChoiceList* kinds);

}  // namespace faultline::schema
