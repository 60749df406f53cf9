// Text for messages: the one quoting helper and "did you mean" suggestions.
// Every message that names a user's value (a key, a file, a process, a
// metric) quotes it with Quote(), so the same value reads the same way in
// every error.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace faultline {

/// `s` in double quotes with ", \, newline, CR and tab escaped as in TOML and
/// JSON, other control characters as \xHH, so that it stays on one line:
/// Quote("a\"b") is "\"a\\\"b\"".
std::string Quote(std::string_view s);

/// True when `s` holds a byte below 0x20 or DEL: not one line of plain text.
bool HasControlCharacter(std::string_view s);

/// True when `s` holds a space or a control character: it would end an
/// HTTP request line early (a path must encode a space as %20).
bool HasSpaceOrControl(std::string_view s);

/// True when `s` holds CR, LF or NUL: it would end an HTTP header early.
bool HasLineBreakOrNul(std::string_view s);

/// `s` with its control characters written out, so that it stays on one
/// line: newline as \n, tab as \t, the others (and DEL) as \xHH.
std::string EscapeControl(std::string_view s);

/// `s` when it has at most `max` bytes; otherwise its start and end with the
/// middle replaced by "…(N bytes)…", cut at UTF-8 character boundaries, so
/// a 10,000-character key still gives a readable one-line error.
std::string Elide(std::string_view s, size_t max);

/// Optimal string alignment distance: insertions, deletions, substitutions,
/// and adjacent transpositions counted as one ("hnag" -> "hang" is 1).
size_t EditDistance(std::string_view a, std::string_view b);

/// " (did you mean "x"?)" for the closest candidate within max(2, len/3)
/// edits, or "" when none is close.
std::string DidYouMean(std::string_view got, const std::vector<std::string>& candidates);

/// "\"a\", \"b\" or \"c\"" (each name quoted).
std::string OneOf(const std::vector<std::string>& names);

/// "127.0.0.1:80", "[::1]:80", "db.internal:5432": `host` (an address or a
/// name; an IPv6 literal without brackets) and `port` as a URL, a Host header
/// and every message write them.
std::string JoinHostPort(std::string_view host, uint16_t port);

/// `a` and `b` are equal ignoring ASCII case, as HTTP header names compare.
bool EqualsIgnoringCase(std::string_view a, std::string_view b);

/// "0100007F" -> 0x0100007F: 1 to 16 hex digits of either case, nothing
/// else (no sign, no 0x); nullopt otherwise.
std::optional<uint64_t> ParseHex(std::string_view digits);

}  // namespace faultline
