// Which scenario files a suite runs: `faultline run A.toml B.toml DIR/`
// expands folders to the *.toml files directly inside them, and `--shard
// I/N` keeps a deterministic subset. Pure functions over names and the
// file system; no scenario is loaded here.
//
// Sharding sorts the scenarios by their key (the file name without .toml,
// which is the scenario's default name; then the whole path, so two files of
// the same name in different folders still have a fixed order) and deals
// them out round-robin: scenario k of the sorted list goes to shard
// (k mod N) + 1. So the N shards of one set of files are disjoint, cover
// every file exactly once, differ in size by at most one, and every worker
// that sees the same files computes the same split, whatever order they were
// named in.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "harness/common/status.h"

namespace faultline {

/// One of N shards; `index` counts from 1.
struct Shard {
  size_t index = 1;
  size_t count = 1;
};

/// Parses "I/N" with 1 <= I <= N. Invalid, naming the text:
/// `--shard "0/4": expected I/N with 1 <= I <= N, e.g. 1/4`.
StatusOr<Shard> ParseShard(std::string_view text);

/// Every file named, and for a folder the *.toml files directly inside it
/// (sorted by name), in the order given, each file once (by its identity:
/// a second path to it, relative, absolute or a symlink, is dropped). Invalid naming the
/// path when it does not exist ("scenarios/nope: no such file or folder") or
/// when a folder holds no *.toml file ("empty/: no *.toml scenario in it").
StatusOr<std::vector<std::string>> ExpandScenarioPaths(const std::vector<std::string>& args);

/// The sort key of a scenario file: its stem, then the path.
std::string ScenarioKey(const std::string& path);

/// The files of `paths` that belong to `shard`, sorted by ScenarioKey.
std::vector<std::string> SelectShard(std::vector<std::string> paths, Shard shard);

/// Each file's output folder: `out`/<stem>, or <stem>-2, -3 ... for the
/// later files (in ScenarioKey order) of a stem already taken. Named over
/// the whole suite, not one shard's files, so that the shards of one suite
/// writing into one `out` never share a folder.
std::map<std::string, std::string> ScenarioFolders(const std::vector<std::string>& paths,
                                                   const std::string& out);

}  // namespace faultline
