#include "harness/checks/verdict.h"

#include <doctest/doctest.h>

using namespace faultline;

namespace {

// Two phases of 1 s with threads 10 in the first and `hang_threads` in the second.
VariantResult Measured(double hang_threads) {
  VariantResult v;
  v.name = "v";
  v.phases = {{"warmup", 0, 1, 10, {}}, {"hang", 1, 2, 10, {"hang db"}}};
  v.samples.AddName("threads");
  for (int i = 0; i < 20; ++i)
    v.samples.Append(i * 0.1, {{"threads", i < 10 ? 10.0 : hang_threads}});
  return v;
}

CheckSpec Growth(double limit) {
  CheckSpec c;
  c.name = "threads bounded";
  c.kind = CheckKind::kGrowth;
  c.metric = "threads";
  c.phases = {"hang"};
  c.limit = limit;
  return c;
}

}  // namespace

TEST_CASE("a variant passes when every check passes and fails when one does not") {
  VariantResult ok = Measured(15);
  Judge({Growth(10)}, "warmup", std::nullopt, &ok);
  CHECK(ok.baseline.at("threads") == 10);
  REQUIRE(ok.checks.size() == 1);
  CHECK(ok.checks[0].observed == 5);
  CHECK(ok.outcome == VariantOutcome::kPass);
  CHECK(ok.error.empty());

  VariantResult bad = Measured(50);
  Judge({Growth(10)}, "warmup", std::nullopt, &bad);
  CHECK(bad.outcome == VariantOutcome::kFail);
}

TEST_CASE("the baseline is the named phase or else the first") {
  VariantResult v = Measured(30);
  Judge({}, "hang", std::nullopt, &v);
  CHECK(v.baseline.at("threads") == 30);
  CHECK(v.outcome == VariantOutcome::kPass);  // no checks: nothing failed
  VariantResult w = Measured(30);
  Judge({}, "no such phase", std::nullopt, &w);
  CHECK(w.baseline.at("threads") == 10);
}

TEST_CASE("a process that died mid-run adds a failed process check") {
  VariantResult v = Measured(15);
  Judge({Growth(10)}, "warmup", std::string("process \"target\" exited with code 7 during the run"),
        &v);
  REQUIRE(v.checks.size() == 2);
  CHECK(v.checks[0].passed);
  CHECK(v.checks[1].name == "processes stayed up");
  CHECK(v.checks[1].kind == CheckKind::kProcess);
  CHECK_FALSE(v.checks[1].passed);
  CHECK(v.checks[1].detail == "process \"target\" exited with code 7 during the run");
  CHECK(v.outcome == VariantOutcome::kFail);
}

TEST_CASE("a process that died in a variant expected to fail makes it an error not a met failure") {
  VariantResult v = Measured(50);  // its check fails too: the crash still must not count
  v.expect = Expectation::kFail;
  Judge({Growth(10)}, "warmup", std::string("process \"target\" exited with code 7 during the run"),
        &v);
  CHECK(v.outcome == VariantOutcome::kError);
  CHECK_FALSE(v.met_expectation());
  CHECK(v.error == "process \"target\" exited with code 7 during the run; a variant expected to "
                   "fail must fail its checks, not crash");
  REQUIRE(v.checks.size() == 2);
  CHECK(v.checks[1].name == "processes stayed up");
}

TEST_CASE("a variant expected to fail meets it only by a check failing on measured data") {
  VariantResult failed = Measured(50);
  failed.expect = Expectation::kFail;
  Judge({Growth(10)}, "warmup", std::nullopt, &failed);
  CHECK(failed.outcome == VariantOutcome::kFail);
  CHECK(failed.met_expectation());

  VariantResult nothing = Measured(50);
  nothing.expect = Expectation::kFail;
  CheckSpec missing = Growth(10);
  missing.metric = "goroutines";
  Judge({missing}, "warmup", std::nullopt, &nothing);
  CHECK(nothing.outcome == VariantOutcome::kError);
  CHECK_FALSE(nothing.met_expectation());
}

TEST_CASE("a recovers check with no sample after its phase cannot be computed") {
  VariantResult v = Measured(50);
  v.expect = Expectation::kFail;
  CheckSpec recovers;
  recovers.name = "threads recover";
  recovers.kind = CheckKind::kRecovers;
  recovers.metric = "threads";
  recovers.after = "hang";  // the samples end with it
  recovers.within = std::chrono::seconds(3);
  Judge({recovers}, "warmup", std::nullopt, &v);
  REQUIRE(v.checks.size() == 1);
  CHECK_FALSE(v.checks[0].computed);
  CHECK(v.outcome == VariantOutcome::kError);
  CHECK(v.error == "check \"threads recover\" could not be computed: no samples of threads after "
                   "hang ended");
}

TEST_CASE("a check that cannot be computed makes the variant an error") {
  VariantResult v = Measured(50);
  CheckSpec missing = Growth(10);
  missing.name = "goroutines bounded";
  missing.metric = "goroutines";
  Judge({Growth(10), missing}, "warmup", std::nullopt, &v);
  CHECK(v.outcome == VariantOutcome::kError);
  CHECK(v.error == "check \"goroutines bounded\" could not be computed: no samples of goroutines "
                   "in hang");
}

TEST_CASE("a variant with no phases gets no baseline") {
  VariantResult v;
  Judge({}, "warmup", std::nullopt, &v);
  CHECK(v.baseline.empty());
  CHECK(v.outcome == VariantOutcome::kPass);
}
