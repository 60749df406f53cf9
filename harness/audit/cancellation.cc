#include "harness/audit/cancellation.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "harness/common/text.h"

namespace faultline {
namespace {

bool GaveUp(Outcome o) { return o == Outcome::kTimeout || o == Outcome::kReset; }

// True when some upstream request carries the trace id of a client request.
bool Forwarded(const CallerLedger& callers, const std::vector<UpstreamSpan>& upstream) {
  for (const auto& u : upstream)
    if (!u.trace_id.empty() && callers.Find(u.trace_id)) return true;
  return false;
}

std::vector<std::pair<double, uint64_t>> Histogram(const std::vector<double>& values_s) {
  std::vector<std::pair<double, uint64_t>> out;
  for (double bound : OutlivedBucketsMs()) out.push_back({bound, 0});
  for (double v : values_s) {
    const double ms = v * 1000;
    for (auto& [bound, count] : out) {
      if (ms <= bound) {
        ++count;
        break;
      }
    }
  }
  return out;
}

}  // namespace

std::optional<CallerLedger::Key> CallerLedger::KeyOf(std::string_view trace_id) {
  if (trace_id.size() != 32) return std::nullopt;
  const std::optional<uint64_t> hi = ParseHex(trace_id.substr(0, 16));
  const std::optional<uint64_t> lo = ParseHex(trace_id.substr(16));
  if (!hi || !lo) return std::nullopt;
  return Key{*hi, *lo};
}

void CallerLedger::Add(const RequestResult& r) {
  if (r.outcome == Outcome::kDropped) return;
  const bool gave_up = GaveUp(r.outcome);
  if (gave_up) ++gave_up_;
  if (auto key = KeyOf(r.trace_id)) by_trace_[*key] = Caller{r.intended_s + r.latency_s, gave_up};
}

const CallerLedger::Caller* CallerLedger::Find(std::string_view trace_id) const {
  const auto key = KeyOf(trace_id);
  if (!key) return nullptr;
  auto it = by_trace_.find(*key);
  return it == by_trace_.end() ? nullptr : &it->second;
}

const std::vector<double>& OutlivedBucketsMs() {
  static const std::vector<double> kBounds = {
      0, 10, 100, 250, 500, 1000, 2000, 5000, 10000, 30000, 60000,
      std::numeric_limits<double>::infinity()};
  return kBounds;
}

double NearestRank(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return NAN;
  const double rank = std::ceil(p / 100 * static_cast<double>(sorted.size()));
  const size_t index = rank < 1 ? 0 : static_cast<size_t>(rank) - 1;
  return sorted[std::min(index, sorted.size() - 1)];
}

CancellationSummary AuditCancellation(const CallerLedger& callers,
                                      const std::vector<UpstreamSpan>& upstream,
                                      const AuditEnd& end) {
  CancellationSummary s;
  s.forwarded = Forwarded(callers, upstream);
  s.upstream_requests = upstream.size();
  s.gave_up = callers.gave_up();
  s.client_in_flight_at_end = end.client_in_flight;
  for (const auto& u : upstream) {
    if (!u.end_s) ++s.open_at_end;
    const CallerLedger::Caller* caller =
        !s.forwarded || u.trace_id.empty() ? nullptr : callers.Find(u.trace_id);
    if (!caller) {
      // Not tied to a caller: the target did not forward traceparent on
      // this call (on any, when !forwarded), or its caller is still in
      // flight. Whoever caused it started before it and had left by start
      // + client timeout: open past that, it is an orphan by age alone.
      if (s.forwarded) ++s.untraced;
      const double age = end.end_s - u.start_s - end.client_timeout_s;
      if (!u.end_s && age > 0) s.orphan_ages_s.push_back(age);
      continue;
    }
    if (!u.end_s) {
      if (caller->left_s <= end.end_s) s.orphan_ages_s.push_back(end.end_s - caller->left_s);
      if (caller->gave_up) {
        ++s.never_ended;
        // Still open: it outlived its caller by at least this much.
        s.outlived_s.push_back(std::max(0.0, end.end_s - caller->left_s));
      }
      continue;
    }
    if (!caller->gave_up) continue;
    if (*u.end_s <= caller->left_s) {
      ++s.ended_before;
      s.outlived_s.push_back(0);
    } else {
      ++s.ended_after;
      s.outlived_s.push_back(*u.end_s - caller->left_s);
    }
  }
  s.orphans = s.orphan_ages_s.size();
  std::sort(s.outlived_s.begin(), s.outlived_s.end());
  std::sort(s.orphan_ages_s.begin(), s.orphan_ages_s.end());
  if (!s.outlived_s.empty()) {
    s.outlived.p50_ms = NearestRank(s.outlived_s, 50) * 1000;
    s.outlived.p99_ms = NearestRank(s.outlived_s, 99) * 1000;
    s.outlived.max_ms = s.outlived_s.back() * 1000;
  }
  if (s.forwarded) s.outlived_histogram = Histogram(s.outlived_s);
  return s;
}

std::vector<double> OrphansOver(const CallerLedger& callers,
                                const std::vector<UpstreamSpan>& upstream,
                                const std::vector<double>& t_s, double client_timeout_s) {
  if (!Forwarded(callers, upstream)) return {};
  // Each orphan is one interval [max(start, left), end). Those open at t
  // are the ones begun by t less the ones ended by t (an interval ends
  // after it begins): two sorted lists, not every interval for every sample
  // (an hour's run can have 10^5 orphans and 36,000 samples).
  std::vector<double> begins;
  std::vector<double> ends;
  for (const auto& u : upstream) {
    const CallerLedger::Caller* caller = u.trace_id.empty() ? nullptr : callers.Find(u.trace_id);
    // Not tied to a caller (AuditCancellation): an orphan once it has been
    // open longer than the client timeout.
    const double from = caller ? std::max(u.start_s, caller->left_s)
                               : u.start_s + client_timeout_s;
    const double to = u.end_s ? *u.end_s : std::numeric_limits<double>::infinity();
    if (!(from < to)) continue;
    begins.push_back(from);
    ends.push_back(to);
  }
  std::sort(begins.begin(), begins.end());
  std::sort(ends.begin(), ends.end());
  std::vector<double> out;
  out.reserve(t_s.size());
  for (double t : t_s) {
    const auto begun = std::upper_bound(begins.begin(), begins.end(), t) - begins.begin();
    const auto ended = std::upper_bound(ends.begin(), ends.end(), t) - ends.begin();
    out.push_back(static_cast<double>(begun - ended));
  }
  return out;
}

}  // namespace faultline
