#include "harness/result/result.h"

#include <algorithm>
#include <bit>

namespace faultline {
namespace {

constexpr int kSubBits = 5;                 // 32 sub-buckets per power of two
constexpr uint64_t kLinear = 64;            // exact below 64 us

size_t BucketOf(uint64_t us) {
  if (us < kLinear) return us;
  int e = 63 - std::countl_zero(us);        // >= 6
  uint64_t sub = (us >> (e - kSubBits)) & ((1u << kSubBits) - 1);
  return kLinear + static_cast<size_t>(e - 6) * (1u << kSubBits) + sub;
}

// Largest value (us) that falls in bucket `b`.
double UpperBoundUs(size_t b) {
  if (b < kLinear) return static_cast<double>(b);
  size_t k = b - kLinear;
  int e = static_cast<int>(k >> kSubBits) + 6;
  uint64_t sub = k & ((1u << kSubBits) - 1);
  uint64_t lo = (uint64_t{1} << e) | (sub << (e - kSubBits));
  uint64_t width = uint64_t{1} << (e - kSubBits);
  return static_cast<double>(lo + width - 1);
}

}  // namespace

void LatencyHistogram::Add(double seconds) {
  if (!(seconds >= 0)) seconds = 0;
  uint64_t us = static_cast<uint64_t>(std::min(seconds * 1e6, 1e15));
  size_t b = BucketOf(us);
  if (b >= buckets_.size()) buckets_.resize(b + 1, 0);
  ++buckets_[b];
  ++count_;
  max_s_ = std::max(max_s_, seconds);
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  if (other.buckets_.size() > buckets_.size()) buckets_.resize(other.buckets_.size(), 0);
  for (size_t i = 0; i < other.buckets_.size(); ++i) buckets_[i] += other.buckets_[i];
  count_ += other.count_;
  max_s_ = std::max(max_s_, other.max_s_);
}

double LatencyHistogram::Percentile(double p) const {
  if (count_ == 0) return 0;
  p = std::clamp(p, 0.0, 100.0);
  // The rank of the sample at percentile p (1-based, nearest-rank method).
  uint64_t rank = static_cast<uint64_t>(std::ceil(p / 100.0 * static_cast<double>(count_)));
  rank = std::clamp<uint64_t>(rank, 1, count_);
  uint64_t seen = 0;
  for (size_t b = 0; b < buckets_.size(); ++b) {
    seen += buckets_[b];
    if (seen >= rank) return std::min(UpperBoundUs(b) / 1e6, max_s_);
  }
  return max_s_;
}

void OutcomeCounts::Add(const RequestResult& r) {
  switch (r.outcome) {
    case Outcome::kOk: ++ok; break;
    case Outcome::kHttpStatus: ++status[r.status]; break;
    case Outcome::kConnectError: ++connect_error; break;
    case Outcome::kReset: ++reset; break;
    case Outcome::kTimeout: ++timeout; break;
    case Outcome::kDropped: ++dropped; break;
  }
}

void OutcomeCounts::Merge(const OutcomeCounts& o) {
  ok += o.ok;
  connect_error += o.connect_error;
  reset += o.reset;
  timeout += o.timeout;
  dropped += o.dropped;
  for (const auto& [code, n] : o.status) status[code] += n;
}

uint64_t OutcomeCounts::total() const {
  uint64_t t = ok + connect_error + reset + timeout + dropped;
  for (const auto& [code, n] : status) t += n;
  return t;
}

void RequestStats::SetPhaseStarts(std::vector<double> starts) {
  phase_starts_ = std::move(starts);
  phases_.assign(phase_starts_.size(), RequestBucket{});
}

void RequestStats::Add(const RequestResult& r) {
  auto add = [&r](RequestBucket& b) {
    b.counts.Add(r);
    if (r.outcome != Outcome::kDropped) b.latency.Add(r.latency_s);
  };
  double s = std::max(0.0, r.intended_s);
  size_t i = static_cast<size_t>(s);
  if (i >= buckets_.size()) buckets_.resize(i + 1);
  add(buckets_[i]);
  if (r.outcome != Outcome::kDropped) start_lag_.Add(r.start_lag_s);
  if (r.retried) ++retried_;
  if (!phase_starts_.empty()) {
    auto it = std::upper_bound(phase_starts_.begin(), phase_starts_.end(), r.intended_s);
    size_t p = it == phase_starts_.begin() ? 0 : static_cast<size_t>(it - phase_starts_.begin()) - 1;
    add(phases_[p]);
  }
}

RequestBucket RequestStats::Phase(size_t index) const {
  return index < phases_.size() ? phases_[index] : RequestBucket{};
}

RequestBucket RequestStats::Window(double from_s, double to_s) const {
  RequestBucket out;
  for (size_t i = 0; i < buckets_.size(); ++i) {
    double t = static_cast<double>(i);
    if (t + 1e-9 < from_s || t >= to_s - 1e-9) continue;
    out.counts.Merge(buckets_[i].counts);
    out.latency.Merge(buckets_[i].latency);
  }
  return out;
}

RequestSummary Summarize(const RequestStats& stats) {
  RequestSummary out;
  const RequestBucket total = stats.Total();
  out.counts = total.counts;
  auto summary_ms = [](const LatencyHistogram& h) {
    return LatencySummary{h.Percentile(50) * 1e3, h.Percentile(99) * 1e3, h.max() * 1e3};
  };
  if (total.latency.count() > 0) out.latency = summary_ms(total.latency);
  if (stats.start_lag().count() > 0) out.start_lag = summary_ms(stats.start_lag());
  out.retried = stats.retried();
  const auto& buckets = stats.per_second();
  out.per_second.reserve(buckets.size());
  for (size_t i = 0; i < buckets.size(); ++i) {
    RequestSecond row;
    row.t_s = static_cast<double>(i);
    row.counts = buckets[i].counts;
    if (buckets[i].latency.count() > 0) {
      row.p50_ms = buckets[i].latency.Percentile(50) * 1e3;
      row.p99_ms = buckets[i].latency.Percentile(99) * 1e3;
    }
    out.per_second.push_back(std::move(row));
  }
  return out;
}

RequestSummary VariantResult::SummarizedRequests() const {
  return request_summary ? *request_summary : Summarize(requests);
}

void Series::AddName(const std::string& name) {
  if (values.count(name)) return;
  names.push_back(name);
  values[name] = std::vector<double>(t_s.size(), NAN);
}

void Series::Append(double t, const std::map<std::string, double>& row) {
  for (const auto& [name, v] : row) AddName(name);
  t_s.push_back(t);
  for (auto& [name, column] : values) {
    auto it = row.find(name);
    column.push_back(it == row.end() ? NAN : it->second);
  }
}

const std::vector<double>* Series::Find(const std::string& name) const {
  auto it = values.find(name);
  return it == values.end() ? nullptr : &it->second;
}

Unit SeriesUnit(const std::string& series) {
  auto ends_with = [&](std::string_view suffix) {
    return series.size() >= suffix.size() &&
           series.compare(series.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  if (ends_with("_bytes")) return Unit::kBytes;
  if (ends_with("_percent")) return Unit::kPercent;
  if (ends_with("_ms")) return Unit::kMilliseconds;
  return Unit::kNone;
}

namespace {

// Parses an enum from its spelling by trying every value up to `last`.
template <typename E>
std::optional<E> ParseEnum(std::string_view text, E last) {
  for (int i = 0; i <= static_cast<int>(last); ++i) {
    if (text == ToString(static_cast<E>(i))) return static_cast<E>(i);
  }
  return std::nullopt;
}

}  // namespace

const char* ToString(CheckKind kind) {
  switch (kind) {
    case CheckKind::kMax: return "max";
    case CheckKind::kGrowth: return "growth";
    case CheckKind::kRate: return "rate";
    case CheckKind::kRecovers: return "recovers";
    case CheckKind::kLatency: return "latency";
    case CheckKind::kErrorRatio: return "error_ratio";
    case CheckKind::kProcess: return "process";
    case CheckKind::kOutlived: return "outlived";
    case CheckKind::kOrphans: return "orphans";
    case CheckKind::kHeld: return "held";
  }
  return "?";
}
std::optional<CheckKind> ParseCheckKind(std::string_view text) {
  return ParseEnum(text, kLastCheckKind);
}

const char* ToString(Unit unit) {
  switch (unit) {
    case Unit::kNone: return "";
    case Unit::kBytes: return "bytes";
    case Unit::kBytesPerSecond: return "bytes/s";
    case Unit::kSeconds: return "s";
    case Unit::kMilliseconds: return "ms";
    case Unit::kPerSecond: return "/s";
    case Unit::kRatio: return "ratio";
    case Unit::kPercent: return "%";
    case Unit::kPercentPerSecond: return "%/s";
    case Unit::kMillisecondsPerSecond: return "ms/s";
  }
  return "?";
}
std::optional<Unit> ParseUnit(std::string_view text) {
  return ParseEnum(text, kLastUnit);
}

Unit PerSecond(Unit unit) {
  switch (unit) {
    case Unit::kBytes: return Unit::kBytesPerSecond;
    case Unit::kPercent: return Unit::kPercentPerSecond;
    case Unit::kMilliseconds: return Unit::kMillisecondsPerSecond;
    default: return Unit::kPerSecond;
  }
}

const char* ToString(Expectation e) {
  switch (e) {
    case Expectation::kPass: return "pass";
    case Expectation::kFail: return "fail";
  }
  return "?";
}
std::optional<Expectation> ParseExpectation(std::string_view text) {
  return ParseEnum(text, kLastExpectation);
}

const char* ToString(VariantOutcome o) {
  switch (o) {
    case VariantOutcome::kPass: return "pass";
    case VariantOutcome::kFail: return "fail";
    case VariantOutcome::kError: return "error";
    case VariantOutcome::kInterrupted: return "interrupted";
  }
  return "?";
}
std::optional<VariantOutcome> ParseVariantOutcome(std::string_view text) {
  return ParseEnum(text, kLastVariantOutcome);
}

bool RunResult::passed() const {
  if (!complete || interrupted || !error.empty() || variants.empty() || !not_run.empty())
    return false;
  return std::all_of(variants.begin(), variants.end(),
                     [](const VariantResult& v) { return v.met_expectation(); });
}

}  // namespace faultline
