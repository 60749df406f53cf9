// FakeProcFs: a /proc made of strings, for tests of the sampler and of the
// run (test code only).
#pragma once

#include <sys/types.h>

#include <map>
#include <set>
#include <sstream>
#include <string>

#include "harness/sampler/procfs.h"

namespace faultline {

// A /proc made of strings: files and symlinks by path; directories are implied
// by the paths below them, plus `listed_only` entries whose files are gone.
class FakeProcFs : public ProcFs {
 public:
  std::map<std::string, std::string> files;
  std::map<std::string, std::string> links;
  std::set<std::string> listed_only;  // e.g. "77": listed, but exited before its stat was read
  int reads = 0;

  std::optional<std::string> ReadFile(const std::string& path) override {
    ++reads;
    auto it = files.find(path);
    if (it == files.end()) return std::nullopt;
    return it->second;
  }
  std::vector<std::string> ListDir(const std::string& path) override {
    std::set<std::string> names(path.empty() ? listed_only : std::set<std::string>{});
    const std::string prefix = path.empty() ? "" : path + "/";
    auto add = [&](const std::string& key) {
      if (!key.starts_with(prefix)) return;
      std::string rest = key.substr(prefix.size());
      names.insert(rest.substr(0, rest.find('/')));
    };
    for (const auto& [key, value] : files) add(key);
    for (const auto& [key, value] : links) add(key);
    return {names.begin(), names.end()};
  }
  std::optional<std::string> ReadLink(const std::string& path) override {
    auto it = links.find(path);
    if (it == links.end()) return std::nullopt;
    return it->second;
  }

  // A process with the given parent, resources and open fds (fd -> link target).
  void AddProcess(pid_t pid, pid_t ppid, int threads, uint64_t rss_kb, uint64_t utime,
                  uint64_t stime, const std::map<int, std::string>& fds) {
    const std::string dir = std::to_string(pid);
    std::ostringstream stat;
    stat << pid << " (proc " << pid << ") S " << ppid << " " << pid << " " << pid
         << " 0 -1 4194304 100 0 0 0 " << utime << " " << stime << " 0 0 20 0 " << threads
         << " 0 1000 10000000 " << rss_kb / 4 << " 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0\n";
    files[dir + "/stat"] = stat.str();
    std::ostringstream status;
    status << "Name:\tproc " << pid << "\nState:\tS (sleeping)\nPPid:\t" << ppid
           << "\nVmRSS:\t" << rss_kb << " kB\nThreads:\t" << threads << "\n";
    files[dir + "/status"] = status.str();
    for (const auto& [fd, target] : fds) links[dir + "/fd/" + std::to_string(fd)] = target;
  }
};

}  // namespace faultline
