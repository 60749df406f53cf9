// Fuzz target: FrameRequest (harness/proxyd/request_framing.h), which the
// control API's accepting thread runs on every byte a client sends, before
// any HTTP library sees them. The input is the bytes received so far.
// Contracts checked: it never reads past the input; a head is found only
// when the input holds a blank line, and then ends right after the first
// one; a request whose length is unknown has no body bytes; an Expect line
// lies inside the head and is the line it names; cutting the input anywhere
// inside the head gives no framing, and any input that extends one with a
// complete head frames the same way.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "harness/proxyd/request_framing.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  const auto framing = faultline::FrameRequest(input);
  const size_t crlf = input.find("\r\n\r\n");
  const size_t lf = input.find("\n\n");
  const size_t first_end = std::min(crlf == std::string::npos ? std::string::npos : crlf + 4,
                                    lf == std::string::npos ? std::string::npos : lf + 2);
  if (!framing) {
    FUZZ_CHECK(first_end == std::string::npos);
    return 0;
  }
  FUZZ_CHECK(framing->head_bytes == first_end);
  FUZZ_CHECK(framing->head_bytes <= input.size());
  if (framing->length_unknown) FUZZ_CHECK(framing->body_bytes == 0);
  if (framing->expect_continue) {
    FUZZ_CHECK(framing->expect_line_bytes > 0);
    FUZZ_CHECK(framing->expect_line_at + framing->expect_line_bytes <= framing->head_bytes);
    const std::string line = input.substr(framing->expect_line_at, framing->expect_line_bytes);
    FUZZ_CHECK(line.back() == '\n');
    FUZZ_CHECK(line.find(':') != std::string::npos);
  }
  // The head alone frames the same way; one byte less of it does not frame.
  const auto head_only = faultline::FrameRequest(input.substr(0, framing->head_bytes));
  FUZZ_CHECK(head_only && head_only->head_bytes == framing->head_bytes &&
             head_only->body_bytes == framing->body_bytes &&
             head_only->length_unknown == framing->length_unknown &&
             head_only->expect_continue == framing->expect_continue);
  FUZZ_CHECK(!faultline::FrameRequest(input.substr(0, framing->head_bytes - 1)));
  return 0;
}
