#include "harness/census/go_census.h"

#include <charconv>
#include <optional>
#include <sstream>

#include "harness/census/thread_stacks.h"
#include "harness/common/asio.h"
#include "harness/common/clock.h"
#include "harness/common/http_client.h"
#include "harness/common/loopback_url.h"
#include "harness/common/text.h"

namespace faultline {

namespace {

std::string Basename(std::string_view path) {
  size_t slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

// The most of a goroutine profile read: 1,000,000 goroutines of one stack
// take a few KiB (debug=1 groups them); 64 MiB is tens of thousands of
// distinct deep stacks. A larger body is cut off and the census partial.
constexpr size_t kMaxGoProfileBytes = 64 * 1024 * 1024;

// The most frames kept of one stack, as a native census keeps (Go itself
// writes at most 128): deeper ones are cut and the census partial.
constexpr size_t kMaxGoFrames = 256;

// A goroutine count: decimal digits only (no sign, no space), within 64 bits.
std::optional<uint64_t> ParseCount(std::string_view text) {
  uint64_t n = 0;
  auto [end, err] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (text.empty() || err != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return n;
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
  // Go writes a frame it cannot name as its address alone: a line with an
  // empty function ("#\t0x1\t+0x88\tf.go:1") is neither form, not a frame "".
  if (func.empty()) return std::nullopt;
  // The profile is the target's text: it reaches the terminal and the
  // reports one line per frame, whatever bytes it holds.
  std::string frame = EscapeControl(func);
  if (fields.size() >= 4) frame += " (" + EscapeControl(Basename(fields[3])) + ")";
  return frame;
}

}  // namespace

StatusOr<Census> ParseGoroutineProfile(std::string_view text) {
  Census census;
  census.source = "go";
  std::vector<CensusGroup> groups;
  std::optional<uint64_t> declared;  // "goroutine profile: total N"
  std::istringstream in{std::string(text)};
  std::string line;
  int number = 0;
  uint64_t cut = 0;  // stacks deeper than kMaxGoFrames
  constexpr std::string_view kHeader = "goroutine profile: total ";
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line.starts_with("# labels")) continue;
    if (line.starts_with(kHeader)) {
      declared = ParseCount(std::string_view(line).substr(kHeader.size()));
      if (!declared) {
        return Status::Invalid("goroutine profile line " + std::to_string(number) +
                               ": bad total " + Quote(Elide(line, 80)));
      }
      continue;
    }
    size_t at = line.find(" @ ");
    if (at != std::string::npos) {
      if (std::optional<uint64_t> n = ParseCount(std::string_view(line).substr(0, at))) {
        groups.push_back(CensusGroup{*n, "", "", {}});
        continue;
      }
    }
    std::optional<std::string> frame = GoFrame(line);
    if (!frame || groups.empty()) {
      return Status::Invalid("goroutine profile line " + std::to_string(number) +
                             ": expected \"COUNT @ ADDRESSES\" or "
                             "\"#\\tADDRESS\\tFUNCTION\\tFILE:LINE\", got " +
                             Quote(Elide(line, 80)));
    }
    std::vector<std::string>& frames = groups.back().frames;
    if (frames.size() < kMaxGoFrames) {
      frames.push_back(*frame);
    } else if (frames.size() == kMaxGoFrames) {
      frames.emplace_back();  // a mark, removed below: this stack was cut
      ++cut;
    }
  }
  if (!declared) {
    return Status::Invalid("no \"goroutine profile: total N\" line: not a debug=1 goroutine "
                           "profile");
  }
  // Summed before MergeGroups, which adds the counts of identical stacks
  // unchecked: once the sum of every count fits, no merged count can wrap.
  for (const CensusGroup& g : groups) {
    if (__builtin_add_overflow(census.total, g.count, &census.total)) {
      return Status::Invalid("goroutine counts add up to more than 2^64");
    }
  }
  for (CensusGroup& g : groups) {
    if (g.frames.size() > kMaxGoFrames) g.frames.pop_back();
  }
  census.groups = MergeGroups(std::move(groups));
  // Go writes the total and then every goroutine's stack, each line ended:
  // fewer goroutines, or a last line without its end, is a profile cut short.
  if (census.total != *declared || (!text.empty() && text.back() != '\n')) {
    census.partial = true;
    census.reason = "cut short: it says total " + std::to_string(*declared) +
                    ", its stacks hold " + std::to_string(census.total) +
                    (text.back() != '\n' ? " and its last line has no end" : "");
  }
  if (cut > 0) {
    census.partial = true;
    census.reason += (census.reason.empty() ? "" : "; ") + std::to_string(cut) +
                     " stacks were cut at " + std::to_string(kMaxGoFrames) +
                     " frames (their outer frames are missing)";
  }
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
  // On this machine, as Bind checked before the run: the profile is the
  // target's own.
  StatusOr<LoopbackUrl> address = ParseLoopbackUrl(url);
  if (!address.ok()) return fail(address.status().message());

  // The harness's HTTP client bounds the whole exchange (connect, request and
  // every byte of the response) by `timeout`, on a loop of this call's own.
  asio::io_context io;
  AsioClock clock(io);
  HttpClientOptions options;
  options.host = address->host;
  options.port = address->port;
  options.timeout = timeout;
  options.reuse_connections = false;
  options.keep_body = true;
  options.max_response_bytes = kMaxGoProfileBytes;
  HttpClient client(io, clock, options);
  HttpRequest request;
  request.target = address->target;
  request.headers = {{"User-Agent", "faultline"}, {"Connection", "close"}};
  const std::string wire = FormatHttpRequest(request, address->host, address->port);
  std::optional<HttpResult> response;
  auto t0 = SteadyClock::now();
  Status sent = client.Send(wire, [&response](const HttpResult& r) { response = r; });
  if (!sent.ok()) return fail(sent.message());
  while (!response && io.run_one() > 0) {
  }
  census.pause_s = std::chrono::duration<double>(SteadyClock::now() - t0).count();
  if (!response) return fail("no response");  // not reached: the deadline ends every exchange
  if (response->error == HttpResult::Error::kTimeout) {
    return fail(client.Describe(*response) + " (target.census.timeout)");
  }
  if (!response->ok()) return fail(client.Describe(*response));
  if (response->status != 200) return fail("HTTP status " + std::to_string(response->status));
  StatusOr<Census> parsed = ParseGoroutineProfile(response->body);
  if (!parsed.ok()) return fail(parsed.status().message());
  parsed->pause_s = census.pause_s;
  if (parsed->partial) parsed->reason = "goroutine profile " + url + ": " + parsed->reason;
  return *parsed;
}

}  // namespace faultline
