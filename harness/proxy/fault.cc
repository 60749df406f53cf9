#include "harness/proxy/fault.h"

#include <array>
#include <cmath>
#include <utility>

#include "harness/proxy/stage.h"

namespace faultline {

namespace {

using Kind = ProxyFault::Kind;

constexpr std::array<std::pair<Kind, std::string_view>, 15> kKindNames = {{
    {Kind::kLatency, "latency"},
    {Kind::kBandwidth, "bandwidth"},
    {Kind::kSlowClose, "slow_close"},
    {Kind::kTimeout, "timeout"},
    {Kind::kResetPeer, "reset_peer"},
    {Kind::kSlicer, "slicer"},
    {Kind::kLimitData, "limit_data"},
    {Kind::kHang, "hang"},
    {Kind::kReset, "reset"},
    {Kind::kRefuse, "refuse"},
    {Kind::kConnectHang, "connect_hang"},
    {Kind::kAbort, "abort"},
    {Kind::kDelay, "delay"},
    {Kind::kSlowBody, "slow_body"},
    {Kind::kHangRequest, "hang_request"},
}};

// The words after the kind name: its parameters.
std::string Parameters(const ProxyFault& f) {
  switch (f.kind) {
    case Kind::kLatency: {
      std::string s = " " + FormatDuration(f.latency);
      if (f.jitter.count() > 0) s += "±" + FormatDuration(f.jitter);
      return s;
    }
    case Kind::kBandwidth:
      return " " + std::to_string(f.bytes_per_second) + " B/s";
    case Kind::kSlowClose:
      return " " + FormatDuration(f.delay);
    case Kind::kTimeout:
      return f.timeout.count() > 0 ? " " + FormatDuration(f.timeout) : " never closing";
    case Kind::kResetPeer:
      return f.timeout.count() > 0 ? " after " + FormatDuration(f.timeout) : " on first data";
    case Kind::kSlicer: {
      std::string s = " " + std::to_string(f.slice_bytes) + " B";
      if (f.slice_variation > 0) s += "±" + std::to_string(f.slice_variation);
      return s + " every " + FormatDuration(f.delay);
    }
    case Kind::kLimitData:
      return " " + std::to_string(f.bytes) + " B";
    case Kind::kHang:
    case Kind::kReset:
    case Kind::kRefuse:
    case Kind::kConnectHang:
    case Kind::kHangRequest:
      return "";
    case Kind::kAbort:
      return " " + std::to_string(f.status);
    case Kind::kDelay:
      return " " + FormatDuration(f.delay) + (f.on_response ? " on responses" : "");
    case Kind::kSlowBody:
      return " " + std::to_string(f.bytes_per_second) + " B/s";
  }
  return "";
}

// " for GET /stock x-user: a": the requests an HTTP fault matches.
std::string MatchText(const ProxyFault::Match& m) {
  std::string s;
  if (!m.method.empty()) s += " " + m.method;
  if (!m.path_prefix.empty()) s += " " + m.path_prefix + "*";
  for (const auto& [name, value] : m.headers) s += " " + name + ": " + (value.empty() ? "*" : value);
  return s.empty() ? s : " for" + s;
}


}  // namespace

std::string_view KindName(ProxyFault::Kind kind) {
  for (const auto& [k, name] : kKindNames) {
    if (k == kind) return name;
  }
  return "unknown";
}

std::optional<ProxyFault::Kind> KindFromName(std::string_view name) {
  for (const auto& [k, n] : kKindNames) {
    if (n == name) return k;
  }
  return std::nullopt;
}

bool IsHttpKind(ProxyFault::Kind kind) {
  return kind == Kind::kAbort || kind == Kind::kDelay || kind == Kind::kSlowBody ||
         kind == Kind::kHangRequest;
}

std::string Describe(const ProxyFault& f) {
  std::string s(KindName(f.kind));
  if (!f.name.empty() && f.name != s) s = f.name + ": " + s;
  s += Parameters(f);
  if (IsHttpKind(f.kind)) {
    s += MatchText(f.match);
    if (f.fraction < 1.0) {
      s += " on " + std::to_string(static_cast<int>(std::lround(f.fraction * 100))) +
           "% of requests";
    }
    return s;
  }
  if (!IsConnectionLevel(f.kind)) {
    if (f.direction == ProxyFault::Direction::kUpstream) s += " upstream";
    if (f.direction == ProxyFault::Direction::kBoth) s += " both ways";
  }
  if (f.fraction < 1.0) {
    s += " on " + std::to_string(static_cast<int>(std::lround(f.fraction * 100))) +
         "% of connections";
  }
  return s;
}

}  // namespace faultline
