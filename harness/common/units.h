// Parsing and printing of durations and sizes with units, as scenarios write
// them: "250ms", "2s", "1.5m", "64KiB", "10MB".
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace faultline {

using Duration = std::chrono::nanoseconds;

/// The longest duration faultline takes anywhere (a phase, a run, a fault's
/// delay), about 31 years: well inside int64 nanoseconds, with room for the
/// sums made of it (now + latency + jitter).
inline constexpr int64_t kMaxDurationNs = 1'000'000'000'000'000'000;

/// Parses "<number><unit>" with unit one of ns, us, ms, s, m, h. The number
/// may have a fraction ("1.5s"). No unit, a negative number or trailing text
/// is an error: returns nullopt and sets *error (if given) to the reason.
std::optional<Duration> ParseDuration(std::string_view text, std::string* error = nullptr);

/// Parses "<number><unit>" with unit one of B, KB, MB, GB (powers of 1000)
/// or KiB, MiB, GiB (powers of 1024). Same error contract as ParseDuration.
std::optional<uint64_t> ParseSize(std::string_view text, std::string* error = nullptr);

/// "250ms", "2s", "1.5s", "3m": the shortest exact-ish form, for messages.
std::string FormatDuration(Duration d);

/// "12.3 MiB", "512 B": for terminal output (`decimals` above bytes).
std::string FormatBytes(double bytes, int decimals = 1);

inline double ToSeconds(Duration d) { return std::chrono::duration<double>(d).count(); }
inline Duration FromSeconds(double s) {
  return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(s));
}

}  // namespace faultline
