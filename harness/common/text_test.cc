#include "harness/common/text.h"

#include <doctest/doctest.h>

namespace faultline {
namespace {

TEST_CASE("Quote escapes quotes and backslashes and newlines and tabs") {
  CHECK(Quote("plain") == "\"plain\"");
  CHECK(Quote("a\"b\\c\nd\te") == "\"a\\\"b\\\\c\\nd\\te\"");
  CHECK(Quote("") == "\"\"");
}

TEST_CASE("EscapeControl writes out control characters and keeps the rest") {
  CHECK(EscapeControl("a\nb\tc\rd\x7f\x01") == "a\\nb\\tc\\x0dd\\x7f\\x01");
  CHECK(EscapeControl("caf\xc3\xa9 \"x\"") == "caf\xc3\xa9 \"x\"");  // UTF-8 and quotes as they are
}

TEST_CASE("EditDistance counts an adjacent transposition as one edit") {
  CHECK(EditDistance("hnag", "hang") == 1);
  CHECK(EditDistance("", "abc") == 3);
  CHECK(EditDistance("kitten", "sitting") == 3);
}

TEST_CASE("DidYouMean suggests the closest candidate only when it is close") {
  CHECK(DidYouMean("hnag", {"latency", "hang", "reset"}) == " (did you mean \"hang\"?)");
  CHECK(DidYouMean("xyz", {"latency", "hang"}).empty());
  CHECK(DidYouMean("a", {"b"}).empty());  // everything would be an edit
}

TEST_CASE("OneOf lists quoted names with a final or") {
  CHECK(OneOf({"a"}) == "\"a\"");
  CHECK(OneOf({"a", "b", "c"}) == "\"a\", \"b\" or \"c\"");
}

}  // namespace
}  // namespace faultline

TEST_CASE("Elide keeps short text and shortens long text at character boundaries") {
  CHECK(faultline::Elide("short", 10) == "short");
  CHECK(faultline::Elide(std::string(100, 'k'), 10) == "kkkkk\u2026(90 bytes)\u2026kkkkk");
  // "é" is two bytes: a cut inside it moves back to its first byte.
  const std::string accents = "\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9";  // 12 bytes
  CHECK(faultline::Elide(accents, 5) == "\u00e9\u2026(8 bytes)\u2026\u00e9");
}

TEST_CASE("EqualsIgnoringCase compares header names in any ASCII case") {
  CHECK(faultline::EqualsIgnoringCase("Content-Length", "content-length"));
  CHECK(faultline::EqualsIgnoringCase("", ""));
  CHECK_FALSE(faultline::EqualsIgnoringCase("Content-Length", "content-lengthx"));
  CHECK_FALSE(faultline::EqualsIgnoringCase("traceparent", "tracestate"));
}

TEST_CASE("JoinHostPort brackets an IPv6 literal as a URL does") {
  CHECK(faultline::JoinHostPort("127.0.0.1", 80) == "127.0.0.1:80");
  CHECK(faultline::JoinHostPort("::1", 19101) == "[::1]:19101");
  CHECK(faultline::JoinHostPort("db.internal", 5432) == "db.internal:5432");
}

TEST_CASE("ParseHex reads 1 to 16 hex digits of either case and nothing else") {
  CHECK(faultline::ParseHex("0100007F") == 0x0100007Fu);
  CHECK(faultline::ParseHex("ffffffffffffffff") == 0xffffffffffffffffu);
  CHECK(faultline::ParseHex("aB") == 0xabu);
  for (const char* bad : {"", "0x1f", "-1", "+1", "1g", "1 ", "00000000000000000"}) {
    CAPTURE(bad);
    CHECK_FALSE(faultline::ParseHex(bad).has_value());
  }
}
