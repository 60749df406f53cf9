// Fuzz target: the results.json reader (ResultsFromJson on the document
// nlohmann::json parses from the input), the path `faultline report` takes.
// Contract checked: the reader never throws; what it accepts is written
// back without throwing (ResultsJsonText), read again, and written the same
// way (the writer and the reader agree: results.json is the source of
// truth, so `faultline report` must give the same bytes later).

#include <cstddef>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "harness/result/results_json.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  nlohmann::json doc = nlohmann::json::parse(data, data + size, /*cb=*/nullptr,
                                             /*allow_exceptions=*/false);
  if (doc.is_discarded()) return 0;
  auto first = faultline::ResultsFromJson(doc);
  if (!first.ok()) {
    FUZZ_CHECK(!first.status().message().empty());
    return 0;
  }
  const std::string text = faultline::ResultsJsonText(*first);
  nlohmann::json written = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  FUZZ_CHECK(!written.is_discarded());
  auto second = faultline::ResultsFromJson(written);
  FUZZ_CHECK(second.ok());
  FUZZ_CHECK(faultline::ResultsJsonText(*second) == text);
  return 0;
}
