// Suites and shards (harness/cli/suite_plan.h): folders expand to their
// *.toml files, and N shards cover every scenario exactly once.
#include "harness/cli/suite_plan.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>

using namespace faultline;
namespace fs = std::filesystem;

namespace {

struct Folder {
  Folder() {
    char tmpl[] = "/tmp/faultline-suite-plan-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    dir = tmpl;
  }
  ~Folder() { fs::remove_all(dir); }
  std::string Touch(const std::string& name) {
    fs::create_directories((dir / name).parent_path());
    std::ofstream((dir / name).string()) << "name = \"x\"\n";
    return (dir / name).string();
  }
  fs::path dir;
};

std::vector<std::string> Names(int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) out.push_back("s/scenario-" + std::to_string(i * 7919 % 1000) + ".toml");
  return out;
}

}  // namespace

TEST_CASE("shards: N shards cover every scenario exactly once") {
  for (int files : {0, 1, 2, 5, 13, 40}) {
    for (size_t count : {1u, 2u, 3u, 4u, 7u, 50u}) {
      std::map<std::string, int> seen;
      size_t smallest = SIZE_MAX, largest = 0;
      for (size_t index = 1; index <= count; ++index) {
        auto part = SelectShard(Names(files), {index, count});
        smallest = std::min(smallest, part.size());
        largest = std::max(largest, part.size());
        for (const auto& p : part) ++seen[p];
      }
      CAPTURE(files);
      CAPTURE(count);
      CHECK(seen.size() == static_cast<size_t>(files));
      for (const auto& [name, times] : seen) CHECK(times == 1);
      CHECK(largest - smallest <= 1);  // balanced
    }
  }
}

TEST_CASE("shards: the split does not depend on the order the files were named in") {
  auto names = Names(23);
  auto shuffled = names;
  std::mt19937 rng(42);
  std::shuffle(shuffled.begin(), shuffled.end(), rng);
  for (size_t i = 1; i <= 4; ++i) CHECK(SelectShard(names, {i, 4}) == SelectShard(shuffled, {i, 4}));
  // Same-named files in different folders keep a fixed order too.
  CHECK(SelectShard({"b/x.toml", "a/x.toml"}, {1, 2}) == std::vector<std::string>{"a/x.toml"});
  CHECK(SelectShard({"a/x.toml", "b/x.toml"}, {1, 2}) == std::vector<std::string>{"a/x.toml"});
}

TEST_CASE("shards: same-named scenarios get one folder each across every shard") {
  const std::vector<std::string> files = {"b/x.toml", "a/x.toml", "c/y.toml", "d/x.toml"};
  const auto folders = ScenarioFolders(files, "out");
  CHECK(folders == std::map<std::string, std::string>{{"a/x.toml", "out/x"},
                                                      {"b/x.toml", "out/x-2"},
                                                      {"d/x.toml", "out/x-3"},
                                                      {"c/y.toml", "out/y"}});
  // Each shard's files keep the folders the whole suite gave them.
  std::set<std::string> used;
  for (size_t i = 1; i <= 2; ++i)
    for (const auto& f : SelectShard(files, {i, 2})) CHECK(used.insert(folders.at(f)).second);
  CHECK(used.size() == files.size());
}

TEST_CASE("shards: --shard parses I/N and names bad text") {
  auto ok = ParseShard("2/4");
  REQUIRE(ok.ok());
  CHECK(ok->index == 2);
  CHECK(ok->count == 4);
  for (const char* bad : {"0/4", "5/4", "4", "/4", "1/", "a/b", "1/4x", "-1/4", ""}) {
    auto r = ParseShard(bad);
    CAPTURE(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message() ==
          "--shard \"" + std::string(bad) + "\": expected I/N with 1 <= I <= N, e.g. 1/4");
  }
}

TEST_CASE("suites: folders expand to their toml files and each file counts once") {
  Folder f;
  const std::string b = f.Touch("dir/b.toml");
  const std::string a = f.Touch("dir/a.toml");
  f.Touch("dir/notes.txt");
  f.Touch("dir/nested/c.toml");  // not directly inside: not part of the suite
  const std::string one = f.Touch("one.toml");
  const std::string dir = (f.dir / "dir").string();
  auto r = ExpandScenarioPaths({one, dir, a});
  REQUIRE(r.ok());
  CHECK(*r == std::vector<std::string>{one, (fs::path(dir) / "a.toml").string(),
                                       (fs::path(dir) / "b.toml").string()});
  (void)b;
  // The same file by another path, relative or through a symlink, is the
  // same scenario: it runs once, under the first name given.
  fs::create_symlink(one, f.dir / "link.toml");
  const std::string relative = fs::relative(one).string();
  auto again = ExpandScenarioPaths({one, relative, (f.dir / "link.toml").string(), a, dir});
  REQUIRE(again.ok());
  CHECK(*again == std::vector<std::string>{one, a, (fs::path(dir) / "b.toml").string()});

  auto missing = ExpandScenarioPaths({(f.dir / "nope").string()});
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().message() == (f.dir / "nope").string() + ": no such file or folder");
  fs::create_directories(f.dir / "empty");
  auto empty = ExpandScenarioPaths({(f.dir / "empty").string()});
  REQUIRE_FALSE(empty.ok());
  CHECK(empty.status().message() == (f.dir / "empty").string() + ": no *.toml scenario in it");
}
