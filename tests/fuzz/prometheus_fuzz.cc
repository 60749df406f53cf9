// Fuzz target: the Prometheus text parser (ParsePrometheusText), which reads
// every page the scraper fetches from a target, and the selector parser
// (ParseSelector) with Select and UnparsedMatch, which read a scenario's
// custom metrics. The input's first line is the selector, the rest the page.
// Contract checked: neither throws; every sample has a name; every error is
// "line N: reason" with N within the page and has its unparsed line; an
// unparsed line a selector matches has the selector's name.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "harness/scrape/prometheus.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t newline = input.find('\n');
  std::string_view selector_text = input.substr(0, newline);
  std::string_view page = newline == std::string_view::npos ? std::string_view() : input.substr(newline + 1);

  faultline::PromParse parse = faultline::ParsePrometheusText(page);
  size_t lines = 1;
  for (char c : page) lines += c == '\n';
  for (const faultline::PromSample& s : parse.samples) FUZZ_CHECK(!s.name.empty());
  for (const std::string& e : parse.errors) {
    FUZZ_CHECK(e.starts_with("line "));
    const size_t n = std::stoul(e.substr(5));
    FUZZ_CHECK(n >= 1 && n <= lines);
  }
  FUZZ_CHECK(parse.unparsed.size() == parse.errors.size());

  auto selector = faultline::ParseSelector(selector_text);
  if (selector.ok()) {
    FUZZ_CHECK(!selector->name.empty());
    (void)faultline::Select(parse, *selector);
    if (const std::string* error = faultline::UnparsedMatch(parse, *selector)) {
      const size_t i = static_cast<size_t>(error - parse.errors.data());
      FUZZ_CHECK(i < parse.unparsed.size() && parse.unparsed[i].name == selector->name);
    }
  } else {
    FUZZ_CHECK(!selector.status().message().empty());
  }
  return 0;
}
