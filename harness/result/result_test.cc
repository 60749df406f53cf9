#include "harness/result/result.h"

#include <doctest/doctest.h>

using namespace faultline;

namespace {

// Every value up to `last` reads back from its spelling, and `last` is the
// last one ToString names: a value added after it would be unreadable in
// results.json.
template <typename E>
void CheckSpellings(E last, std::optional<E> (*parse)(std::string_view)) {
  const int n = static_cast<int>(last);
  for (int i = 0; i <= n; ++i) {
    CAPTURE(i);
    CHECK(parse(ToString(static_cast<E>(i))) == static_cast<E>(i));
  }
  CHECK(std::string(ToString(static_cast<E>(n + 1))) == "?");
}

}  // namespace

TEST_CASE("every enum results.json spells reads back up to its last value") {
  CheckSpellings(kLastUnit, ParseUnit);
  CheckSpellings(kLastCheckKind, ParseCheckKind);
  CheckSpellings(kLastExpectation, ParseExpectation);
  CheckSpellings(kLastVariantOutcome, ParseVariantOutcome);
}

TEST_CASE("latency percentiles are within the histogram's 3.2% error") {
  LatencyHistogram h;
  for (int i = 1; i <= 1000; ++i) h.Add(i / 1000.0);  // 1 ms .. 1000 ms
  CHECK(h.count() == 1000);
  CHECK(h.Percentile(50) == doctest::Approx(0.500).epsilon(0.032));
  CHECK(h.Percentile(99) == doctest::Approx(0.990).epsilon(0.032));
  CHECK(h.Percentile(100) == doctest::Approx(1.0));
  CHECK(h.max() == doctest::Approx(1.0));
  CHECK(h.Percentile(0) == doctest::Approx(0.001).epsilon(0.032));
}

TEST_CASE("an empty histogram reports zero and merging adds counts") {
  LatencyHistogram a, b;
  CHECK(a.Percentile(99) == 0);
  a.Add(0.010);
  b.Add(2.0);
  b.Add(3.0);
  a.Merge(b);
  CHECK(a.count() == 3);
  CHECK(a.max() == doctest::Approx(3.0));
  CHECK(a.Percentile(50) == doctest::Approx(2.0).epsilon(0.032));
}

TEST_CASE("requests are bucketed by the second of their intended start") {
  RequestStats s;
  s.Add({Outcome::kOk, 200, 0.5, 0.01});
  s.Add({Outcome::kHttpStatus, 504, 1.2, 2.0});
  s.Add({Outcome::kTimeout, 0, 2.9, 5.0});
  s.Add({Outcome::kDropped, 0, 2.95, 0});
  auto w = s.Window(1, 3);
  CHECK(w.counts.total() == 3);
  CHECK(w.counts.status.at(504) == 1);
  CHECK(w.counts.timeout == 1);
  CHECK(w.counts.dropped == 1);
  CHECK(w.counts.errors() == 3);
  CHECK(w.latency.count() == 2);  // dropped requests have no latency
  CHECK(s.Total().counts.ok == 1);
}

TEST_CASE("series rows keep gaps as NaN") {
  Series s;
  s.Append(0, {{"threads", 3}});
  s.Append(0.1, {{"threads", 4}, {"goroutines", 10}});
  REQUIRE(s.Find("goroutines"));
  CHECK(std::isnan((*s.Find("goroutines"))[0]));
  CHECK((*s.Find("goroutines"))[1] == 10);
  CHECK(s.names == std::vector<std::string>{"threads", "goroutines"});
}
