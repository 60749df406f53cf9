#include "harness/sampler/sampler.h"

#include <doctest/doctest.h>

#include <vector>

#include "harness/sampler/fake_procfs.h"

using namespace faultline;
using namespace std::chrono_literals;

namespace {

// A clock that reports its time `late` behind its timers: as if the event
// loop had been busy when a timer fired.
class LateClock final : public Clock {
 public:
  explicit LateClock(ManualClock& base) : base_(base) {}
  TimePoint Now() const override { return base_.Now() + late; }
  std::unique_ptr<Timer> NewTimer() override { return base_.NewTimer(); }
  Duration late{0};

 private:
  ManualClock& base_;
};

struct Rows {
  std::vector<double> t;
  std::vector<SampleRow> rows;
  Sampler::Sink Sink() {
    return [this](double t_s, const SampleRow& row) {
      t.push_back(t_s);
      rows.push_back(row);
    };
  }
};

bool Near(const std::vector<double>& got, const std::vector<double>& want) {
  if (got.size() != want.size()) return false;
  for (size_t i = 0; i < got.size(); ++i)
    if (got[i] != doctest::Approx(want[i])) return false;
  return true;
}

SamplerOptions Options(TimePoint epoch) {
  SamplerOptions o;
  o.pid = 100;
  o.interval = 100ms;
  o.epoch = epoch;
  return o;
}

}  // namespace

TEST_CASE("the sampler takes a row at start and one per slot from the epoch") {
  ManualClock clock;
  FakeProcFs fs;
  fs.AddProcess(100, 1, 5, 1024, 10, 0, {{3, "socket:[1]"}});
  fs.AddProcess(101, 100, 2, 512, 0, 0, {});
  Rows got;
  Sampler sampler(
      clock, fs, std::make_unique<InlineReads>(), Options(clock.Now()),
      [](SampleRow* r) { (*r)["in_flight"] = 7; }, got.Sink());
  sampler.Start();
  REQUIRE(got.rows.size() == 1);
  CHECK(got.t[0] == 0);
  CHECK(got.rows[0].at("threads") == 7);
  CHECK(got.rows[0].at("processes") == 2);
  CHECK(got.rows[0].at("rss_bytes") == 1536 * 1024);
  CHECK(got.rows[0].at("fds") == 1);
  CHECK(got.rows[0].at("in_flight") == 7);
  CHECK(got.rows[0].count("cpu_percent") == 0);
  CHECK(got.rows[0].at("sample_ms") ==
        0);  // the manual clock stood still during the reads  // no previous row to compare with

  fs.AddProcess(100, 1, 5, 1024, 15, 0, {{3, "socket:[1]"}});  // 50 ms of CPU in 100 ms
  clock.Advance(100ms);
  REQUIRE(got.rows.size() == 2);
  CHECK(got.t[1] == doctest::Approx(0.1));
  CHECK(got.rows[1].at("cpu_percent") == doctest::Approx(50));

  clock.Advance(250ms);
  CHECK(Near(got.t, {0, 0.1, 0.2, 0.3}));
  sampler.Stop();
  clock.Advance(1s);
  CHECK(got.rows.size() == 4);
}

namespace {

// One process sampled with inline reads on a clock whose lateness the test sets.
struct LateRig {
  LateRig() {
    fs.AddProcess(100, 1, 5, 1024, 0, 0, {});
    sampler.Start();
  }
  ManualClock base;
  LateClock clock{base};
  FakeProcFs fs;
  Rows got;
  Sampler sampler{clock, fs, std::make_unique<InlineReads>(), Options(base.Now()), nullptr,
                  got.Sink()};
};

}  // namespace

TEST_CASE("missed slots are skipped and not bunched") {
  LateRig rig;
  auto& [base, clock, fs, got, sampler] = rig;
  clock.late = 250ms;  // the slot at 0.1 s fires at 0.35 s
  base.Advance(100ms);
  REQUIRE(got.t.size() == 2);
  CHECK(got.t[1] == doctest::Approx(0.35));
  clock.late = 0ms;
  base.Advance(300ms);  // slots 0.2 and 0.3 were missed: the next is 0.4
  CHECK(Near(got.t, {0, 0.35, 0.4}));
}

TEST_CASE("cpu_percent divides the CPU by the time between the counter reads") {
  // A read stalls 0.9 s in its socket dump (a starved thread, a huge table)
  // while the tree keeps one core busy: 100 %, not 1.0 s of CPU over the
  // 0.1 s between the two reads' starts (1000 %).
  LateRig rig;
  auto& [base, clock, fs, got, sampler] = rig;
  fs.on_dump = [&] {
    clock.late = 900ms;
    fs.cpu_ns[100] = 1'000'000'000;  // busy since the first read, 1.0 s ago by its end
  };
  base.Advance(100ms);
  REQUIRE(got.rows.size() == 2);
  CHECK(got.t[1] == doctest::Approx(0.1));  // t_s stays the start of the reads
  CHECK(got.rows[1].at("sample_ms") == doctest::Approx(900));
  CHECK(got.rows[1].at("cpu_percent") == doctest::Approx(100));
}

TEST_CASE("a read short of fds gives no figures and no CPU spike after it") {
  LateRig rig;
  auto& [base, clock, fs, got, sampler] = rig;
  fs.AddProcess(100, 1, 5, 1024, 1, 0, {});  // 10 ms of CPU in 100 ms
  base.Advance(100ms);
  REQUIRE(got.rows.size() == 2);
  CHECK(got.rows[1].at("cpu_percent") == doctest::Approx(10));
  // Out of fds, the root's stat cannot be opened: it looks gone.
  fs.on_dump = [&] {
    fs.starved = true;
    fs.files.erase("100/stat");
  };
  base.Advance(100ms);
  REQUIRE(got.rows.size() == 3);
  CHECK(got.rows[2].count("threads") == 0);
  // Back, with 20 s of CPU it had before the run: found again, it cannot
  // say how much of that was in the last interval.
  fs.on_dump = nullptr;
  fs.AddProcess(100, 1, 5, 1024, 2000, 0, {});
  base.Advance(100ms);
  REQUIRE(got.rows.size() == 4);
  CHECK(got.rows[3].at("threads") == 5);
  CHECK(got.rows[3].count("cpu_percent") == 0);
  fs.AddProcess(100, 1, 5, 1024, 2005, 0, {});
  base.Advance(100ms);
  REQUIRE(got.rows.size() == 5);
  CHECK(got.rows[4].at("cpu_percent") == doctest::Approx(50));
}

TEST_CASE("when the process is gone a row holds only the gauges") {
  ManualClock clock;
  FakeProcFs fs;
  Rows got;
  Sampler sampler(
      clock, fs, std::make_unique<InlineReads>(), Options(clock.Now()),
      [](SampleRow* r) { (*r)["connections"] = 2; }, got.Sink());
  sampler.Start();
  REQUIRE(got.rows.size() == 1);
  CHECK(got.rows[0] == SampleRow{{"connections", 2}});
}

TEST_CASE("socket counts that could not be read are left out of the row - not written as 0") {
  ManualClock clock;
  FakeProcFs fs;
  fs.AddProcess(100, 1, 5, 1024, 10, 0, {{3, "socket:[1]"}});
  fs.tcp = {{1, 8}};
  fs.dump_fails = true;
  Rows got;
  Sampler sampler(clock, fs, std::make_unique<InlineReads>(), Options(clock.Now()), nullptr,
                  got.Sink());
  sampler.Start();
  REQUIRE(got.rows.size() == 1);
  CHECK(got.rows[0].count("close_wait") == 0);
  CHECK(got.rows[0].count("established") == 0);
  CHECK(got.rows[0].at("fds") == 1);
  fs.dump_fails = false;
  clock.Advance(100ms);
  REQUIRE(got.rows.size() == 2);
  CHECK(got.rows[1].at("close_wait") == 1);
}
