// groundtruth: a process whose resource use is known exactly, so the
// sampler's readings can be checked against the truth.
//
// A State says how many threads the process has in all (main thread
// included), how many MiB of anonymous memory it holds touched (on top of
// whatever the program itself uses), how many TCP sockets it holds in
// CLOSE_WAIT and in ESTABLISHED, and how many file descriptors it has open
// in all (sockets, the listener and stdio included). Apply() moves the
// process to a State and returns only once the kernel agrees: every
// CLOSE_WAIT socket has seen its peer's FIN, every thread has started or
// been joined, every page is touched.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/common/status.h"
#include "harness/common/units.h"

namespace faultline::groundtruth {

// Whether a process's RSS in this build is the memory it touched, so that
// tests compare readings of `memory_mib` with it. Under a sanitizer it is
// not: ASan's mmap interceptor writes shadow for every new mapping (an
// eighth of its size: 64 MiB touched reads as about 72 MiB), TSan's shadow
// is several times the memory (336 MB); those builds check everything else.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
inline constexpr bool kRssIsTouchedMemory = false;
#else
inline constexpr bool kRssIsTouchedMemory = true;
#endif

struct State {
  std::optional<uint64_t> threads;       // total, >= 1
  std::optional<uint64_t> memory_mib;    // touched anonymous memory held on purpose
  std::optional<uint64_t> close_wait;    // sockets whose peer closed, not closed here
  std::optional<uint64_t> established;   // connected sockets; even: both ends are here
  std::optional<uint64_t> fds;           // total open fds; padded with /dev/null
};

/// One step of the schedule: at `at` after start, move to `state` (keys
/// left unset keep their previous value).
struct Step {
  Duration at{0};
  State state;
};

/// Parses "2s:threads=500,memory=64MiB,fds=2000,close_wait=100,established=20".
/// Memory takes a size (a multiple of 1 MiB). Invalid naming the bad part.
StatusOr<Step> ParseStep(std::string_view text);

/// Owns the threads, memory and sockets. Not thread-safe; one per process.
class Holder {
 public:
  Holder();
  ~Holder();  // joins every thread, frees memory, closes every fd it opened
  Holder(const Holder&) = delete;
  Holder& operator=(const Holder&) = delete;

  /// Moves to `state` (unset keys keep their value). Invalid when the state
  /// cannot be reached (fds fewer than the sockets need, odd established);
  /// Unavailable when the OS refuses (EMFILE, ENOMEM).
  Status Apply(const State& state);

  /// What the process holds now, as the kernel reports it for fds.
  std::string Describe() const;
  uint64_t open_fds() const;  // counted from /proc/self/fd

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace faultline::groundtruth
