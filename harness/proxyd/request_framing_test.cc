#include "harness/proxyd/request_framing.h"

#include <doctest/doctest.h>

#include <string>

namespace faultline {
namespace {

TEST_CASE("FrameRequest waits for the blank line that ends the head") {
  CHECK_FALSE(FrameRequest(""));
  CHECK_FALSE(FrameRequest("GET /version HTTP/1.1\r\nHost: x\r\n"));
  std::optional<RequestFraming> f = FrameRequest("GET /version HTTP/1.1\r\nHost: x\r\n\r\nGET");
  REQUIRE(f);
  CHECK(f->head_bytes == 34);
  CHECK(f->body_bytes == 0);
  CHECK_FALSE(f->length_unknown);
  CHECK_FALSE(f->expect_continue);
  REQUIRE(FrameRequest("GET / HTTP/1.1\nHost: x\n\n"));
  CHECK(FrameRequest("GET / HTTP/1.1\nHost: x\n\n")->head_bytes == 24);
}

TEST_CASE("FrameRequest reads Content-Length in any case - the first one counts") {
  const std::string head =
      "POST /populate HTTP/1.1\r\ncontent-LENGTH:  12 \r\n"
      "Content-Length: 99\r\n\r\n";
  std::optional<RequestFraming> f = FrameRequest(head + "[]");
  REQUIRE(f);
  CHECK(f->head_bytes == head.size());
  CHECK(f->body_bytes == 12);
  CHECK_FALSE(f->length_unknown);
}

TEST_CASE("FrameRequest marks a body of unknown length: chunked or a bad Content-Length") {
  const char* heads[] = {
      "POST /proxies HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
      "POST /proxies HTTP/1.1\r\nContent-Length: 12\r\nTransfer-Encoding: chunked\r\n\r\n",
      "POST /proxies HTTP/1.1\r\nContent-Length: 12abc\r\n\r\n",
      "POST /proxies HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
  };
  for (const char* head : heads) {
    CAPTURE(head);
    std::optional<RequestFraming> f = FrameRequest(head);
    REQUIRE(f);
    CHECK(f->length_unknown);
    CHECK(f->body_bytes == 0);
  }
}

TEST_CASE("FrameRequest finds the Expect 100-continue line") {
  const std::string line = "Expect: 100-Continue\r\n";
  const std::string start = "POST /populate HTTP/1.1\r\nContent-Length: 2\r\n";
  std::optional<RequestFraming> f = FrameRequest(start + line + "\r\n");
  REQUIRE(f);
  CHECK(f->expect_continue);
  CHECK(f->expect_line_at == start.size());
  CHECK(f->expect_line_bytes == line.size());
}

TEST_CASE("ParseContentLength takes digits only") {
  CHECK(ParseContentLength("0") == 0u);
  CHECK(ParseContentLength(" 1048576\t") == 1048576u);
  CHECK(ParseContentLength("18446744073709551615") == UINT64_MAX);
  for (const char* bad : {"", " ", "+1", "-1", "1 2", "0x10", "18446744073709551616"}) {
    CAPTURE(bad);
    CHECK_FALSE(ParseContentLength(bad));
  }
}

}  // namespace
}  // namespace faultline
