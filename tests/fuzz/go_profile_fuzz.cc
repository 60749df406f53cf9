// Fuzz target: the Go goroutine-profile parser (ParseGoroutineProfile), which
// reads the debug=1 profile FetchGoCensus gets from a Go target's
// /debug/pprof/goroutine. The input is the profile's body.
// Contract checked: it does not throw. A census it returns has source "go",
// no state or syscall, its groups largest first and no two with the same
// frames, at most 256 frames each, no frame "" or with a control character
// (the target's bytes are escaped), and none from a frame line whose function is empty
// ("#\t0x1\t+0x88\tf.go:1" is an error: Go names every frame it writes with
// more than its address); its total is the sum of its groups' counts and of
// every "COUNT @ ..." line of the input (counts adding up past 2^64 are an
// error, never a total that wrapped); it is partial, with a reason saying
// "cut short: it says total N, its stacks hold M" when M differs from the
// last "goroutine profile: total N" line or the input's last line has no
// end, and saying "stacks were cut at 256 frames" when a stack has more; it
// is partial exactly then, and has no reason otherwise. An error is one
// line: the line it could not read, by number and quoted (Quote of Elide to
// 80 bytes);
// no total line anywhere; or counts past 2^64.
// A group may have no frames: the Census type allows it ("(no stack)"), and
// a profile cut right after a count line leaves one.

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "harness/census/go_census.h"
#include "harness/common/text.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

using Wide = unsigned __int128;
constexpr Wide kMaxCount = std::numeric_limits<uint64_t>::max();
constexpr std::string_view kHeader = "goroutine profile: total ";

// The lines std::getline reads from `text`, each without one trailing '\r'.
std::vector<std::string_view> Lines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    if (line.ends_with('\r')) line.remove_suffix(1);
    lines.push_back(line);
    start = end + 1;
  }
  return lines;
}

// Decimal digits only; a value past 2^64 - 1 reads as kMaxCount + 1.
std::optional<Wide> Digits(std::string_view s) {
  if (s.empty()) return std::nullopt;
  Wide value = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<Wide>(c - '0');
    if (value > kMaxCount) value = kMaxCount + 1;
  }
  return value;
}

std::string Quoted(std::string_view line) { return faultline::Quote(faultline::Elide(line, 80)); }

void CheckError(const std::string& message, const std::vector<std::string_view>& lines,
                bool has_header, Wide sum) {
  FUZZ_CHECK(!message.empty());
  FUZZ_CHECK(message.find('\n') == std::string::npos);
  if (message == "no \"goroutine profile: total N\" line: not a debug=1 goroutine profile") {
    FUZZ_CHECK(!has_header);
    return;
  }
  if (message == "goroutine counts add up to more than 2^64") {
    FUZZ_CHECK(sum > kMaxCount);
    return;
  }
  constexpr std::string_view kLine = "goroutine profile line ";
  FUZZ_CHECK(message.starts_with(kLine));
  size_t n = 0;
  const char* digits = message.data() + kLine.size();
  auto [end, err] = std::from_chars(digits, message.data() + message.size(), n);
  FUZZ_CHECK(err == std::errc() && n >= 1 && n <= lines.size());
  const std::string_view line = lines[n - 1];
  const std::string rest(end, message.data() + message.size());
  if (line.starts_with(kHeader)) {
    FUZZ_CHECK(rest == ": bad total " + Quoted(line));
  } else {
    FUZZ_CHECK(rest ==
               R"(: expected "COUNT @ ADDRESSES" or "#\tADDRESS\tFUNCTION\tFILE:LINE", got )" +
                   Quoted(line));
  }
}

// True for "#\tADDR\t+0xOFF..." (fields as GoFrame splits them: tab-separated,
// empty ones dropped): a named frame's line whose function is empty.
bool NamelessFrame(std::string_view line) {
  std::vector<std::string_view> fields;
  size_t start = 0;
  while (start <= line.size()) {
    size_t tab = std::min(line.find('\t', start), line.size());
    if (tab > start) fields.push_back(line.substr(start, tab - start));
    start = tab + 1;
  }
  return fields.size() >= 3 && fields[0] == "#" && fields[2].rfind("+0x") == 0;
}

void CheckCensus(const faultline::Census& c, std::string_view text, size_t count_lines,
                 std::optional<Wide> declared, Wide sum, bool deep) {
  FUZZ_CHECK(declared.has_value() && *declared <= kMaxCount);
  FUZZ_CHECK(sum <= kMaxCount && c.total == sum);
  FUZZ_CHECK(c.source == "go" && c.at.empty() && c.t_s == 0 && c.pause_s == 0);
  FUZZ_CHECK(c.groups.size() <= count_lines);
  Wide group_sum = 0;
  std::set<std::vector<std::string>> stacks;
  for (size_t i = 0; i < c.groups.size(); ++i) {
    const faultline::CensusGroup& g = c.groups[i];
    group_sum += g.count;
    FUZZ_CHECK(i == 0 || c.groups[i - 1].count >= g.count);
    FUZZ_CHECK(g.state.empty() && g.syscall.empty());
    FUZZ_CHECK(stacks.insert(g.frames).second);
    for (const std::string& frame : g.frames) {
      FUZZ_CHECK(!frame.empty());
      FUZZ_CHECK(!faultline::HasControlCharacter(frame));
    }
    FUZZ_CHECK(g.frames.size() <= 256);
  }
  FUZZ_CHECK(group_sum == c.total);
  const bool cut = *declared != c.total || text.back() != '\n';
  FUZZ_CHECK(c.partial == (cut || deep));
  if (c.partial) {
    const std::string says = "cut short: it says total " +
                             std::to_string(static_cast<uint64_t>(*declared)) +
                             ", its stacks hold " + std::to_string(c.total);
    FUZZ_CHECK(c.reason.starts_with(says) == cut);
    FUZZ_CHECK((c.reason.find("stacks were cut at 256 frames") != std::string::npos) == deep);
    FUZZ_CHECK(c.reason.find('\n') == std::string::npos);
  } else {
    FUZZ_CHECK(c.reason.empty());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  faultline::StatusOr<faultline::Census> census = faultline::ParseGoroutineProfile(text);

  // What the input says, read here line by line as the parser's doc states
  // the format: the last total line, and every count line's count.
  const std::vector<std::string_view> lines = Lines(text);
  std::optional<Wide> declared;
  bool has_header = false;
  bool nameless_frame = false;
  size_t count_lines = 0;
  Wide sum = 0;
  size_t frames = 0;  // of the stack under way; in a profile that reads, every other line is one
  bool deep = false;
  for (std::string_view line : lines) {
    if (line.starts_with(kHeader)) {
      has_header = true;
      declared = Digits(line.substr(kHeader.size()));
      continue;
    }
    if (line.empty() || line.starts_with("# labels")) continue;
    nameless_frame = nameless_frame || NamelessFrame(line);
    const size_t at = line.find(" @ ");
    std::optional<Wide> n;
    if (at != std::string_view::npos) n = Digits(line.substr(0, at));
    if (n) {
      ++count_lines;
      sum += *n;
      frames = 0;
    } else {
      deep = deep || ++frames > 256;
    }
  }

  if (census.ok()) {
    FUZZ_CHECK(!nameless_frame);
    CheckCensus(*census, text, count_lines, declared, sum, deep);
  } else {
    CheckError(census.status().message(), lines, has_header, sum);
  }
  return 0;
}
