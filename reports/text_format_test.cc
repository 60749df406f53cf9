#include <doctest/doctest.h>

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
}

TEST_CASE("EscapeMarkdown keeps a name inside one table cell") {
  CHECK(EscapeMarkdown("a|b `c` *d*\nnext") == "a\\|b \\`c\\` \\*d\\* next");
  CHECK(EscapeMarkdown("<script>&") == "&lt;script&gt;&amp;");
}

TEST_CASE("FormatMeasure shows values in their unit") {
  using nlohmann::json;
  CHECK(FormatMeasure(json(207.0), "") == "207");
  CHECK(FormatMeasure(json(950.4), "") == "950.4");
  CHECK(FormatMeasure(json(12345.0), "") == "12345");
  CHECK(FormatMeasure(json(3 * 1048576.0), "bytes") == "3.0 MiB");
  CHECK(FormatMeasure(json(2.0), "s") == "2.00s");
  CHECK(FormatMeasure(json(0.25), "s") == "250.0ms");
  CHECK(FormatMeasure(json(0.045), "ratio") == "4.5%");
  CHECK(FormatMeasure(json(2003.5), "ms") == "2.00s");
  CHECK(FormatMeasure(json(nullptr), "s") == "n/a");
  CHECK(SeriesUnit("rss_bytes") == Unit::kBytes);
  CHECK(SeriesUnit("cpu_percent") == Unit::kPercent);
  CHECK(SeriesUnit("goroutines") == Unit::kNone);
}
