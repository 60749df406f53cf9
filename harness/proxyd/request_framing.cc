#include "harness/proxyd/request_framing.h"

#include <algorithm>
#include <charconv>

#include "harness/common/text.h"

namespace faultline {
namespace {

std::string_view TrimBlanks(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::optional<uint64_t> ParseContentLength(std::string_view value) {
  value = TrimBlanks(value);
  if (value.empty() ||
      !std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  uint64_t n = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
  if (ec != std::errc() || end != value.data() + value.size()) return std::nullopt;
  return n;
}

std::optional<RequestFraming> FrameRequest(std::string_view read) {
  size_t end = std::string_view::npos;
  for (std::string_view blank : {std::string_view("\r\n\r\n"), std::string_view("\n\n")}) {
    const size_t at = read.find(blank);
    if (at != std::string_view::npos) end = std::min(end, at + blank.size());
  }
  if (end == std::string_view::npos) return std::nullopt;
  RequestFraming f;
  f.head_bytes = end;
  bool seen_length = false;
  // Header lines follow the request line; the blank line ends them.
  for (size_t at = read.find('\n') + 1; at < end;) {
    const size_t next = read.find('\n', at) + 1;  // within the head: it ends with '\n'
    std::string_view line = read.substr(at, next - at - 1);
    if (line.ends_with('\r')) line.remove_suffix(1);
    const size_t colon = line.find(':');
    if (colon != std::string_view::npos) {
      const std::string_view name = line.substr(0, colon);
      const std::string_view value = TrimBlanks(line.substr(colon + 1));
      if (EqualsIgnoringCase(name, "Content-Length") && !seen_length) {
        seen_length = true;
        std::optional<uint64_t> n = ParseContentLength(value);
        if (n) f.body_bytes = *n;
        if (!n) f.length_unknown = true;
      } else if (EqualsIgnoringCase(name, "Transfer-Encoding")) {
        f.length_unknown = true;
      } else if (EqualsIgnoringCase(name, "Expect") && EqualsIgnoringCase(value, "100-continue")) {
        f.expect_continue = true;
        f.expect_line_at = at;
        f.expect_line_bytes = next - at;
      }
    }
    at = next;
  }
  if (f.length_unknown) f.body_bytes = 0;
  return f;
}

}  // namespace faultline
