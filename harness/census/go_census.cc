#include "harness/census/go_census.h"

#include <httplib.h>

#include <sstream>

#include "harness/census/thread_stacks.h"

namespace faultline {

namespace {

std::string Basename(std::string_view path) {
  size_t slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

bool IsGoAddress(std::string_view field) {
  if (!field.starts_with("0x") || field.size() == 2) return false;
  return field.find_first_not_of("0123456789abcdefABCDEF", 2) == std::string_view::npos;
}

// "#\t0x4a3d21\tinternal/poll.(*pollDesc).wait+0x88\t/usr/lib/go/src/x.go:84", or
// "#\t0x4a3d22" alone for a frame Go could not name (runtime/pprof's
// printStackRecord), which reads "?? (0x4a3d22)" like an unnamed native frame.
std::optional<std::string> GoFrame(std::string_view line) {
  std::vector<std::string_view> fields;
  size_t start = 0;
  while (start <= line.size()) {
    size_t tab = line.find('\t', start);
    if (tab == std::string_view::npos) tab = line.size();
    if (tab > start) fields.push_back(line.substr(start, tab - start));
    start = tab + 1;
  }
  if (fields.size() == 2 && fields[0] == "#" && IsGoAddress(fields[1])) {
    return "?? (" + std::string(fields[1]) + ")";
  }
  if (fields.size() < 3 || fields[0] != "#") return std::nullopt;
  std::string_view func = fields[2];
  size_t plus = func.rfind("+0x");
  if (plus != std::string_view::npos) func = func.substr(0, plus);
  std::string frame(func);
  if (fields.size() >= 4) frame += " (" + Basename(fields[3]) + ")";
  return frame;
}

}  // namespace

StatusOr<Census> ParseGoroutineProfile(std::string_view text) {
  Census census;
  census.source = "go";
  std::vector<CensusGroup> groups;
  std::istringstream in{std::string(text)};
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line.starts_with("goroutine profile:") || line.starts_with("# labels")) {
      continue;
    }
    size_t at = line.find(" @ ");
    if (at != std::string::npos) {
      char* end = nullptr;
      std::string count = line.substr(0, at);
      unsigned long long n = std::strtoull(count.c_str(), &end, 10);
      if (end != count.c_str() && *end == '\0') {
        groups.push_back(CensusGroup{n, "", "", {}});
        continue;
      }
    }
    std::optional<std::string> frame = GoFrame(line);
    if (!frame || groups.empty()) {
      return Status::Invalid("goroutine profile line " + std::to_string(number) +
                             ": expected \"COUNT @ ADDRESSES\" or \"#\\tADDRESS\\tFUNCTION\\tFILE:LINE\", got \"" +
                             line.substr(0, 80) + "\"");
    }
    groups.back().frames.push_back(*frame);
  }
  census.groups = MergeGroups(std::move(groups));
  for (const CensusGroup& g : census.groups) census.total += g.count;
  return census;
}

Census FetchGoCensus(const std::string& url, std::chrono::milliseconds timeout) {
  Census census;
  census.source = "go";
  auto fail = [&](const std::string& why) {
    census.partial = true;
    census.reason = "goroutine profile " + url + ": " + why;
    return census;
  };
  // "http://host:port/path?query": httplib wants the origin and the rest apart.
  if (!url.starts_with("http://")) return fail("not an http:// URL");
  size_t path = url.find('/', 7);
  std::string origin = path == std::string::npos ? url : url.substr(0, path);
  std::string target = path == std::string::npos ? "/" : url.substr(path);
  auto t0 = std::chrono::steady_clock::now();
  httplib::Client client(origin);
  auto seconds = std::chrono::duration_cast<std::chrono::seconds>(timeout);
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(timeout - seconds);
  client.set_connection_timeout(seconds.count(), micros.count());
  client.set_read_timeout(seconds.count(), micros.count());
  client.set_write_timeout(seconds.count(), micros.count());
  httplib::Result response = client.Get(target.c_str());
  census.pause_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!response) return fail(httplib::to_string(response.error()));
  if (response->status != 200) return fail("HTTP status " + std::to_string(response->status));
  StatusOr<Census> parsed = ParseGoroutineProfile(response->body);
  if (!parsed.ok()) return fail(parsed.status().message());
  parsed->pause_s = census.pause_s;
  return *parsed;
}

}  // namespace faultline
