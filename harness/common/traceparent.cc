#include "harness/common/traceparent.h"

namespace faultline {
namespace {

// SplitMix64's finalizer: a bijection on 64-bit values, so distinct inputs
// give distinct outputs.
uint64_t Mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

void AppendHex(uint64_t v, std::string* out) {
  static constexpr char kDigits[] = "0123456789abcdef";
  for (int shift = 60; shift >= 0; shift -= 4) out->push_back(kDigits[(v >> shift) & 0xf]);
}

bool IsLowerHex(std::string_view s) {
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

}  // namespace

std::string TraceIdFor(uint64_t seed, uint64_t index) {
  const uint64_t high = Mix(seed ^ 0x7472616365706172ULL);  // the same for the whole load
  uint64_t low = Mix(index ^ high);                         // distinct per index
  // All zeros is invalid; high == 0 and low == 0 happen for one index at most.
  if (high == 0 && low == 0) low = 1;
  std::string id;
  id.reserve(32);
  AppendHex(high, &id);
  AppendHex(low, &id);
  return id;
}

std::string TraceparentFor(uint64_t seed, uint64_t index) {
  std::string value = "00-" + TraceIdFor(seed, index) + "-";
  uint64_t parent = Mix(index + 0x9e3779b97f4a7c15ULL);
  if (parent == 0) parent = 1;  // an all-zero parent id is invalid too
  AppendHex(parent, &value);
  value += "-01";
  return value;
}

std::string TraceIdOf(std::string_view v) {
  // version "-" trace-id "-" parent-id "-" flags: 2+1+32+1+16+1+2 = 55; a
  // later version may append "-..." fields.
  if (v.size() < 55 || (v.size() > 55 && v[55] != '-')) return "";
  if (v[2] != '-' || v[35] != '-' || v[52] != '-') return "";
  const std::string_view version = v.substr(0, 2), id = v.substr(3, 32),
                         parent = v.substr(36, 16), flags = v.substr(53, 2);
  if (!IsLowerHex(version) || version == "ff" || !IsLowerHex(id) || !IsLowerHex(parent) ||
      !IsLowerHex(flags))
    return "";
  if (version == "00" && v.size() != 55) return "";
  // All zeros is invalid for either id.
  if (id.find_first_not_of('0') == std::string_view::npos) return "";
  if (parent.find_first_not_of('0') == std::string_view::npos) return "";
  return std::string(id);
}

}  // namespace faultline
