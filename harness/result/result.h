// The result model: what one run measured, independent of how it is shown.
// results.json (harness/result/results_json.h) is its serialised form and the
// source of truth for every report: a run writes it, reads it back and renders
// from what it read, exactly as `faultline report` does.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/load/outcome.h"
#include "harness/result/census.h"
#include "harness/result/check_kind.h"

namespace faultline {

/// Log-linear latency histogram over microseconds: exact below 64 us, then
/// 32 sub-buckets per power of two (relative error under 3.2%). The maximum
/// is kept exactly. Memory grows only up to the largest bucket used.
class LatencyHistogram {
 public:
  void Add(double seconds);
  void Merge(const LatencyHistogram& other);
  uint64_t count() const { return count_; }
  /// Seconds; 0 when empty. p in [0, 100]. The bucket's upper bound, capped at max().
  double Percentile(double p) const;
  double max() const { return max_s_; }

 private:
  std::vector<uint64_t> buckets_;
  uint64_t count_ = 0;
  double max_s_ = 0;
};

/// Requests by how they ended.
struct OutcomeCounts {
  uint64_t ok = 0;
  uint64_t connect_error = 0;
  uint64_t reset = 0;
  uint64_t timeout = 0;
  uint64_t dropped = 0;
  std::map<int, uint64_t> status;  // non-2xx responses by HTTP status code

  void Add(const RequestResult& r);
  void Merge(const OutcomeCounts& other);
  uint64_t total() const;
  uint64_t errors() const { return total() - ok; }
};

/// Requests whose intended start fell in one second of the run.
struct RequestBucket {
  OutcomeCounts counts;
  LatencyHistogram latency;  // every request that was sent (not dropped)
};

/// Every request of a variant, bucketed by the second of its intended start
/// (for per-second charts) and by the phase it was meant to start in (so that
/// a window of phases is exact, whatever the phase boundaries).
class RequestStats {
 public:
  /// Phase i spans [starts[i], starts[i + 1]); the last one is open-ended.
  /// Call before the first Add().
  void SetPhaseStarts(std::vector<double> starts);
  void Add(const RequestResult& r);
  /// Requests whose intended start fell in phase `index` (empty if none).
  RequestBucket Phase(size_t index) const;
  /// Merged over buckets whose second lies in [from_s, to_s).
  RequestBucket Window(double from_s, double to_s) const;
  RequestBucket Total() const { return Window(0, std::numeric_limits<double>::infinity()); }
  const std::vector<RequestBucket>& per_second() const { return buckets_; }
  /// Start lag (actual send - intended start) of every request that was sent.
  const LatencyHistogram& start_lag() const { return start_lag_; }
  /// Requests sent a second time (RequestResult::retried).
  uint64_t retried() const { return retried_; }

 private:
  std::vector<RequestBucket> buckets_;
  LatencyHistogram start_lag_;
  uint64_t retried_ = 0;
  std::vector<double> phase_starts_;
  std::vector<RequestBucket> phases_;
};

/// Latency of a set of requests in milliseconds, as results.json holds it;
/// NaN when no request was sent.
struct LatencySummary {
  double p50_ms = NAN;
  double p99_ms = NAN;
  double max_ms = NAN;
};

/// The requests whose intended start fell in one second of the run.
struct RequestSecond {
  double t_s = 0;       // the second's start
  OutcomeCounts counts;
  double p50_ms = NAN;  // NaN when no request of the second was sent
  double p99_ms = NAN;
};

/// What results.json keeps of a variant's requests: totals by outcome,
/// latency percentiles and a row per second (no histograms, so checks cannot
/// be evaluated again from it).
struct RequestSummary {
  OutcomeCounts counts;
  LatencySummary latency;
  LatencySummary start_lag;  // actual send - intended start; NaN in files without it
  uint64_t retried = 0;      // sent a second time on a new connection (0 in files without it)
  std::vector<RequestSecond> per_second;  // ascending t_s
};

/// The summary of `stats`: the one place the figures results.json holds are
/// computed from the full statistics.
RequestSummary Summarize(const RequestStats& stats);

struct PhaseSpan {
  std::string name;
  double start_s = 0;
  double end_s = 0;
  double rate = 0;                  // requests/s during the phase
  std::vector<std::string> faults;  // "hang inventory", "latency 3s inventory"
};

/// Metric time series on one timeline. values[name][i] belongs to t_s[i];
/// NaN marks a gap (a sample that could not be taken).
struct Series {
  std::vector<std::string> names;   // in display order
  std::vector<double> t_s;
  std::map<std::string, std::vector<double>> values;

  void AddName(const std::string& name);
  /// Appends one row; names missing from `row` get NaN.
  void Append(double t, const std::map<std::string, double>& row);
  const std::vector<double>* Find(const std::string& name) const;
};

/// The unit of a measured value.
enum class Unit {
  kNone,            // a count: threads, fds, requests
  kBytes,
  kBytesPerSecond,
  kSeconds,
  kMilliseconds,
  kPerSecond,       // a count per second
  kRatio,           // 0..1
  kPercent,
  kPercentPerSecond,       // the rate of a percentage (cpu_percent)
  kMillisecondsPerSecond,  // the rate of a time in ms (loop_lag_ms)
};
/// The last Unit: ParseUnit and the results.json reader's list of spellings
/// go up to it (result_test checks that it is the last one ToString names).
inline constexpr Unit kLastUnit = Unit::kMillisecondsPerSecond;
/// The results.json spelling: "", "bytes", "bytes/s", "s", "ms", "/s", "ratio", "%",
/// "%/s", "ms/s".
const char* ToString(Unit unit);
/// The inverse of ToString; nullopt for any other text.
std::optional<Unit> ParseUnit(std::string_view text);
/// The unit per second of `unit`: bytes -> bytes/s, % -> %/s, ms -> ms/s,
/// a count -> /s.
Unit PerSecond(Unit unit);

/// The unit a sample series is measured in, from its name: bytes for names
/// ending in "_bytes", percent for names ending in "_percent", milliseconds
/// for names ending in "_ms", none otherwise.
Unit SeriesUnit(const std::string& series);

struct CheckResult {
  std::string name;
  CheckKind kind = CheckKind::kMax;
  std::string metric;     // empty for latency / error_ratio
  bool passed = false;
  double observed = NAN;  // NaN when it could not be computed (see detail)
  double limit = 0;
  Unit unit = Unit::kNone;
  std::string detail;     // one line: how observed was computed, or why it could not be
  bool computed = true;   // false: no data to judge (no samples, no requests, no baseline)
  /// The scenario's expression `limit` was resolved from ("1.5 * ${load.rate} * 2s");
  /// empty when the limit was written as a value.
  std::string limit_expression{};
  /// The span the check judged, seconds since the variant's start: its phases
  /// (from the first one's start to the last one's end), the whole run, a
  /// recovers check's [end of `after`, that + `within`], a census's moment.
  /// NaN when unknown (a process check, a file written before these fields).
  double window_start_s = NAN;
  double window_end_s = NAN;
  /// A failed check that failed at a moment: the first sample past the limit
  /// (max, growth), the recovery deadline (recovers), the census (held). NaN
  /// when it passed or was judged over its whole window (rate, latency,
  /// error_ratio, outlived, orphans, an at_least check).
  double at_s = NAN;
};

struct Event {
  double t_s = 0;
  std::string message;
};

struct ProcessLog {
  std::string name;
  std::string path;
  std::string tail;
};

/// How scraping the target's custom metrics went.
struct ScrapeStats {
  std::string url;
  uint64_t attempts = 0;
  uint64_t misses = 0;  // scrapes that left a custom series without a value
  std::string last_error;
};

/// The cancellation audit of one dependency (harness/audit/cancellation.h):
/// of the client requests whose caller gave up, when did the upstream work
/// they caused stop? Times are seconds since the variant's load epoch.
struct CancellationSummary {
  bool forwarded = false;           // some upstream request carried a client request's trace id
  uint64_t upstream_requests = 0;   // every upstream request the proxy saw
  uint64_t gave_up = 0;             // client requests that ended timeout or reset (the caller left)
  uint64_t ended_before = 0;        // their upstream requests that ended before the caller left
  uint64_t ended_after = 0;         // ... that ended after it
  uint64_t never_ended = 0;         // ... still open at the end
  LatencySummary outlived;          // upstream end - caller left over all three: ended_before
                                    // as 0, never_ended as end of the audit - caller left (a
                                    // lower bound); NaN when there were none
  uint64_t untraced = 0;            // forwarded, yet with no known caller's trace id (the
                                    // target did not forward it on that call): orphans among
                                    // them by age, as when not forwarded
  uint64_t orphans = 0;             // open at the end although their caller had left
                                    // (gave up or got an answer); not forwarded: open at
                                    // the end although every caller must have left
  uint64_t open_at_end = 0;         // upstream requests open at the end, whoever caused them
  uint64_t client_in_flight_at_end = 0;  // client requests still in flight at the end
  /// The outlived distribution: (upper bound in ms, count) per bucket, in
  /// ascending bounds; the last bound is +infinity.
  std::vector<std::pair<double, uint64_t>> outlived_histogram;

  // In memory only (a run fills them; results.json does not hold them), for checks.
  std::vector<double> outlived_s;     // every outlived value, ascending
  std::vector<double> orphan_ages_s;  // per orphan: end - when its caller left (not
                                      // forwarded: end - start - client timeout)
};

/// What a variant is expected to do: pass its checks, or fail them (the
/// non-propagating demo, which proves the checks detect the pathology).
enum class Expectation { kPass, kFail };
inline constexpr Expectation kLastExpectation = Expectation::kFail;
const char* ToString(Expectation e);  // "pass", "fail"
std::optional<Expectation> ParseExpectation(std::string_view text);

/// How a variant ended.
enum class VariantOutcome {
  kPass,         // every check passed
  kFail,         // a check failed
  kError,        // it could not run, or a check could not be computed
  kInterrupted,  // SIGINT/SIGTERM
};
inline constexpr VariantOutcome kLastVariantOutcome = VariantOutcome::kInterrupted;
const char* ToString(VariantOutcome o);  // "pass", "fail", "error", "interrupted"
std::optional<VariantOutcome> ParseVariantOutcome(std::string_view text);

struct VariantResult {
  std::string name;
  Expectation expect = Expectation::kPass;
  VariantOutcome outcome = VariantOutcome::kPass;
  std::string error;                // why the variant could not run (outcome "error")
  std::vector<PhaseSpan> phases;
  Series samples;
  std::map<std::string, double> baseline;  // mean over the baseline phase
  RequestStats requests;              // filled by the run; empty when read from results.json
  /// Set when read from results.json; a run leaves it empty and
  /// SummarizedRequests() derives it from `requests`.
  std::optional<RequestSummary> request_summary;
  std::vector<CheckResult> checks;
  std::vector<Event> events;
  std::vector<ProcessLog> logs;
  std::optional<ScrapeStats> scrape;   // set when the scenario scrapes custom metrics
  uint64_t abandoned_requests = 0;     // in flight when an interrupt stopped the run
  double duration_s = 0;
  /// Per dependency with protocol "http": the cancellation audit.
  std::map<std::string, CancellationSummary> cancellation;
  std::vector<Census> census;          // in the order taken; the default one ("end") last

  /// request_summary when set, else Summarize(requests).
  RequestSummary SummarizedRequests() const;

  bool met_expectation() const {
    return (outcome == VariantOutcome::kPass && expect == Expectation::kPass) ||
           (outcome == VariantOutcome::kFail && expect == Expectation::kFail);
  }
  /// `c` failed on measured data in a variant that met its expected failure:
  /// what reports show as "failed, as expected". A check that could not be
  /// computed, or a process that died, is never that.
  bool failed_as_expected(const CheckResult& c) const {
    return !c.passed && c.computed && c.kind != CheckKind::kProcess &&
           expect == Expectation::kFail && outcome == VariantOutcome::kFail;
  }
};

struct RunResult {
  int schema_version = 1;
  std::string faultline_version;
  std::string scenario_name;
  std::string scenario_path;
  std::string scenario_description;
  std::string scenario_source;
  std::vector<std::string> overrides;   // --set values
  std::string started_at;               // UTC, ISO 8601
  std::map<std::string, std::string> environment;  // kernel, cores, hostname
  std::vector<VariantResult> variants;
  /// Selected variants that never started: the run stopped before them (an
  /// error, an interrupt). In the scenario's order.
  std::vector<std::string> not_run;
  bool interrupted = false;
  // False in the copies written while the run goes on: a file that still
  // says so was left by a run that was killed (or is still running).
  bool complete = true;
  std::string error;                    // set when the run could not complete
  /// Reports only, never written: the phases shaded under the charts are
  /// those of the first `band_variants` variants (report --compare: run
  /// A's, as its page says); 0 = of every variant.
  size_t band_variants = 0;

  /// The run finished, every variant ran and met its expectation.
  bool passed() const;
};

}  // namespace faultline
