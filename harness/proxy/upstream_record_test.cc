// The request ledger: every record for a run's audit, or only the open ones
// for a proxy that runs until stopped, with the same counts either way.
#include "harness/proxy/upstream_record.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace faultline {
namespace {

UpstreamRecord Request(const std::string& target) {
  UpstreamRecord r;
  r.method = "GET";
  r.target = target;
  return r;
}

TEST_CASE("both keepings count every request the same way") {
  for (RecordKeeping keeping : {RecordKeeping::kAll, RecordKeeping::kOpenOnly}) {
    UpstreamLedger ledger(keeping);
    const TimePoint now{};
    const size_t a = ledger.Open(Request("/a"));
    const size_t b = ledger.Open(Request("/b"));
    const size_t c = ledger.Open(Request("/c"));
    const size_t d = ledger.Open(Request("/d"));
    ledger.End(a, UpstreamEnd::kAnswered, now);
    ledger.End(b, UpstreamEnd::kAbandoned, now);
    ledger.End(c, UpstreamEnd::kFault, now);
    ledger.End(c, UpstreamEnd::kAnswered, now);  // a second end is ignored
    const UpstreamCounts& n = ledger.counts();
    CHECK(n.answered == 1);
    CHECK(n.abandoned == 1);
    CHECK(n.fault == 1);
    CHECK(n.in_flight == 1);
    CHECK(ledger.open(d));
    CHECK_FALSE(ledger.open(a));
    ledger.at(d).status = 200;
    CHECK(ledger.at(d).status == 200);
  }
}

TEST_CASE("kAll keeps every record - kOpenOnly only the open ones") {
  UpstreamLedger all(RecordKeeping::kAll);
  UpstreamLedger open_only(RecordKeeping::kOpenOnly);
  for (UpstreamLedger* ledger : {&all, &open_only}) {
    for (int i = 0; i < 10000; ++i) {
      const size_t r = ledger->Open(Request("/" + std::to_string(i)));
      if (i != 7) ledger->End(r, UpstreamEnd::kAnswered, TimePoint{});
    }
  }
  CHECK(all.records().size() == 10000);
  CHECK(all.records()[3].how == UpstreamEnd::kAnswered);
  REQUIRE(open_only.records().size() == 1);  // memory bounded by what is open
  CHECK(open_only.records()[0].target == "/7");
  CHECK(open_only.records()[0].how == UpstreamEnd::kOpen);
  CHECK(open_only.counts().answered == 9999);
  CHECK(open_only.counts().in_flight == 1);
}

TEST_CASE("ForEach visits every record kept in the order they were opened") {
  UpstreamLedger all(RecordKeeping::kAll);
  std::vector<UpstreamRecord*> first_ones;
  for (int i = 0; i < 5000; ++i) {
    all.Open(Request("/" + std::to_string(i)));
    if (i < 3) first_ones.push_back(&all.at(static_cast<size_t>(i)));
  }
  // Adding records never moved the ones before (no copy of them all).
  for (size_t i = 0; i < first_ones.size(); ++i) CHECK(first_ones[i] == &all.at(i));
  int next = 0;
  bool in_order = true;
  all.ForEach([&](const UpstreamRecord& r) {
    in_order = in_order && r.target == "/" + std::to_string(next);
    ++next;
  });
  CHECK(next == 5000);
  CHECK(in_order);
}

TEST_CASE("kOpenOnly: writing to an ended record touches nothing kept") {
  UpstreamLedger ledger(RecordKeeping::kOpenOnly);
  const size_t ended = ledger.Open(Request("/gone"));
  const size_t open = ledger.Open(Request("/open"));
  ledger.End(ended, UpstreamEnd::kAbandoned, TimePoint{});
  ledger.at(ended).response_bytes += 100;  // a late byte count, as HttpFlow may add
  CHECK(ledger.at(open).response_bytes == 0);
  REQUIRE(ledger.records().size() == 1);
  CHECK(ledger.records()[0].target == "/open");
}

}  // namespace
}  // namespace faultline
