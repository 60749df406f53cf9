// RequestFraming: where an HTTP/1.1 request ends, read from the bytes that
// have arrived so far, before any HTTP library sees them. The control API's
// accepting thread (api_server.cc) uses it to hand a request to a worker
// only once the request's head and its whole body are there, so that no
// worker ever waits for a client.
//
// Pure functions over bytes: no I/O, no allocation beyond the result.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace faultline {

struct RequestFraming {
  size_t head_bytes = 0;    // the request line and headers, up to and with the blank line
  uint64_t body_bytes = 0;  // Content-Length; 0 when absent or when length_unknown
  // Transfer-Encoding, or a Content-Length that is no number: where the
  // body ends is unknown, so the request is answered without its body and
  // its connection closed.
  bool length_unknown = false;
  // "Expect: 100-continue": the client may wait for an interim answer before
  // it sends the body. `expect_line` is that header line (offset, bytes,
  // with its line end) within the head.
  bool expect_continue = false;
  size_t expect_line_at = 0;
  size_t expect_line_bytes = 0;
};

/// The framing of the request at the start of `read`; nullopt while its head
/// (ended by the first blank line, "\r\n\r\n" or "\n\n") is incomplete.
/// Header names are matched in any case; the first Content-Length counts.
std::optional<RequestFraming> FrameRequest(std::string_view read);

/// A Content-Length value: decimal digits only, blanks around them allowed;
/// nullopt otherwise (empty, a sign, other characters, above uint64).
std::optional<uint64_t> ParseContentLength(std::string_view value);

}  // namespace faultline
