#include "harness/cli/suite_plan.h"

#include <sys/stat.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <set>
#include <system_error>

namespace faultline {
namespace fs = std::filesystem;

namespace {

bool ParseCount(std::string_view text, size_t* out) {
  if (text.empty()) return false;
  const char* end = text.data() + text.size();
  auto [p, ec] = std::from_chars(text.data(), end, *out);
  return ec == std::errc() && p == end;
}

}  // namespace

StatusOr<Shard> ParseShard(std::string_view text) {
  const auto slash = text.find('/');
  Shard s;
  if (slash == std::string_view::npos || !ParseCount(text.substr(0, slash), &s.index) ||
      !ParseCount(text.substr(slash + 1), &s.count) || s.index < 1 || s.index > s.count)
    return Status::Invalid("--shard \"" + std::string(text) +
                           "\": expected I/N with 1 <= I <= N, e.g. 1/4");
  return s;
}

StatusOr<std::vector<std::string>> ExpandScenarioPaths(const std::vector<std::string>& args) {
  std::vector<std::string> out;
  // A file named twice, by any path (relative and absolute, through a
  // symlink), runs once: the first name given is kept.
  std::set<std::pair<dev_t, ino_t>> seen_files;
  std::set<std::string> seen_names;  // for a path stat cannot read
  auto add = [&](const std::string& path) {
    struct stat st {};
    const bool fresh = ::stat(path.c_str(), &st) == 0
                           ? seen_files.insert({st.st_dev, st.st_ino}).second
                           : seen_names.insert(fs::path(path).lexically_normal().string()).second;
    if (fresh) out.push_back(path);
  };
  for (const auto& arg : args) {
    std::error_code ec;
    if (fs::is_directory(arg, ec)) {
      std::vector<std::string> found;
      for (const auto& entry : fs::directory_iterator(arg, ec)) {
        if (entry.path().extension() == ".toml" && !entry.is_directory())
          found.push_back((fs::path(arg) / entry.path().filename()).string());
      }
      if (ec) return Status::Invalid(arg + ": cannot list: " + ec.message());
      if (found.empty()) return Status::Invalid(arg + ": no *.toml scenario in it");
      std::sort(found.begin(), found.end());
      for (const auto& f : found) add(f);
    } else if (fs::exists(arg, ec)) {
      add(arg);
    } else {
      return Status::Invalid(arg + ": no such file or folder");
    }
  }
  return out;
}

std::string ScenarioKey(const std::string& path) {
  return fs::path(path).stem().string() + '\n' + path;
}

std::map<std::string, std::string> ScenarioFolders(const std::vector<std::string>& paths,
                                                   const std::string& out) {
  std::map<std::string, std::string> folders;
  std::set<std::string> taken;
  for (const std::string& path : SelectShard(paths, {1, 1})) {  // all of them, in key order
    const std::string stem = fs::path(path).stem().string();
    std::string name = stem;
    for (int n = 2; !taken.insert(name).second; ++n) name = stem + "-" + std::to_string(n);
    folders[path] = (fs::path(out) / name).string();
  }
  return folders;
}

std::vector<std::string> SelectShard(std::vector<std::string> paths, Shard shard) {
  std::stable_sort(paths.begin(), paths.end(), [](const std::string& a, const std::string& b) {
    return ScenarioKey(a) < ScenarioKey(b);
  });
  std::vector<std::string> out;
  for (size_t k = 0; k < paths.size(); ++k)
    if (shard.count > 0 && k % shard.count == shard.index - 1) out.push_back(paths[k]);
  return out;
}

}  // namespace faultline
