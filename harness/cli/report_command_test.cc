#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <set>
#include <sstream>

#include "harness/cli/commands.h"
#include "harness/cli/exit_status.h"
#include "harness/common/file.h"
#include "harness/result/results_json.h"
#include "reports/html_report.h"
#include "reports/junit_report.h"
#include "reports/markdown_report.h"
#include "reports/sample_results.h"
#include "reports/terminal.h"

using namespace faultline;
namespace fs = std::filesystem;

namespace {

struct Invocation {
  int status = -1;
  std::string out, err;
};

// Runs `faultline report ARGS` in-process, capturing stdout and stderr.
Invocation Report(std::vector<std::string> args) {
  CLI::App app;
  int status = -1;
  SetupReportCommand(app, &status);
  args.insert(args.begin(), {"faultline", "report"});
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  std::ostringstream out, err;
  auto* old_out = std::cout.rdbuf(out.rdbuf());
  auto* old_err = std::cerr.rdbuf(err.rdbuf());
  app.parse(static_cast<int>(argv.size()), argv.data());
  std::cout.rdbuf(old_out);
  std::cerr.rdbuf(old_err);
  return {status, out.str(), err.str()};
}

struct Saved {
  Saved() {
    char tmpl[] = "/tmp/faultline-report-cmd-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    dir = tmpl;
    results = (dir / "results.json").string();
    REQUIRE(WriteFileAtomic(results, ResultsJsonText(testing::AbRun())).ok());
  }
  ~Saved() { fs::remove_all(dir); }
  fs::path dir;
  std::string results;
};

std::string Read(const fs::path& p) {
  std::ifstream in(p);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

}  // namespace

TEST_CASE("report with no option writes all three reports next to results.json") {
  Saved s;
  Invocation o = Report({s.results});
  CHECK(o.status == kExitPassed);
  for (const char* name : {"report.html", "junit.xml", "summary.md"})
    CHECK_MESSAGE(fs::exists(s.dir / name), name);
  CHECK(o.out.empty());
  // Rendering again gives the same bytes.
  const std::string first = Read(s.dir / "report.html");
  CHECK(Report({s.results}).status == kExitPassed);
  CHECK(Read(s.dir / "report.html") == first);
}

TEST_CASE("report writes only the outputs asked for") {
  Saved s;
  Invocation o = Report({s.results, "--junit", (s.dir / "ci.xml").string(), "--summary"});
  CHECK(o.status == kExitPassed);
  CHECK(Read(s.dir / "ci.xml").find("<testsuites") != std::string::npos);
  CHECK_FALSE(fs::exists(s.dir / "report.html"));
  CHECK(o.out.find("PASSED: 2 of 2 variants met their expectation") != std::string::npos);

  Invocation d = Report({s.results, "--out-dir", (s.dir / "a" / "b").string(), "--html",
                         (s.dir / "x.html").string()});
  CHECK(d.status == kExitPassed);
  CHECK(fs::exists(s.dir / "x.html"));
  CHECK_FALSE(fs::exists(s.dir / "a" / "b" / "report.html"));
  CHECK(fs::exists(s.dir / "a" / "b" / "junit.xml"));
  CHECK(fs::exists(s.dir / "a" / "b" / "summary.md"));
}

TEST_CASE("report of a bad file names it and exits 2") {
  Saved s;
  const std::string bad = (s.dir / "broken.json").string();
  std::ofstream(bad) << "{oops";
  Invocation o = Report({bad});
  CHECK(o.status == kExitUsage);
  CHECK(o.err == "faultline report: " + bad + ": not valid JSON\n");
  Invocation missing = Report({(s.dir / "none.json").string()});
  CHECK(missing.status == kExitUsage);
  CHECK(missing.err.find((s.dir / "none.json").string() + ": cannot read the file: No such file or directory") != std::string::npos);
}

TEST_CASE("report creates the folder of a file it is asked to write") {
  Saved s;
  Invocation o = Report({s.results, "--junit", (s.dir / "ci" / "junit.xml").string(),
                         "--markdown", (s.dir / "ci" / "md" / "summary.md").string()});
  CHECK(o.status == kExitPassed);
  CHECK(fs::exists(s.dir / "ci" / "junit.xml"));
  CHECK(fs::exists(s.dir / "ci" / "md" / "summary.md"));
}

TEST_CASE("report says which file it could not write and exits 3") {
  Saved s;
  // Under a regular file: no folder can be made there.
  Invocation o = Report({s.results, "--markdown", s.results + "/such/dir.md"});
  CHECK(o.status == kExitCouldNotRun);
  CHECK(o.err.find(s.results + "/such") != std::string::npos);
}

namespace {

using nlohmann::json;

// A results file as a user may hand it to `faultline report`: derived from
// what faultline writes (`doc`, `text`), or made up.
struct FileCase {
  const char* name;
  std::function<std::string(json doc, const std::string& text)> contents;
  std::string error;  // after "faultline report: PATH: "; empty: it renders
};

// The case's file: faultline's own output with `edit` applied.
std::function<std::string(json, const std::string&)> Edited(std::function<void(json&)> edit) {
  return [edit](json doc, const std::string&) {
    edit(doc);
    return doc.dump(1);
  };
}

// Every kind of file a user could have: cut short, from an older or a newer
// faultline, edited by hand (fields missing, of the wrong type, added).
const FileCase kFileCases[] = {
    {"truncated", [](json, const std::string& t) { return t.substr(0, t.size() / 2); },
     "not valid JSON"},
    {"empty", [](json, const std::string&) { return std::string(); }, "not valid JSON"},
    {"invalid UTF-8", [](json, const std::string& t) { return "\xff" + t; }, "not valid JSON"},
    {"not an object", [](json, const std::string&) { return std::string("[1, 2]"); },
     "not a faultline results file (no schema_version)"},
    {"no schema_version", Edited([](json& d) { d.erase("schema_version"); }),
     "not a faultline results file (no schema_version)"},
    {"schema_version as text", Edited([](json& d) { d["schema_version"] = "1"; }),
     "schema_version: expected an integer, got \"1\""},
    {"newer schema_version", Edited([](json& d) { d["schema_version"] = 2; }),
     "schema_version 2 is not supported (this faultline reads version 1)"},
    {"older schema_version", Edited([](json& d) { d["schema_version"] = 0; }),
     "schema_version 0 is not supported (this faultline reads version 1)"},
    {"first version 1 writer: no scrape - abandoned or computed", Edited([](json& d) {
       for (auto& v : d["variants"]) {
         v.erase("scrape");
         v["requests"].erase("abandoned");
         for (auto& c : v["checks"]) c.erase("computed");
       }
     }),
     ""},
    {"extra fields everywhere", Edited([](json& d) {
       d["census"] = {{"stacks", json::array({1, 2})}};
       d["scenario"]["suite"] = "nightly";
       d["variants"][0]["leak_audit"] = {{"orphans", 3}};
       d["variants"][0]["checks"][0]["window"] = json::array({"hang"});
       d["variants"][0]["requests"]["per_second"][0]["p90_ms"] = 4.5;
     }),
     ""},
    {"nulls where values may be missing", Edited([](json& d) {
       for (const char* k : {"faultline_version", "scenario", "environment", "interrupted"})
         d[k] = nullptr;
       for (const char* k : {"duration_s", "phases", "series", "baseline", "samples", "requests",
                             "checks", "events", "logs"})
         d["variants"][0][k] = nullptr;
       d["variants"][1]["checks"][0]["observed"] = nullptr;
     }),
     ""},
    {"the least a file can hold",
     [](json, const std::string&) {
       return std::string(R"({"schema_version": 1, "variants": [{"name": "v", "expect": "fail",)"
                          R"( "outcome": "fail"}]})");
     },
     ""},
    {"an unknown field nested very deep",
     [](json, const std::string& t) {
       return "{\"deep\": " + std::string(100000, '[') + std::string(100000, ']') + "," +
              t.substr(1);
     },
     ""},
    {"values too large to draw", Edited([](json& d) {
       for (auto& row : d["variants"][0]["samples"]) row["threads"] = -1e17;
       for (auto& row : d["variants"][1]["samples"]) row["fds"] = 1.7e308;
       d["variants"][1]["duration_s"] = 1e300;
     }),
     ""},
    {"no variants", Edited([](json& d) { d.erase("variants"); }),
     "variants: missing required field"},
    {"variants not an array", Edited([](json& d) {
       d["variants"] = {{"name", "v"}};
     }),
     "variants: expected an array, got object"},
    {"variant not an object", Edited([](json& d) { d["variants"][1] = 3; }),
     "variants[1]: expected an object, got number"},
    {"variant without outcome", Edited([](json& d) { d["variants"][1].erase("outcome"); }),
     "variants[1].outcome: missing required field"},
    {"variant name null", Edited([](json& d) { d["variants"][0]["name"] = nullptr; }),
     "variants[0].name: expected a string, got null"},
    {"misspelt outcome", Edited([](json& d) { d["variants"][0]["outcome"] = "passed"; }),
     "variants[0].outcome: \"passed\" is not one of \"pass\", \"fail\", \"error\" or "
     "\"interrupted\""},
    {"duration as text", Edited([](json& d) { d["variants"][0]["duration_s"] = "22s"; }),
     "variants[0].duration_s: expected a number, got string"},
    {"unknown check kind",
     Edited([](json& d) { d["variants"][0]["checks"][1]["kind"] = "maximum"; }),
     "variants[0].checks[1].kind: \"maximum\" is not one of \"max\", \"growth\", \"rate\", "
     "\"recovers\", \"latency\", \"error_ratio\", \"process\", \"outlived\", \"orphans\" or "
     "\"held\""},
    {"unknown unit", Edited([](json& d) { d["variants"][0]["checks"][0]["unit"] = "MB"; }),
     "variants[0].checks[0].unit: \"MB\" is not one of \"\", \"bytes\", \"bytes/s\", \"s\", "
     "\"ms\", \"/s\", \"ratio\", \"%\", \"%/s\" or \"ms/s\""},
    {"check passed as text",
     Edited([](json& d) { d["variants"][0]["checks"][0]["passed"] = "yes"; }),
     "variants[0].checks[0].passed: expected a boolean, got string"},
    {"negative count", Edited([](json& d) { d["variants"][0]["requests"]["ok"] = -1; }),
     "variants[0].requests.ok: expected a non-negative whole number, got number"},
    {"status code that is not one",
     Edited([](json& d) { d["variants"][0]["requests"]["status"]["5xx"] = 1; }),
     "variants[0].requests.status[\"5xx\"]: not an HTTP status code"},
    // Two spellings of one code: one would hide the other's count.
    {"a status code with a leading zero",
     Edited([](json& d) { d["variants"][0]["requests"]["status"]["0504"] = 5; }),
     "variants[0].requests.status[\"0504\"]: not an HTTP status code"},
    {"counts whose total overflows",
     Edited([](json& d) { d["variants"][0]["requests"]["ok"] = UINT64_MAX; }),
     "variants[0].requests: the counts add up to more than 2^64 - 1"},
    {"sample value as text",
     Edited([](json& d) { d["variants"][0]["samples"][2]["threads"] = "many"; }),
     "variants[0].samples[2].threads: expected a number, got string"},
    {"sample without time", Edited([](json& d) { d["variants"][0]["samples"][1].erase("t_s"); }),
     "variants[0].samples[1].t_s: missing required field"},
    {"samples out of order", Edited([](json& d) { d["variants"][0]["samples"][1]["t_s"] = 100; }),
     "variants[0].samples[2].t_s: 0.2 is before the previous row's 100"},
    {"series name not text", Edited([](json& d) { d["variants"][1]["series"][0] = 7; }),
     "variants[1].series[0]: expected a string, got number"},
    {"environment value an object",
     Edited([](json& d) { d["environment"]["cores"] = json::object(); }),
     "environment.cores: expected a string, got object"},
};

}  // namespace

TEST_CASE(
    "report on a truncated - older - newer or hand-edited file renders or exits 2 with one line") {
  Saved s;
  const std::string text = Read(s.results);
  const json doc = json::parse(text);
  for (const auto& c : kFileCases) {
    INFO(c.name);
    const fs::path dir = s.dir / "case";
    fs::remove_all(dir);
    fs::create_directories(dir);
    const std::string path = (dir / "results.json").string();
    REQUIRE(WriteFileAtomic(path, c.contents(doc, text)).ok());
    Invocation o = Report({path, "--out-dir", dir.string(), "--summary"});
    INFO(o.err);
    if (c.error.empty()) {
      CHECK(o.status == kExitPassed);
      CHECK(fs::exists(dir / "report.html"));
      CHECK(Read(dir / "report.html").find("</html>") != std::string::npos);
      CHECK(o.out.find("variants met their expectation") != std::string::npos);
    } else {
      CHECK(o.status == kExitUsage);
      CHECK(o.err == "faultline report: " + path + ": " + c.error + "\n");
      CHECK(o.out.empty());
      CHECK_FALSE(fs::exists(dir / "report.html"));
    }
  }
}

TEST_CASE("report ignores fields it does not know: the same bytes as without them") {
  Saved s;
  json doc = json::parse(Read(s.results));
  REQUIRE(Report({s.results}).status == kExitPassed);
  const std::string plain = Read(s.dir / "report.html");
  doc["variants"][0]["stack_survey"] = {{"stacks", 3}};
  doc["written_by"] = "faultline 9.0";
  REQUIRE(WriteFileAtomic(s.results, doc.dump()).ok());
  REQUIRE(Report({s.results}).status == kExitPassed);
  CHECK(Read(s.dir / "report.html") == plain);
}

TEST_CASE("every field of a results file removed or of another type reads or fails on one line") {
  const json doc = ResultsToJson(testing::AbRun(2, 0.5));
  // Every value's pointer, containers included.
  std::set<std::string> pointers;
  const json flat = doc.flatten();
  for (const auto& [leaf, value] : flat.items()) {
    (void)value;
    for (json::json_pointer p(leaf); !p.empty(); p = p.parent_pointer())
      pointers.insert(p.to_string());
  }
  const json replacements[] = {nullptr, "text", -1, 1.5, 1e300, json::object(), json::array()};
  size_t rendered = 0, refused = 0;
  for (const auto& pointer : pointers) {
    const json::json_pointer p(pointer);
    std::vector<json> mutants;
    json removed = doc;
    json& parent = removed[p.parent_pointer()];
    if (parent.is_object())
      parent.erase(p.back());
    else
      parent.erase(std::stoul(p.back()));
    mutants.push_back(std::move(removed));
    for (const auto& r : replacements) {
      json changed = doc;
      changed[p] = r;
      mutants.push_back(std::move(changed));
    }
    for (const auto& m : mutants) {
      StatusOr<RunResult> read = ResultsFromJson(m);
      if (!read.ok()) {
        ++refused;
        CHECK_MESSAGE(read.status().message().find('\n') == std::string::npos, pointer);
        continue;
      }
      ++rendered;
      CHECK(RenderHtml(*read).find("</html>") != std::string::npos);
      CHECK(RenderJunit(*read).find("</testsuites>") != std::string::npos);
      CHECK(!RenderMarkdown(*read).empty());
      CHECK(!RenderSummary(*read).empty());
    }
  }
  MESSAGE(pointers.size() << " fields: " << rendered << " files rendered, " << refused
                          << " refused");
  CHECK(rendered > 0);
  CHECK(refused > 0);
}

TEST_CASE("report --compare draws both runs on the same axes labelled by their folders") {
  Saved s;
  fs::create_directories(s.dir / "before");
  fs::create_directories(s.dir / "after");
  const std::string before = (s.dir / "before" / "results.json").string();
  const std::string after = (s.dir / "after" / "results.json").string();
  fs::copy_file(s.results, before);
  fs::copy_file(s.results, after);
  json later = json::parse(Read(after));  // the second run: another day, another kernel
  later["started_at"] = "2026-11-28T01:00:00Z";
  later["environment"]["kernel"] = "Linux 9.9";
  std::ofstream(after) << later.dump();
  const std::string html = (s.dir / "ba.html").string();
  Invocation o = Report({"--compare", before, after, "--html", html});
  CHECK(o.status == kExitPassed);
  const std::string page = Read(html);
  CHECK(page.find("<h1>hung-dependency: before vs after</h1>") != std::string::npos);
  // Where the runs differ, the page shows both, not the first run's alone.
  CHECK(page.find("; after: 2026-11-28T01:00:00Z</dd>") != std::string::npos);
  CHECK(page.find("; after: Linux 9.9</dd>") != std::string::npos);
  for (const char* label : {"before: propagating", "before: naive", "after: propagating", "after: naive"})
    CHECK_MESSAGE(page.find(std::string("data-label=\"") + label + "\"") != std::string::npos, label);
  // A CI job's layout (docs/ci.md): the same scenario folder under two roots.
  fs::create_directories(s.dir / "baseline" / "hung-dependency");
  fs::create_directories(s.dir / "out" / "hung-dependency");
  fs::copy_file(before, s.dir / "baseline" / "hung-dependency" / "results.json");
  fs::copy_file(after, s.dir / "out" / "hung-dependency" / "results.json");
  Invocation ci = Report({"--compare", (s.dir / "baseline/hung-dependency/results.json").string(),
                          (s.dir / "out/hung-dependency/results.json").string(), "--html", html});
  CHECK(ci.status == kExitPassed);
  CHECK(Read(html).find("<h1>hung-dependency: baseline vs out</h1>") != std::string::npos);
  // Both in one folder: A and B.
  Invocation same = Report({"--compare", s.results, s.results, "--html", html});
  CHECK(same.status == kExitPassed);
  CHECK(Read(html).find("hung-dependency: A vs B") != std::string::npos);

  Invocation no_html = Report({"--compare", before, after});
  CHECK(no_html.status == kExitUsage);
  CHECK(no_html.err.find("give --html PATH") != std::string::npos);
  Invocation missing = Report({"--compare", before, (s.dir / "nope.json").string(), "--html", html});
  CHECK(missing.status == kExitUsage);
  CHECK(missing.err.find("nope.json: cannot read the file") != std::string::npos);
}
