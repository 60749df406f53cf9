// The time course of ramps and flaps within a phase, on exact times.
#include "harness/run/fault_schedule.h"

#include <doctest/doctest.h>

#include "harness/run/bind.h"

using namespace faultline;
using namespace std::chrono_literals;

namespace {

FaultSpec Ramped(int64_t from, int64_t to, int steps) {
  FaultSpec f;
  f.kind = FaultSpec::Kind::kLatency;
  f.dependency = "inv";
  f.ramp = FaultRamp{from, to, steps};
  return f;
}

std::string Text(const std::vector<FaultChange>& changes) {
  std::string out;
  for (const FaultChange& c : changes) {
    out += FormatDuration(c.at) + " " + c.dependency + ":";
    for (const FaultSpec& f : c.faults) out += " [" + Describe(f) + "]";
    out += "\n";
  }
  return out;
}

}  // namespace

TEST_CASE("a ramp steps evenly in time and value across the phase") {
  const std::vector<FaultSpec> faults = {Ramped(0, 400'000'000, 5)};
  CHECK(FaultsAt(faults, 0s, 5s)[0].latency == 0ms);
  CHECK(FaultsAt(faults, 999ms, 5s)[0].latency == 0ms);
  CHECK(FaultsAt(faults, 1s, 5s)[0].latency == 100ms);
  CHECK(FaultsAt(faults, 4999ms, 5s)[0].latency == 400ms);
  CHECK_FALSE(FaultsAt(faults, 1s, 5s)[0].ramp.has_value());
  CHECK(Text(FaultSchedule({{"inv", faults}}, 5s)) ==
        "1s inv: [latency 100ms inv]\n"
        "2s inv: [latency 200ms inv]\n"
        "3s inv: [latency 300ms inv]\n"
        "4s inv: [latency 400ms inv]\n");
}

TEST_CASE("a ramp down and a ramp of a rate") {
  FaultSpec bw;
  bw.kind = FaultSpec::Kind::kBandwidth;
  bw.dependency = "db";
  bw.ramp = FaultRamp{1'000'000, 10'000, 3};
  CHECK(Text(FaultSchedule({{"db", {bw}}}, 3s)) ==
        "1s db: [bandwidth 505KB/s db]\n"
        "2s db: [bandwidth 10KB/s db]\n");
}

TEST_CASE("a flap is on then off repeatedly and merges with a ramp on the same dependency") {
  FaultSpec hang;
  hang.kind = FaultSpec::Kind::kHang;
  hang.dependency = "inv";
  hang.flap = FaultFlap{2s, 3s};
  CHECK(FaultsAt({hang}, 0s, 12s).size() == 1);
  CHECK(FaultsAt({hang}, 2s, 12s).empty());
  CHECK(FaultsAt({hang}, 5s, 12s).size() == 1);
  CHECK(Text(FaultSchedule({{"inv", {hang}}}, 12s)) ==
        "2s inv:\n"
        "5s inv: [hang inv]\n"
        "7s inv:\n"
        "10s inv: [hang inv]\n");
  CHECK(Text(FaultSchedule({{"inv", {hang, Ramped(0, 200'000'000, 2)}}}, 4s)) ==
        "2s inv: [latency 200ms inv]\n");
}

TEST_CASE("changes of several dependencies come in time order") {
  CHECK(Text(FaultSchedule({{"a", {Ramped(0, 2'000'000, 2)}}, {"b", {Ramped(0, 3'000'000, 4)}}},
                           4s)) ==
        "1s b: [latency 1ms inv]\n"
        "2s a: [latency 2ms inv]\n"
        "2s b: [latency 2ms inv]\n"
        "3s b: [latency 3ms inv]\n");
}
