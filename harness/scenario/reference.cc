#include "harness/scenario/reference.h"

#include <algorithm>
#include <map>
#include <optional>
#include <vector>

#include "harness/scenario/metrics.h"
#include "harness/scenario/schema.h"

namespace faultline {
namespace {

using schema::Key;
using schema::TableSchema;

constexpr std::string_view kBegin = "<!-- generated: ";
constexpr std::string_view kEnd = "<!-- end generated -->";

// A table of the schema and every key path it is written at ("target.ready.",
// "dependencies[].ready.").
struct Section {
  const TableSchema* table;
  std::vector<std::string> prefixes;
};

void Collect(const TableSchema& table, const std::string& prefix, std::vector<Section>* out) {
  auto it = std::find_if(out->begin(), out->end(),
                         [&](const Section& s) { return s.table == &table; });
  if (it == out->end()) {
    out->push_back(Section{&table, {prefix}});
  } else {
    it->prefixes.push_back(prefix);
  }
  for (const Key& k : table.keys) {
    if (k.type == schema::Type::kTable) Collect(*k.sub, prefix + std::string(k.name) + ".", out);
    if (k.type == schema::Type::kTables) {
      Collect(*k.sub, prefix + std::string(k.name) + "[].", out);
    }
  }
}

const std::vector<Section>& Sections() {
  static const std::vector<Section> sections = [] {
    std::vector<Section> out;
    Collect(schema::kScenarioSchema, "", &out);
    return out;
  }();
  return sections;
}

std::string Cell(std::string_view text) {
  std::string out;
  for (char c : text) out += c == '|' ? std::string("\\|") : std::string(1, c);
  return out;
}

std::string Row(const std::vector<std::string>& cells) {
  std::string out = "|";
  for (const std::string& c : cells) out += " " + c + " |";
  return out + "\n";
}

std::string Code(std::string_view name) { return "`" + std::string(name) + "`"; }

std::string BlockName(const TableSchema& table) { return "keys " + std::string(table.noun); }

std::string Block(const std::string& name, const std::string& body) {
  return std::string(kBegin) + name + " -->\n" + body + std::string(kEnd) + "\n";
}

// What a block named `name` holds, or nullopt for an unknown name.
std::optional<std::string> Render(const std::string& name) {
  if (name == "metrics") return RenderMetricTable();
  for (const Section& s : Sections()) {
    if (BlockName(*s.table) == name) return RenderKeyTable(*s.table);
  }
  return std::nullopt;
}

}  // namespace

std::string RenderKeyTable(const TableSchema& table) {
  const Section* section = nullptr;
  for (const Section& s : Sections()) {
    if (s.table == &table) section = &s;
  }
  bool choices = false, kinds = false;
  for (const Key& k : table.keys) {
    choices = choices || k.choices;
    kinds = kinds || (table.kinds && k.applies != schema::kAllKinds);
  }
  std::vector<std::string> head = {"key", "type", "default"};
  if (choices) head.push_back("allowed values");
  if (kinds) head.push_back("applies to");
  head.push_back("meaning");
  std::string out = Row(head) + Row(std::vector<std::string>(head.size(), "---"));
  for (const Key& k : table.keys) {
    std::string paths;
    for (const std::string& prefix : section ? section->prefixes : std::vector<std::string>{""}) {
      const std::string suffix = k.type == schema::Type::kTables ? "[]" : "";
      paths += (paths.empty() ? "" : ", ") + Code(prefix + std::string(k.name) + suffix);
    }
    std::vector<std::string> cells = {paths, Cell(schema::TypeText(k)),
                                      Cell(schema::DefaultText(k, table.kinds))};
    if (choices) {
      std::string values;
      for (const schema::Choice& c : k.choices ? k.choices->choices
                                               : std::span<const schema::Choice>{}) {
        values += (values.empty() ? "" : "; ") + Code("\"" + std::string(c.name) + "\"") + ": " +
                  std::string(c.doc);
      }
      cells.push_back(Cell(values));
    }
    if (kinds) {
      std::string applies = "all";
      if (k.applies != schema::kAllKinds) {
        applies.clear();
        for (const schema::Choice& c : table.kinds->choices) {
          if (!schema::Contains(k.applies, c.value)) continue;
          applies += (applies.empty() ? "" : ", ") + Code(c.name);
        }
      }
      cells.push_back(applies);
    }
    cells.push_back(Cell(k.doc));
    out += Row(cells);
  }
  return out;
}

std::string RenderMetricTable() {
  std::string out = Row({"metric", "meaning"}) + Row({"---", "---"});
  for (const BuiltinMetric& m : BuiltinMetricTable()) out += Row({Code(m.name), Cell(m.doc)});
  out += Row({Code(UpstreamMetric("D")),
              "open upstream connections of the fault proxy in front of dependency `D` (only "
              "for `proxy = true`)"});
  out += Row({"any name in `target.scrape.metrics`",
              "the scraped value (see [target.scrape](#targetscrape--custom-metrics))"});
  return out;
}

std::string RenderScenarioReference() {
  std::string out;
  for (const Section& s : Sections()) {
    out += Block(BlockName(*s.table), RenderKeyTable(*s.table)) + "\n";
  }
  return out + Block("metrics", RenderMetricTable());
}

StatusOr<std::string> RegenerateScenarioReference(std::string_view doc) {
  std::map<std::string, int> seen;
  for (const Section& s : Sections()) seen[BlockName(*s.table)] = 0;
  seen["metrics"] = 0;

  std::string out;
  size_t pos = 0;
  while (true) {
    // Markers count only at the start of a line, so prose may mention them.
    size_t begin = doc.substr(0, kBegin.size()) == kBegin && pos == 0 ? 0 : std::string_view::npos;
    if (begin == std::string_view::npos) {
      begin = doc.find("\n" + std::string(kBegin), pos);
      if (begin != std::string_view::npos) ++begin;
    }
    if (begin == std::string_view::npos) break;
    const size_t line_end = std::min(doc.find('\n', begin), doc.size());
    const std::string_view line = doc.substr(begin, line_end - begin);
    if (line.size() < kBegin.size() + 4 || line.substr(line.size() - 4) != " -->") {
      return Status::Invalid("malformed marker \"" + std::string(line) + "\"");
    }
    const std::string name(line.substr(kBegin.size(), line.size() - kBegin.size() - 4));
    const size_t end = doc.find("\n" + std::string(kEnd), line_end);
    if (end == std::string_view::npos) {
      return Status::Invalid("generated block \"" + name + "\" has no \"" + std::string(kEnd) +
                             "\" line");
    }
    std::optional<std::string> body = Render(name);
    if (!body) return Status::Invalid("unknown generated block \"" + name + "\"");
    if (++seen[name] > 1) return Status::Invalid("generated block \"" + name + "\" repeated");
    out += std::string(doc.substr(pos, line_end + 1 - pos)) + *body;
    pos = end + 1;
  }
  out += std::string(doc.substr(pos));
  for (const auto& [name, count] : seen) {
    if (count == 0) return Status::Invalid("no generated block \"" + name + "\"");
  }
  return out;
}

}  // namespace faultline
