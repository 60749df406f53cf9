#include <doctest/doctest.h>

#include <cmath>

#include "reports/text_format.h"
#include "harness/result/result.h"

using namespace faultline;

TEST_CASE("EscapeXml escapes markup and quotes") {
  CHECK(EscapeXml("<a href=\"x\">'&'</a>") ==
        "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
}

TEST_CASE("CleanText keeps UTF-8 and drops what no report can show") {
  CHECK(CleanText("h\xC3\xA9 \xE2\x9C\x85") == "h\xC3\xA9 \xE2\x9C\x85");
  CHECK(CleanText("a\xFF" "b") == "a\xEF\xBF\xBD" "b");             // invalid byte
  CHECK(CleanText("\xC3") == "\xEF\xBF\xBD");                       // truncated sequence
  CHECK(CleanText("\xED\xA0\x80") == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
  CHECK(CleanText("\x1b[31mred\x1b[0m ok") == "red ok");             // colour codes
  CHECK(CleanText("a\x01" "b\r\nc\td") == "a\xEF\xBF\xBD" "b\nc\td");
  CHECK(CleanText("a\xC2\x9B" "2J") == "a\xEF\xBF\xBD" "2J");          // C1 CSI: one replacement
  CHECK(CleanText("\xEF\xBF\xBE\xEF\xBF\xBF") == "\xEF\xBF\xBD\xEF\xBF\xBD");  // not XML
  CHECK(CleanText("\xC2\xA0\xEF\xBF\xBD") == "\xC2\xA0\xEF\xBF\xBD");  // NBSP, U+FFFD stay
}

TEST_CASE("EscapeMarkdown keeps a name inside one table cell") {
  CHECK(EscapeMarkdown("a|b `c` *d*\nnext") == "a\\|b \\`c\\` \\*d\\* next");
  CHECK(EscapeMarkdown("<script>&") == "&lt;script&gt;&amp;");
}

// A failed check must not read as its own limit: "0.0% | 0.0%" for one
// error in 2,500 requests against a limit of none.
TEST_CASE("a check's observed value and limit differ in print when they differ") {
  using P = std::pair<std::string, std::string>;
  CHECK(FormatObservedAndLimit(0.0004, 0, Unit::kRatio) == P{"0.04%", "0.00%"});
  CHECK(FormatObservedAndLimit(0.0014, 0.001, Unit::kRatio) == P{"0.14%", "0.10%"});
  CHECK(FormatObservedAndLimit(2.504, 2.5, Unit::kSeconds) == P{"2.504s", "2.500s"});
  CHECK(FormatObservedAndLimit(10004.6, 10000, Unit::kNone) == P{"10004.6", "10000"});
  CHECK(FormatObservedAndLimit(300.0001, 300, Unit::kNone) == P{"300.0001", "300"});
  CHECK(FormatObservedAndLimit(300, 300, Unit::kNone) == P{"300", "300"});
  CHECK(FormatObservedAndLimit(941, 300, Unit::kNone) == P{"941", "300"});
  CHECK(FormatObservedAndLimit(NAN, 300, Unit::kNone) == P{"n/a", "300"});
}

TEST_CASE("FormatMeasure shows values in their unit") {
  CHECK(FormatMeasure(207.0, Unit::kNone) == "207");
  CHECK(FormatMeasure(950.4, Unit::kNone) == "950.4");
  CHECK(FormatMeasure(12345.0, Unit::kNone) == "12345");
  CHECK(FormatMeasure(3 * 1048576.0, Unit::kBytes) == "3.0 MiB");
  CHECK(FormatMeasure(2.0, Unit::kSeconds) == "2.00s");
  CHECK(FormatMeasure(0.25, Unit::kSeconds) == "250.0ms");
  CHECK(FormatMeasure(0.045, Unit::kRatio) == "4.5%");
  CHECK(FormatMeasure(2003.5, Unit::kMilliseconds) == "2.00s");
  CHECK(FormatMeasure(12.5, Unit::kPerSecond) == "12.5/s");
  CHECK(FormatMeasure(NAN, Unit::kSeconds) == "n/a");
  CHECK(FormatMeasure(10004.6, Unit::kNone) == "10004.6");  // not 1e+04
  CHECK(FormatMeasure(-0.226, Unit::kPercentPerSecond) == "-0.226%/s");
  CHECK(SeriesUnit("rss_bytes") == Unit::kBytes);
  CHECK(SeriesUnit("cpu_percent") == Unit::kPercent);
  CHECK(SeriesUnit("goroutines") == Unit::kNone);
}
