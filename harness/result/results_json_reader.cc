// ResultsFromJson and ReadResultsFile: the one results.json reader.
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "harness/common/file.h"
#include "harness/common/text.h"
#include "harness/result/results_json.h"

namespace faultline {
namespace {

using nlohmann::json;

// One value of the document and where it is ("variants[1].checks[0]").
struct Node {
  const json& value;
  std::string path;
};

enum class Need { kRequired, kOptional };

constexpr const char* kCount = "non-negative whole number";

// "a string", "an array": for "expected ..., got ..." messages.
std::string Article(const char* type) {
  return std::string(std::strchr("aeiou", type[0]) ? "an " : "a ") + type;
}

// Reads typed values out of a results document. The first problem is kept
// with its path; reads after it return defaults, and the caller throws the
// half-read result away.
class Reader {
 public:
  const Status& status() const { return status_; }
  bool ok() const { return status_.ok(); }

  void Fail(const std::string& path, const std::string& message) {
    if (ok()) status_ = Status::Invalid(path + ": " + message);
  }

  void WrongType(const std::string& path, const char* type, const json& got) {
    Fail(path, "expected " + Article(type) + ", got " + got.type_name());
  }

  // The member `key` of the object `at`; nullptr when it is absent (a
  // problem when it is required) or when it is null and optional.
  const json* Find(const Node& at, const char* key, Need need) {
    auto it = at.value.find(key);
    if (it == at.value.end()) {
      if (need == Need::kRequired) Fail(MemberPath(at.path, key), "missing required field");
      return nullptr;
    }
    if (it->is_null() && need == Need::kOptional) return nullptr;
    return &*it;
  }

  // The member as a Node when it is of `type` (checked by `is`).
  template <typename Is>
  std::optional<Node> Typed(const Node& at, const char* key, Need need, const char* type, Is is) {
    const json* j = Find(at, key, need);
    if (!j) return std::nullopt;
    if (!is(*j)) {
      WrongType(MemberPath(at.path, key), type, *j);
      return std::nullopt;
    }
    return Node{*j, MemberPath(at.path, key)};
  }

  std::optional<Node> Object(const Node& at, const char* key, Need need) {
    return Typed(at, key, need, "object", [](const json& j) { return j.is_object(); });
  }

  std::string String(const Node& at, const char* key, Need need = Need::kOptional) {
    auto n = Typed(at, key, need, "string", [](const json& j) { return j.is_string(); });
    return n ? n->value.get<std::string>() : std::string();
  }

  // A number; `fallback` when absent or null.
  double Number(const Node& at, const char* key, Need need = Need::kOptional, double fallback = 0) {
    auto n = Typed(at, key, need, "number", [](const json& j) { return j.is_number(); });
    return n ? n->value.get<double>() : fallback;
  }
  double NumberOrNaN(const Node& at, const char* key) {
    return Number(at, key, Need::kOptional, NAN);
  }

  uint64_t Count(const Node& at, const char* key) {
    auto n = Typed(at, key, Need::kOptional, kCount,
                   [](const json& j) { return j.is_number_unsigned(); });
    return n ? n->value.get<uint64_t>() : 0;
  }

  bool Bool(const Node& at, const char* key, Need need, bool fallback = false) {
    auto n = Typed(at, key, need, "boolean", [](const json& j) { return j.is_boolean(); });
    return n ? n->value.get<bool>() : fallback;
  }

  // An enum by its spelling; `parse` is ParseUnit, ParseCheckKind, ...;
  // `last` is the enum's last value, for the list of spellings in the message.
  template <typename E>
  E Enum(const Node& at, const char* key, Need need, std::optional<E> (*parse)(std::string_view),
         E last, E fallback) {
    const std::optional<Node> n =
        Typed(at, key, need, "string", [](const json& j) { return j.is_string(); });
    if (!n) return fallback;
    const std::string text = n->value.get<std::string>();
    if (auto e = parse(text)) return *e;
    std::vector<std::string> names;
    for (int i = 0; i <= static_cast<int>(last); ++i) names.push_back(ToString(static_cast<E>(i)));
    Fail(n->path, Quote(text) + " is not one of " + OneOf(names));
    return fallback;
  }

  // Calls `each(element)` for every element of the array member `key`.
  template <typename Each>
  void Array(const Node& at, const char* key, Need need, Each each) {
    const std::optional<Node> n =
        Typed(at, key, need, "array", [](const json& j) { return j.is_array(); });
    if (!n) return;
    for (size_t i = 0; i < n->value.size() && ok(); ++i)
      each(Node{n->value[i], n->path + "[" + std::to_string(i) + "]"});
  }

  // Calls `each(element)` for every element of the array member `key`
  // when it is an object.
  template <typename Each>
  void ObjectArray(const Node& at, const char* key, Need need, Each each) {
    Array(at, key, need, [&](const Node& e) {
      if (!e.value.is_object())
        WrongType(e.path, "object", e.value);
      else
        each(e);
    });
  }

  std::vector<std::string> Strings(const Node& at, const char* key) {
    std::vector<std::string> out;
    Array(at, key, Need::kOptional, [&](const Node& e) {
      if (!e.value.is_string())
        WrongType(e.path, "string", e.value);
      else
        out.push_back(e.value.get<std::string>());
    });
    return out;
  }

  // Calls `each(name, member)` for every member of the object member `key`.
  template <typename Each>
  void Members(const Node& at, const char* key, Each each) {
    const std::optional<Node> n = Object(at, key, Need::kOptional);
    if (!n) return;
    for (auto it = n->value.begin(); it != n->value.end() && ok(); ++it)
      each(it.key(), Node{it.value(), MemberPath(n->path, it.key())});
  }

  // "a.b", or a["odd key"] for a key that is not a plain name.
  static std::string MemberPath(const std::string& path, const std::string& key) {
    bool plain = !key.empty() && !std::isdigit(static_cast<unsigned char>(key[0]));
    for (char c : key) plain = plain && (std::isalnum(static_cast<unsigned char>(c)) || c == '_');
    if (!plain) return path + "[" + Quote(key) + "]";
    return path.empty() ? key : path + "." + key;
  }

 private:
  Status status_;
};

OutcomeCounts ReadCounts(Reader& r, const Node& at) {
  OutcomeCounts c;
  c.ok = r.Count(at, "ok");
  c.connect_error = r.Count(at, "connect_error");
  c.reset = r.Count(at, "reset");
  c.timeout = r.Count(at, "timeout");
  c.dropped = r.Count(at, "dropped");
  r.Members(at, "status", [&](const std::string& code, const Node& n) {
    char* end = nullptr;
    errno = 0;
    const long value = std::strtol(code.c_str(), &end, 10);
    // Any number the load generator could have parsed from a status line,
    // spelt as the writer spells it: "0504" beside "504" would be one code.
    if (code.empty() || !std::isdigit(static_cast<unsigned char>(code[0])) || *end != '\0' ||
        errno != 0 || value > 999 || std::to_string(value) != code)
      return r.Fail(n.path, "not an HTTP status code");
    if (!n.value.is_number_unsigned()) return r.WrongType(n.path, kCount, n.value);
    c.status[static_cast<int>(value)] = n.value.get<uint64_t>();
  });
  // The total and every share of it must be counts a run could make.
  uint64_t total = 0;
  bool overflow = false;
  for (uint64_t n : {c.ok, c.connect_error, c.reset, c.timeout, c.dropped})
    overflow = overflow || __builtin_add_overflow(total, n, &total);
  for (const auto& [code, n] : c.status)
    overflow = overflow || __builtin_add_overflow(total, n, &total);
  if (overflow) r.Fail(at.path, "the counts add up to more than 2^64 - 1");
  return c;
}

// Rows must not go back in time: the charts rely on ascending t_s.
void CheckAscending(Reader& r, const Node& row, double t, double previous) {
  if (t >= previous) return;
  char buf[96];
  std::snprintf(buf, sizeof buf, "%g is before the previous row's %g", t, previous);
  r.Fail(row.path + ".t_s", buf);
}

RequestSummary ReadRequests(Reader& r, const Node& at, uint64_t* abandoned) {
  RequestSummary s;
  s.counts = ReadCounts(r, at);
  auto read_ms = [&r](const Node& l) {
    return LatencySummary{r.NumberOrNaN(l, "p50"), r.NumberOrNaN(l, "p99"),
                          r.NumberOrNaN(l, "max")};
  };
  if (auto lat = r.Object(at, "latency_ms", Need::kOptional)) s.latency = read_ms(*lat);
  // Absent in files written before issue 8: reads as not measured.
  if (auto lag = r.Object(at, "start_lag_ms", Need::kOptional)) s.start_lag = read_ms(*lag);
  *abandoned = r.Count(at, "abandoned");
  s.retried = r.Count(at, "retried");  // absent (0) in files written before it
  r.ObjectArray(at, "per_second", Need::kOptional, [&](const Node& row) {
    RequestSecond second;
    second.t_s = r.Number(row, "t_s", Need::kRequired);
    if (!s.per_second.empty()) CheckAscending(r, row, second.t_s, s.per_second.back().t_s);
    second.counts = ReadCounts(r, row);
    second.p50_ms = r.NumberOrNaN(row, "p50_ms");
    second.p99_ms = r.NumberOrNaN(row, "p99_ms");
    s.per_second.push_back(std::move(second));
  });
  return s;
}

Series ReadSamples(Reader& r, const Node& v) {
  Series series;
  for (const auto& name : r.Strings(v, "series")) series.AddName(name);
  r.ObjectArray(v, "samples", Need::kOptional, [&](const Node& row) {
    const double t = r.Number(row, "t_s", Need::kRequired);
    if (!series.t_s.empty()) CheckAscending(r, row, t, series.t_s.back());
    series.t_s.push_back(t);
    for (const auto& name : series.names)
      series.values[name].push_back(r.NumberOrNaN(row, name.c_str()));
  });
  return series;
}

CheckResult ReadCheck(Reader& r, const Node& c) {
  CheckResult check;
  check.name = r.String(c, "name", Need::kRequired);
  check.kind =
      r.Enum(c, "kind", Need::kRequired, ParseCheckKind, kLastCheckKind, CheckKind::kMax);
  check.metric = r.String(c, "metric");
  check.passed = r.Bool(c, "passed", Need::kRequired);
  check.observed = r.NumberOrNaN(c, "observed");
  check.limit = r.NumberOrNaN(c, "limit");
  check.unit =
      r.Enum(c, "unit", Need::kOptional, ParseUnit, kLastUnit, Unit::kNone);
  check.detail = r.String(c, "detail");
  check.limit_expression = r.String(c, "limit_expression");
  check.window_start_s = r.NumberOrNaN(c, "window_start_s");
  check.window_end_s = r.NumberOrNaN(c, "window_end_s");
  check.at_s = r.NumberOrNaN(c, "at_s");
  check.computed =
      r.Bool(c, "computed", Need::kOptional, true);  // added in version 1's second writer
  return check;
}

CancellationSummary ReadCancellation(Reader& r, const Node& c) {
  CancellationSummary s;
  s.forwarded = r.Bool(c, "forwarded", Need::kRequired);
  s.upstream_requests = r.Count(c, "upstream_requests");
  s.gave_up = r.Count(c, "gave_up");
  s.ended_before = r.Count(c, "ended_before");
  s.ended_after = r.Count(c, "ended_after");
  s.never_ended = r.Count(c, "never_ended");
  s.untraced = r.Count(c, "untraced");  // absent (0) in files written before it
  if (auto o = r.Object(c, "outlived_ms", Need::kOptional))
    s.outlived = LatencySummary{r.NumberOrNaN(*o, "p50"), r.NumberOrNaN(*o, "p99"),
                                r.NumberOrNaN(*o, "max")};
  s.orphans = r.Count(c, "orphans");
  s.open_at_end = r.Count(c, "open_at_end");
  s.client_in_flight_at_end = r.Count(c, "client_in_flight_at_end");
  r.ObjectArray(c, "outlived_histogram", Need::kOptional, [&](const Node& b) {
    const double bound = r.NumberOrNaN(b, "le_ms");  // null: the open-ended last bucket
    s.outlived_histogram.push_back({std::isnan(bound) ? INFINITY : bound, r.Count(b, "count")});
  });
  return s;
}

Census ReadCensus(Reader& r, const Node& c) {
  Census out;
  out.at = r.String(c, "at", Need::kRequired);
  out.t_s = r.Number(c, "t_s");
  out.pause_s = r.Number(c, "pause_s");
  out.source = r.String(c, "source");
  out.total = r.Count(c, "total");
  out.partial = r.Bool(c, "partial", Need::kOptional);
  out.reason = r.String(c, "reason");
  r.ObjectArray(c, "groups", Need::kOptional, [&](const Node& g) {
    out.groups.push_back(CensusGroup{r.Count(g, "count"), r.String(g, "state"),
                                     r.String(g, "syscall"), r.Strings(g, "frames")});
  });
  return out;
}

VariantResult ReadVariant(Reader& r, const Node& v) {
  VariantResult out;
  out.name = r.String(v, "name", Need::kRequired);
  out.expect = r.Enum(v, "expect", Need::kRequired, ParseExpectation, kLastExpectation,
                      Expectation::kPass);
  out.outcome = r.Enum(v, "outcome", Need::kRequired, ParseVariantOutcome,
                       kLastVariantOutcome, VariantOutcome::kError);
  out.error = r.String(v, "error");
  out.duration_s = r.Number(v, "duration_s");
  r.ObjectArray(v, "phases", Need::kOptional, [&](const Node& p) {
    PhaseSpan phase;
    phase.name = r.String(p, "name", Need::kRequired);
    phase.start_s = r.Number(p, "start_s", Need::kRequired);
    phase.end_s = r.Number(p, "end_s", Need::kRequired);
    phase.rate = r.Number(p, "rate");
    phase.faults = r.Strings(p, "faults");
    out.phases.push_back(std::move(phase));
  });
  out.samples = ReadSamples(r, v);
  r.Members(v, "baseline", [&](const std::string& name, const Node& n) {
    if (!n.value.is_number() && !n.value.is_null()) return r.WrongType(n.path, "number", n.value);
    out.baseline[name] = n.value.is_number() ? n.value.get<double>() : NAN;
  });
  if (auto requests = r.Object(v, "requests", Need::kOptional))
    out.request_summary = ReadRequests(r, *requests, &out.abandoned_requests);
  else
    out.request_summary = RequestSummary{};
  r.ObjectArray(v, "checks", Need::kOptional,
                [&](const Node& c) { out.checks.push_back(ReadCheck(r, c)); });
  r.ObjectArray(v, "events", Need::kOptional, [&](const Node& e) {
    out.events.push_back(
        {r.Number(e, "t_s", Need::kRequired), r.String(e, "message", Need::kRequired)});
  });
  r.ObjectArray(v, "logs", Need::kOptional, [&](const Node& l) {
    out.logs.push_back(
        {r.String(l, "name", Need::kRequired), r.String(l, "path"), r.String(l, "tail")});
  });
  if (auto scrape = r.Object(v, "scrape", Need::kOptional))  // added in version 1's second writer
    out.scrape = ScrapeStats{r.String(*scrape, "url"), r.Count(*scrape, "attempts"),
                             r.Count(*scrape, "misses"), r.String(*scrape, "last_error")};
  // Added with issue 10: absent in older files (no audit ran).
  r.Members(v, "cancellation", [&](const std::string& dependency, const Node& c) {
    if (!c.value.is_object()) return r.WrongType(c.path, "object", c.value);
    out.cancellation[dependency] = ReadCancellation(r, c);
  });
  r.ObjectArray(v, "census", Need::kOptional,  // added with issue 14
                [&](const Node& c) { out.census.push_back(ReadCensus(r, c)); });
  return out;
}

}  // namespace

StatusOr<RunResult> ResultsFromJson(const json& doc) {
  const auto version = doc.is_object() ? doc.find("schema_version") : doc.end();
  if (version == doc.end())
    return Status::Invalid("not a faultline results file (no schema_version)");
  if (!version->is_number_integer())
    return Status::Invalid("schema_version: expected an integer, got " + version->dump());
  if (*version != kResultsSchemaVersion)
    return Status::Invalid("schema_version " + version->dump() +
                           " is not supported (this faultline reads version " +
                           std::to_string(kResultsSchemaVersion) + ")");
  Reader r;
  const Node root{doc, ""};
  RunResult out;
  out.schema_version = kResultsSchemaVersion;
  out.faultline_version = r.String(root, "faultline_version");
  if (auto scenario = r.Object(root, "scenario", Need::kOptional)) {
    out.scenario_name = r.String(*scenario, "name");
    out.scenario_path = r.String(*scenario, "path");
    out.scenario_description = r.String(*scenario, "description");
    out.overrides = r.Strings(*scenario, "overrides");
    out.scenario_source = r.String(*scenario, "source");
  }
  out.started_at = r.String(root, "started_at");
  r.Members(root, "environment", [&](const std::string& key, const Node& n) {
    if (n.value.is_string())
      out.environment[key] = n.value.get<std::string>();
    else if (n.value.is_number() || n.value.is_boolean())
      out.environment[key] = n.value.dump();
    else
      r.WrongType(n.path, "string", n.value);
  });
  out.interrupted = r.Bool(root, "interrupted", Need::kOptional);
  // Added in version 1's third writer: older files were only written whole.
  out.complete = r.Bool(root, "complete", Need::kOptional, true);
  out.error = r.String(root, "error");
  r.ObjectArray(root, "variants", Need::kRequired,
                [&](const Node& v) { out.variants.push_back(ReadVariant(r, v)); });
  out.not_run = r.Strings(root, "not_run");  // written since 28 Nov 2026
  if (!r.ok()) return r.status();
  return out;
}

StatusOr<RunResult> ReadResultsFile(const std::string& path) {
  // results.json of a long run at 100 ms sampling is tens of MB; 1 GiB is
  // far beyond any real one and still safe to hold in memory.
  StatusOr<std::string> text = ReadInputFile(path, size_t{1} << 30);
  if (!text.ok()) return text.status().WithContext(path.empty() ? "results file" : path);
  const json doc = json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return Status::Invalid(path + ": not valid JSON");
  StatusOr<RunResult> result = ResultsFromJson(doc);
  if (!result.ok()) return result.status().WithContext(path);
  return result;
}

}  // namespace faultline
