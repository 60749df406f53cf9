#include <doctest/doctest.h>

#include "reports/markdown_report.h"
#include "reports/report_checks.h"
#include "reports/sample_results.h"

using namespace faultline;

using faultline::testing::Has;

TEST_CASE("Markdown: the verdict and a check table per variant") {
  const std::string md = RenderMarkdown(testing::AbRun());
  CHECK(md.rfind("## faultline: hung-dependency — ✅ PASSED\n", 0) == 0);
  CHECK(Has(md, "| naive | fail | fail | ✅ as expected |\n"));
  CHECK(Has(md, "### naive (expected to fail)\n\n| check | observed | limit | result |\n|---|---:|---:|---|\n"
                "| threads bounded by rate x budget during the hang | 950.4 | 300 | ☑️ fail (expected) |\n"));
  CHECK(Has(md, "| memory growth | 5.3 MiB | 64.0 MiB | ✅ pass |\n"));
  CHECK(Has(md, "Requests: 220 total, ok 121, HTTP 504 99; latency p50"));
}

TEST_CASE("Markdown: pipes and backticks in names cannot break a table") {
  const std::string md = RenderMarkdown(testing::HostileRun());
  CHECK_FALSE(Has(md, "<script"));
  CHECK(Has(md, "| check &lt;script&gt;alert\\(\"x&amp;y\"\\)&lt;/script&gt;&lt;/svg&gt;&lt;b&gt;'q'&lt;/b&gt; "
                "\\| \\`tick\\` &amp;amp; red | 29 | 10 | ❌ FAIL |\n"));
  CHECK(Has(md, "— ❌ ERROR\n"));
  // Every table row has exactly the columns of its header: 4 unescaped pipes + 1.
  for (size_t p = md.find("\n| check "); p != std::string::npos; p = md.find("\n| check ", p + 1)) {
    const std::string row = md.substr(p + 1, md.find('\n', p + 1) - p - 1);
    size_t pipes = 0;
    for (size_t i = 0; i < row.size(); ++i) pipes += row[i] == '|' && (i == 0 || row[i - 1] != '\\');
    CHECK(pipes == 5);
  }
}
