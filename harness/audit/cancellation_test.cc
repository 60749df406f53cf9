// The cancellation audit on hand-made client results and upstream spans.
#include "harness/audit/cancellation.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

#include <doctest/doctest.h>

namespace faultline {
namespace {

// A trace id as the load and the proxy give it (32 hex digits) for a short
// name: its bytes in hex, left-padded with zeros; "" stays "" (no id).
std::string Id(const std::string& name) {
  if (name.empty()) return "";
  static const char* kHex = "0123456789abcdef";
  std::string hex;
  for (unsigned char c : name) hex += {kHex[c >> 4], kHex[c & 15]};
  REQUIRE(hex.size() <= 32);
  return std::string(32 - hex.size(), '0') + hex;
}

RequestResult Client(const std::string& trace, Outcome outcome, double intended_s,
                     double latency_s) {
  RequestResult r;
  r.trace_id = Id(trace);
  r.outcome = outcome;
  r.intended_s = intended_s;
  r.latency_s = latency_s;
  return r;
}

UpstreamSpan Span(const std::string& trace, double start_s, std::optional<double> end_s) {
  return UpstreamSpan{Id(trace), start_s, end_s};
}

TEST_CASE("callers are found by their trace id - in either case - and nothing else") {
  CallerLedger callers;
  callers.Add(Client("a", Outcome::kTimeout, 1, 5));
  REQUIRE(callers.Find(Id("a")) != nullptr);
  CHECK(callers.Find(Id("a"))->left_s == 6);
  CHECK(callers.Find(Id("a"))->gave_up);
  std::string upper = Id("a");
  upper[31] = 'A';  // ...61 -> ...6A is another id; ...6a and ...6A are the same
  CHECK(callers.Find(upper) == nullptr);
  callers.Add(Client("j", Outcome::kOk, 2, 1));  // "6a"
  CHECK(callers.Find(upper) == callers.Find(Id("j")));
  CHECK(callers.Find("") == nullptr);
  CHECK(callers.Find("a") == nullptr);  // not 32 hex digits: no id
  CHECK(callers.Find(Id("b")) == nullptr);
}

TEST_CASE("upstream work of callers who gave up is sorted into before - after - never") {
  CallerLedger callers;
  callers.Add(Client("a", Outcome::kTimeout, 1, 5));  // left at 6
  callers.Add(Client("b", Outcome::kReset, 2, 1));    // left at 3
  callers.Add(Client("c", Outcome::kTimeout, 3, 5));  // left at 8
  callers.Add(Client("d", Outcome::kOk, 4, 0.1));     // answered at 4.1
  callers.Add(Client("", Outcome::kTimeout, 5, 5));   // no trace id: counted, not tied
  callers.Add(Client("e", Outcome::kDropped, 6, 0));  // never sent: ignored
  std::vector<UpstreamSpan> upstream = {
      Span("a", 1.01, 5.5),           // before: outlived by 0
      Span("b", 2.01, 4.0),           // after, by 1 s
      Span("c", 3.01, std::nullopt),  // never
      Span("d", 4.01, 4.05),          // the caller got its answer: not audited
      Span("zz", 1, 2),               // no such client request
  };
  const CancellationSummary s = AuditCancellation(callers, upstream, {20, 5, 0});
  CHECK(s.forwarded);
  CHECK(s.upstream_requests == 5);
  CHECK(s.gave_up == 4);
  CHECK(s.ended_before == 1);
  CHECK(s.ended_after == 1);
  CHECK(s.never_ended == 1);
  CHECK(s.open_at_end == 1);
  CHECK(s.orphans == 1);
  REQUIRE(s.orphan_ages_s.size() == 1);
  CHECK(s.orphan_ages_s[0] == doctest::Approx(12));
  CHECK(s.untraced == 1);  // "zz": tied to no client request
  // The one never ended outlived its caller by at least the 12 s to the
  // end: a target that never cancels cannot score 0.
  REQUIRE(s.outlived_s.size() == 3);
  CHECK(s.outlived_s[0] == 0);
  CHECK(s.outlived_s[1] == doctest::Approx(1));
  CHECK(s.outlived_s[2] == doctest::Approx(12));
  CHECK(s.outlived.p50_ms == doctest::Approx(1000));
  CHECK(s.outlived.p99_ms == doctest::Approx(12000));
  CHECK(s.outlived.max_ms == doctest::Approx(12000));
  // Histogram: one at 0, one in (500, 1000], one in (10 s, 30 s].
  uint64_t total = 0;
  for (const auto& [bound, n] : s.outlived_histogram) total += n;
  CHECK(total == 3);
  CHECK(s.outlived_histogram.front() == std::pair<double, uint64_t>{0, 1});
  CHECK(s.outlived_histogram[5] == std::pair<double, uint64_t>{1000, 1});
  CHECK(s.outlived_histogram[9] == std::pair<double, uint64_t>{30000, 1});
  CHECK(std::isinf(s.outlived_histogram.back().first));
}

TEST_CASE("an upstream request still open after its caller got an answer is an orphan") {
  CallerLedger callers;
  callers.Add(Client("a", Outcome::kHttpStatus, 1, 2));  // 504 at 3
  const CancellationSummary s =
      AuditCancellation(callers, {Span("a", 1.1, std::nullopt)}, {10, 5, 0});
  CHECK(s.forwarded);
  CHECK(s.gave_up == 0);
  CHECK(s.never_ended == 0);
  CHECK(s.orphans == 1);
  CHECK(s.orphan_ages_s[0] == doctest::Approx(7));
  CHECK(std::isnan(s.outlived.p99_ms));
}

TEST_CASE("a propagating target leaves no orphans and outlives nobody") {
  CallerLedger callers;
  std::vector<UpstreamSpan> upstream;
  for (int i = 0; i < 50; ++i) {
    const std::string id = "t" + std::to_string(i);
    callers.Add(Client(id, Outcome::kHttpStatus, i * 0.1, 2.0));  // its budget: 504 after 2 s
    upstream.push_back(Span(id, i * 0.1 + 0.01, i * 0.1 + 1.99));  // cancelled with it
  }
  const CancellationSummary s = AuditCancellation(callers, upstream, {30, 5, 0});
  CHECK(s.forwarded);
  CHECK(s.orphans == 0);
  CHECK(s.gave_up == 0);
  CHECK(s.outlived_s.empty());
  for (double n : OrphansOver(callers, upstream, {0, 1, 2, 3, 10}, 5)) CHECK(n == 0);
}

TEST_CASE("without a forwarded trace id the audit counts open requests older than the timeout") {
  CallerLedger callers;
  callers.Add(Client("a", Outcome::kTimeout, 1, 5));
  std::vector<UpstreamSpan> upstream = {
      Span("", 1.1, std::nullopt),   // open for 18.9 s: its caller is gone
      Span("", 17, std::nullopt),    // open for 3 s: its caller may still be waiting
      Span("", 2, 3),                // ended
  };
  const CancellationSummary s = AuditCancellation(callers, upstream, {20, 5, 1});
  CHECK_FALSE(s.forwarded);
  CHECK(s.gave_up == 1);
  CHECK(s.open_at_end == 2);
  CHECK(s.client_in_flight_at_end == 1);
  CHECK(s.orphans == 1);
  CHECK(s.orphan_ages_s[0] == doctest::Approx(13.9));
  CHECK(s.ended_before + s.ended_after + s.never_ended == 0);
  CHECK(s.outlived_histogram.empty());
  CHECK(OrphansOver(callers, upstream, {1, 2}, 5).empty());
}

// A target that forwards traceparent on its fast calls only: the slow
// calls it leaks carry no trace id. They were skipped, and the orphans
// check passed with 13 of them open at the end.
TEST_CASE("upstream requests a target sent without the trace id are orphans by age") {
  CallerLedger callers;
  callers.Add(Client("a", Outcome::kOk, 1, 0.1));        // answered at 1.1
  callers.Add(Client("b", Outcome::kTimeout, 2, 0.25));  // left at 2.25
  callers.Add(Client("", Outcome::kTimeout, 3, 0.25));   // sent untraced by the target
  std::vector<UpstreamSpan> upstream = {
      Span("a", 1.01, 1.05),          // forwarded, ended in time
      Span("", 2.01, std::nullopt),   // b's slow call, untraced, never ended: 17.99 s open
      Span("", 19.9, std::nullopt),   // open 0.1 s: its caller may still wait
      Span("", 3.01, 4.0),            // ended
  };
  const CancellationSummary s = AuditCancellation(callers, upstream, {20, 0.25, 0});
  CHECK(s.forwarded);
  CHECK(s.untraced == 3);
  CHECK(s.open_at_end == 2);
  CHECK(s.orphans == 1);
  REQUIRE(s.orphan_ages_s.size() == 1);
  CHECK(s.orphan_ages_s[0] == doctest::Approx(20 - 2.01 - 0.25));
  // Over time: the untraced one is an orphan once open past the timeout.
  CHECK(OrphansOver(callers, upstream, {2.1, 2.3, 19.95}, 0.25) ==
        std::vector<double>{0, 1, 1});
}

TEST_CASE("orphans over time count open upstream requests whose caller had left") {
  CallerLedger callers;
  callers.Add(Client("a", Outcome::kTimeout, 0, 5));  // left at 5
  callers.Add(Client("b", Outcome::kTimeout, 1, 5));  // left at 6
  std::vector<UpstreamSpan> upstream = {Span("a", 0.1, std::nullopt), Span("b", 1.1, 7.0)};
  const std::vector<double> n = OrphansOver(callers, upstream, {0, 4.9, 5, 6, 6.5, 7, 100}, 5);
  CHECK(n == std::vector<double>{0, 0, 1, 2, 2, 1, 1});
}

TEST_CASE("orphans over time agree with counting every interval at every sample") {
  CallerLedger callers;
  std::vector<UpstreamSpan> upstream;
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> at(0, 100);
  for (int i = 0; i < 2000; ++i) {
    const std::string trace = std::to_string(i);
    const double intended = at(rng);
    callers.Add(Client(trace, i % 3 ? Outcome::kTimeout : Outcome::kOk, intended, at(rng) / 10));
    const double start = intended + at(rng) / 100;
    const std::optional<double> end =
        i % 7 ? std::optional<double>(start + at(rng) / 5) : std::nullopt;  // 1 in 7 never ends
    upstream.push_back(Span(trace, start, end));
  }
  std::vector<double> t_s;
  for (int i = 0; i <= 1000; ++i) t_s.push_back(i * 0.1);
  const std::vector<double> n = OrphansOver(callers, upstream, t_s, 5);
  REQUIRE(n.size() == t_s.size());
  double most = 0;
  for (size_t k = 0; k < t_s.size(); ++k) {
    double want = 0;
    for (const UpstreamSpan& u : upstream) {
      const double from = std::max(u.start_s, callers.Find(u.trace_id)->left_s);
      const double to = u.end_s.value_or(std::numeric_limits<double>::infinity());
      if (from <= t_s[k] && t_s[k] < to) ++want;
    }
    CHECK(n[k] == want);
    most = std::max(most, want);
  }
  CHECK(most > 50);  // the case has orphans to count
}

TEST_CASE("nearest-rank percentiles") {
  CHECK(std::isnan(NearestRank({}, 50)));
  CHECK(NearestRank({1, 2, 3, 4}, 50) == 2);
  CHECK(NearestRank({1, 2, 3, 4}, 99) == 4);
  CHECK(NearestRank({1, 2, 3, 4}, 100) == 4);
  CHECK(NearestRank({7}, 1) == 7);
}

}  // namespace
}  // namespace faultline
