#include "harness/scenario/set_overrides.h"

#include <optional>
#include <type_traits>
#include <vector>

#include "harness/common/text.h"
#include "harness/scenario/schema.h"

namespace faultline {
namespace {

using schema::Type;

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
      if (!IsDigits(digits) || digits.size() > 9) return std::nullopt;
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

bool IsValue(Type type) {
  return type != Type::kTable && type != Type::kTables && type != Type::kStringTable &&
         type != Type::kScalarTable;
}

}  // namespace

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
  const schema::TableSchema* schema = &schema::kScenarioSchema;  // null in a free-form table
  std::string where;                                              // the path so far
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
    const schema::Key* key = schema::FindKey(*schema, seg.name);
    if (!key) {
      r->SetError(path, "unknown key " + Quote(seg.name) + (where.empty() ? "" : " in " + where) +
                            DidYouMeanOrChoices(seg.name, schema::KeyNames(*schema)));
      return;
    }
    if (seg.index && key->type != Type::kTables) {
      r->SetError(path, Quote(here) + " is not an array of tables");
      return;
    }
    if (IsValue(key->type)) {
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
    if (key->type != Type::kTables) {  // a table, with a schema or of strings
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
      schema = key->type == Type::kTable ? key->sub : nullptr;
      where = here;
      continue;
    }
    // An array of tables: by [index], or by the name in the next segment.
    toml::array* arr = table->get(seg.name) ? table->get(seg.name)->as_array() : nullptr;
    const std::string noun(key->sub->noun);
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
      if ((*segments)[i + 1].index) {  // phases.hang[7]: the name picks the element
        r->SetError(path, "malformed key path: " + noun + " " + Quote(name) +
                              " is picked by its name, so it takes no [index]");
        return;
      }
      std::vector<std::string> names;
      for (size_t j = 0; arr && j < arr->size(); ++j) {
        const toml::table* t = arr->get(j)->as_table();
        const toml::node* n = t ? t->get("name") : nullptr;
        if (!n || !n->is_string()) continue;
        names.push_back(n->as_string()->get());
        if (names.back() == name && !element) element = arr->get(j)->as_table();
      }
      if (!element) {
        r->SetError(path,
                    "no " + noun + " named " + Quote(name) + DidYouMeanOrChoices(name, names));
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
                            std::string(key->sub->keys[1].name));
      return;
    }
    table = element;
    schema = key->sub;
    where = element_path;
  }
}

}  // namespace faultline
