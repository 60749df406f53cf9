// The census of a Go target: its goroutine profile, in the text form
// net/http/pprof serves at /debug/pprof/goroutine?debug=1, grouped like the
// native census (identical stacks merged, largest group first).
//
// FetchGoCensus blocks for at most `timeout`, the whole fetch from connect to
// the profile's last byte (a plain HTTP/1.1 GET over loopback, through the
// harness's HttpClient on a loop of its own); call it off the event loop. It
// never fails: a profile that cannot be fetched in time or read gives a
// census marked partial with the reason.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "harness/common/status.h"
#include "harness/result/census.h"

namespace faultline {

/// The groups of a debug=1 goroutine profile ("goroutine profile: total N",
/// then per stack "COUNT @ ADDR..." and "#\tADDR\tFUNC+0xOFF\tFILE:LINE"
/// lines). Frames read "FUNC (file.go:LINE)", or "?? (ADDR)" for a frame line
/// with only its address (Go could not name it); state and syscall stay "".
/// Invalid naming the first line that is neither.
StatusOr<Census> ParseGoroutineProfile(std::string_view text);

/// GETs `url` ("http://127.0.0.1:PORT/debug/pprof/goroutine?debug=1"; the
/// host an IP literal or localhost, never a name to resolve) and parses it;
/// source "go", pause_s the request's duration (an upper bound of the time Go
/// stopped the world to collect it). A fetch still unfinished after
/// `timeout` is cut off: the reason reads "goroutine profile URL: timed out
/// after 1s (target.census.timeout)".
Census FetchGoCensus(const std::string& url, std::chrono::milliseconds timeout);

}  // namespace faultline
