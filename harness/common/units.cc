#include "harness/common/units.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace faultline {
namespace {

// Splits "<number><unit>" and parses the number. Returns false with *error set.
bool SplitNumber(std::string_view text, double* number, std::string_view* unit,
                 std::string* error) {
  size_t i = 0;
  while (i < text.size() && (isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
  if (i == 0) {
    if (error) *error = "expected a number with a unit, like \"2s\" or \"64KiB\"";
    return false;
  }
  std::string num(text.substr(0, i));
  char* end = nullptr;
  *number = std::strtod(num.c_str(), &end);
  if (end != num.c_str() + num.size() || !std::isfinite(*number)) {
    if (error) *error = "\"" + num + "\" is not a number";
    return false;
  }
  *unit = text.substr(i);
  if (unit->empty()) {
    if (error) *error = "missing unit in \"" + std::string(text) + "\"";
    return false;
  }
  return true;
}

}  // namespace

std::optional<Duration> ParseDuration(std::string_view text, std::string* error) {
  double n = 0;
  std::string_view unit;
  if (!SplitNumber(text, &n, &unit, error)) {
    if (error && error->rfind("missing unit", 0) == 0) *error += " (use ns, us, ms, s, m or h)";
    return std::nullopt;
  }
  double ns_per = 0;
  if (unit == "ns") ns_per = 1;
  else if (unit == "us") ns_per = 1e3;
  else if (unit == "ms") ns_per = 1e6;
  else if (unit == "s") ns_per = 1e9;
  else if (unit == "m") ns_per = 60e9;
  else if (unit == "h") ns_per = 3600e9;
  else {
    if (error) *error = "unknown duration unit \"" + std::string(unit) + "\" (use ns, us, ms, s, m or h)";
    return std::nullopt;
  }
  double total = n * ns_per;
  if (total > static_cast<double>(kMaxDurationNs)) {
    if (error) *error = "duration \"" + std::string(text) + "\" is too long";
    return std::nullopt;
  }
  return Duration(static_cast<int64_t>(std::llround(total)));
}

std::optional<uint64_t> ParseSize(std::string_view text, std::string* error) {
  double n = 0;
  std::string_view unit;
  if (!SplitNumber(text, &n, &unit, error)) {
    if (error && error->rfind("missing unit", 0) == 0) *error += " (use B, KB, MB, GB, KiB, MiB or GiB)";
    return std::nullopt;
  }
  double mult = 0;
  if (unit == "B") mult = 1;
  else if (unit == "KB") mult = 1e3;
  else if (unit == "MB") mult = 1e6;
  else if (unit == "GB") mult = 1e9;
  else if (unit == "KiB") mult = 1024.0;
  else if (unit == "MiB") mult = 1024.0 * 1024;
  else if (unit == "GiB") mult = 1024.0 * 1024 * 1024;
  else {
    if (error) *error = "unknown size unit \"" + std::string(unit) + "\" (use B, KB, MB, GB, KiB, MiB or GiB)";
    return std::nullopt;
  }
  double total = n * mult;
  // llround's long long ends at 2^63 (8 EiB); no size here comes near it.
  if (!(total < 9223372036854775807.0)) {
    if (error) *error = "size \"" + std::string(text) + "\" is too large (at most 9.2e18 bytes)";
    return std::nullopt;
  }
  return static_cast<uint64_t>(std::llround(total));
}

std::string FormatDuration(Duration d) {
  const int64_t ns = d.count();
  char buf[64];
  auto fmt = [&](double v, const char* unit) {
    if (v == std::floor(v)) std::snprintf(buf, sizeof buf, "%.0f%s", v, unit);
    else std::snprintf(buf, sizeof buf, "%.3g%s", v, unit);
    return std::string(buf);
  };
  if (ns == 0) return "0s";
  if (ns % 3'600'000'000'000 == 0) return fmt(ns / 3.6e12, "h");
  if (ns % 60'000'000'000 == 0) return fmt(ns / 6e10, "m");
  if (ns >= 1'000'000'000) return fmt(ns / 1e9, "s");
  if (ns >= 1'000'000) return fmt(ns / 1e6, "ms");
  if (ns >= 1'000) return fmt(ns / 1e3, "us");
  return fmt(static_cast<double>(ns), "ns");
}

std::string FormatBytes(double bytes, int decimals) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  double v = bytes;
  while (std::fabs(v) >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  char buf[64];
  if (u == 0) std::snprintf(buf, sizeof buf, "%.0f %s", v, units[u]);
  else std::snprintf(buf, sizeof buf, "%.*f %s", decimals, v, units[u]);
  return buf;
}

}  // namespace faultline
