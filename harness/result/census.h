// The census model: where the target's threads (or goroutines) were waiting
// at one moment, grouped by identical stack. Taken by harness/census, kept in
// VariantResult::census, written to results.json as `census`.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace faultline {

/// Threads (or goroutines) with the same stack, state and syscall.
struct CensusGroup {
  uint64_t count = 0;
  std::string state;    // native: the /proc stat letter ("S", "R", "D", "t");
                        // Go: "" (debug=1 profiles do not say)
  std::string syscall;  // native: "poll", "futex", "syscall 321"; "" when running,
                        // "unknown" when /proc/TID/syscall is not readable; Go: ""
  std::vector<std::string> frames;  // innermost first: "function (file.cc:84)",
                                    // "function", or "?? (module+0x1f0)"
  bool operator==(const CensusGroup&) const = default;
};

/// One census of the target.
struct Census {
  std::string at;            // "end", or the moment as the scenario writes it: "hang+8s"
  double t_s = 0;            // run time it was taken (its start)
  double pause_s = 0;        // how long the target was stopped; 0 for a goroutine profile
  std::string source;        // "native" (stopped and unwound) or "go" (goroutine profile)
  uint64_t total = 0;        // threads (or goroutines) counted, = sum of the groups' counts
  bool partial = false;      // some threads were not counted or not fully unwound
  std::string reason;        // why it is partial (one line); "" when complete
  std::vector<CensusGroup> groups;  // by count, largest first
  /// Run time only (not in results.json): the executables whose frames could
  /// not be named ("?? (svc+0x1f0)"), so a held pattern naming their
  /// functions cannot match those frames.
  std::vector<std::string> unnamed_modules = {};
  bool operator==(const Census&) const = default;
};

/// The threads of `census` that do not match `pattern` but might have: those
/// with no stack (not stopped, not unwound; a Go goroutine with none is one
/// whose only frame is the runtime.goexit its profile hides) and those with
/// a frame of one of its unnamed_modules.
uint64_t CountUnjudged(const Census& census, const std::string& pattern);

/// " <- " joined frames, function names only (file:line dropped) but for the
/// last shown, at most `max_frames` of them, innermost first: the one-line
/// form of a stack ("poll <- httplib::ClientImpl::read_response_line <-
/// orders::InventoryClient::Get (orders.cc:84)"); "(no stack)" for a group
/// without frames (threads that could not be stopped or unwound).
std::string StackLine(const CensusGroup& group, size_t max_frames = 4);

/// True when `pattern` matches the group's frames joined with "\n", innermost
/// first: when it begins or ends with `*`, as a glob (fnmatch: `*`, `?`,
/// `[...]`; `*` also crosses frames) over the whole joined text; otherwise
/// as a substring of it (so Go's "main.(*inventory).get" is plain text).
bool CensusFramesMatch(const CensusGroup& group, const std::string& pattern);

/// The counts of the groups of `census` that CensusFramesMatch `pattern`,
/// summed: the threads (or goroutines) whose stack matches.
uint64_t CountMatching(const Census& census, const std::string& pattern);

}  // namespace faultline
