#include "harness/run/progress_line.h"

#include <doctest/doctest.h>

#include <sstream>

using namespace faultline;
using namespace std::chrono_literals;

namespace {

Progress Sample() {
  Progress p;
  p.variant = "v";
  p.phase = "hang";
  p.elapsed_s = 1.5;
  p.total_s = 3;
  p.rate = 10;
  p.threads = 5;
  p.rss_bytes = 1 << 20;
  return p;
}

}  // namespace

TEST_CASE("the live line is rewritten in place - a note clears it first - phases are lines") {
  std::ostringstream out;
  ProgressLine line(&out, /*live=*/true);
  CHECK(line.every() == 500ms);
  line.PhaseStarted("v", "hang", 10s, 100, {"hang inventory"});  // a whole line
  line.Show(Sample());
  line.Show(Sample());
  line.Note("received SIGINT, stopping the run");
  line.Show(Sample());
  line.PhasesEnded();
  const std::string shown = RenderProgress(Sample());
  const std::string phase = "[v] phase hang for 10s, rate 100/s faults: hang inventory\n";
  CHECK(out.str() == phase + "\r\x1b[K" + shown + "\r\x1b[K" + shown +
                         "\r\x1b[Kreceived SIGINT, stopping the run\n" + "\r\x1b[K" + shown +
                         "\r\x1b[K\n");
}

TEST_CASE("without a terminal progress is plain lines and each phase is announced") {
  std::ostringstream out;
  ProgressLine line(&out, /*live=*/false);
  CHECK(line.every() == 5s);
  line.PhaseStarted("v", "baseline", 10s, 100, {});
  line.PhaseStarted("v", "hang", 2500ms, 100.7, {"hang inventory", "latency 3s upstream db"});
  line.Show(Sample());
  line.PhasesEnded();  // no open line to end
  line.Note("variant v: pass (expected pass)");
  CHECK(out.str() ==
        "[v] phase baseline for 10s, rate 100/s\n"
        "[v] phase hang for 2.5s, rate 100.7/s faults: hang inventory, latency 3s upstream db\n" +
            RenderProgress(Sample()) + "\nvariant v: pass (expected pass)\n");
}

TEST_CASE("a note keeps its lines and drops what a terminal would act on") {
  std::ostringstream out;
  ProgressLine line(&out, /*live=*/false);
  line.Note("log:\n\x1b[2Jwipe c1:\xc2\x9b" "2J raw:\x9b bad:\xff\xfe bell:\x07 ok: \xc3\xa9");
  CHECK(out.str() == "log:\nwipe c1:\uFFFD" "2J raw:\uFFFD bad:\uFFFD\uFFFD bell:\uFFFD ok: \u00e9\n");
}

TEST_CASE("no stream means no output") {
  ProgressLine line(nullptr, true);
  CHECK_FALSE(line.enabled());
  line.Note("x");
  line.Show(Sample());
  line.PhasesEnded();
}

TEST_CASE("the live baseline is a running mean of threads and RSS") {
  LiveBaseline base;
  Progress p;
  base.Fill(&p);
  CHECK_FALSE(p.has_baseline);
  base.Add(4, 100);
  base.Add(6, 300);
  base.Fill(&p);
  CHECK(p.has_baseline);
  CHECK(p.threads_baseline == doctest::Approx(5));
  CHECK(p.rss_baseline == doctest::Approx(200));
}
