// The variant state machine with setup and teardown commands and with an
// attached target, on fake parts: when the hooks run, what a failing one
// does, that the teardown runs after a failure and an interrupt, and that an
// attached target is sampled, never stopped, and its death is an error.
#include <doctest/doctest.h>

#include "harness/common/out_of_fds.h"
#include "harness/run/variant_run_harness.h"

using namespace faultline;
using namespace faultline::testing;

namespace {

// The default scenario with two setup commands and one teardown command.
const char* kHooked = R"(
[target]
argv = ["svc", "--port", "${port.target}"]
[[variants]]
name = "flag-on"
setup = [["flag", "on", "${variant.name}"], ["admin", "--warm"]]
teardown = [["flag", "off"]]
hook_timeout = "2s"
[load]
rate = 10
timeout = "1s"
[[phases]]
name = "only"
duration = "1s"
)";

// An attached target behind a fixed proxy port.
const char* kAttached = R"(
[target]
attach = { port = 8080 }
[[dependencies]]
name = "inventory"
address = "127.0.0.1:9001"
proxy = true
listen = 9000
[[variants]]
name = "v"
teardown = [["flag", "off"]]
[load]
rate = 10
timeout = "1s"
[[phases]]
name = "only"
duration = "1s"
)";

}  // namespace

TEST_CASE("setup runs after the processes are ready and teardown after they stop") {
  Harness h(kHooked);
  h.run->Start();
  h.At(2.0);
  CHECK(h.Log() ==
        "0.000 start target\n"
        "0.100 ready target\n"
        "0.100 hook setup-1\n"
        "0.200 hook setup-1 exited 0\n"
        "0.200 hook setup-2\n"
        "0.300 hook setup-2 exited 0\n"
        "0.300 load starts\n"
        "0.300 rate 10\n"
        "1.300 load stops\n"
        "1.300 load aborted\n"
        "1.300 stop all\n"
        "1.300 all stopped\n"
        "1.300 hook teardown-1\n"
        "1.400 hook teardown-1 exited 0\n");
  CHECK(h.done->ok());
  REQUIRE(h.result.logs.size() == 4);
  CHECK(h.result.logs[1].path == "/out/logs/flag-on/setup-1.log");
  CHECK(h.result.logs[3].name == "teardown-1");
  CHECK(h.result.logs[3].tail == "last 30 lines of teardown-1");
  h.CheckAllStopped();
}

TEST_CASE("a failing setup ends the variant before any load and the teardown still runs") {
  Harness h(kHooked);
  h.world.hook_codes["setup-2"] = 3;
  h.run->Start();
  h.At(2.0);
  REQUIRE(h.done.has_value());
  CHECK(h.done->code() == Status::Code::kUnavailable);
  CHECK(h.done->message() == "variant setup: setup-2 exited with code 3");
  CHECK(h.result.outcome == VariantOutcome::kError);
  CHECK_FALSE(h.Logged("0.300 load starts"));
  CHECK(h.Logged("0.300 hook teardown-1"));
  h.CheckAllStopped();
}

TEST_CASE("the teardown runs after an interrupt and a failing one is an event") {
  SUBCASE("interrupted during the phases") {
    Harness h(kHooked);
    h.world.hook_codes["teardown-1"] = 1;
    h.run->Start();
    h.At(0.5);
    h.run->Interrupt();
    h.At(2.0);
    CHECK(h.Logged("0.500 hook teardown-1"));
    CHECK(h.result.outcome == VariantOutcome::kInterrupted);
    REQUIRE_FALSE(h.result.events.empty());
    CHECK(h.result.events.back().message == "variant teardown: teardown-1 exited with code 1");
    CHECK(h.out.str().find("warning: variant teardown: teardown-1 exited with code 1") !=
          std::string::npos);
    h.CheckAllStopped();
  }
  SUBCASE("interrupted while a setup command hangs") {
    Harness h(kHooked);
    h.world.hooks_hang.insert("setup-1");
    h.run->Start();
    h.At(0.5);
    h.run->Interrupt();
    h.At(1.0);
    CHECK(h.Logged("0.500 hook setup-1 stopped"));
    CHECK(h.Logged("0.500 hook teardown-1"));
    CHECK(h.result.outcome == VariantOutcome::kInterrupted);
    h.CheckAllStopped();
  }
  SUBCASE("the target dies while a setup command runs: the command is stopped at once") {
    Harness h(kHooked);
    h.world.hooks_hang.insert("setup-1");
    h.run->Start();
    h.At(0.5);
    h.world.Exit("target", 1);
    h.At(1.0);
    CHECK(h.Logged("0.500 hook setup-1 stopped"));  // not at its 2 s timeout
    REQUIRE(h.done.has_value());
    CHECK(h.done->message().starts_with("process \"target\" exited with code 1 while the run "
                                        "was starting"));
    CHECK(h.result.outcome == VariantOutcome::kError);
    h.CheckAllStopped();
  }
  SUBCASE("a setup command past its timeout") {
    Harness h(kHooked);
    h.world.hooks_hang.insert("setup-1");
    h.run->Start();
    h.At(3.0);
    CHECK(h.Logged("2.100 hook setup-1 timed out"));
    CHECK(h.done->message() == "variant setup: setup-1 ran past its timeout of 2s and was stopped");
    CHECK(h.Logged("2.100 hook teardown-1"));
    h.CheckAllStopped();
  }
}

// A handler that threw (a bug in faultline): the Runner aborts the variant,
// which stops as after an interrupt, with an error for its outcome.
TEST_CASE("an aborted variant stops its processes and runs its teardown and is an error") {
  SUBCASE("during the phases") {
    Harness h(kHooked);
    h.run->Start();
    h.At(0.5);
    h.run->Abort(Status::Unavailable("internal error: boom"));
    h.At(2.0);
    CHECK(h.Logged("0.500 hook teardown-1"));
    CHECK(h.result.outcome == VariantOutcome::kError);
    CHECK(h.result.error == "internal error: boom");
    REQUIRE(h.done.has_value());
    CHECK(h.done->message() == "internal error: boom");
    h.CheckAllStopped();
  }
  SUBCASE("while a setup command hangs: it is stopped, and the teardown runs") {
    Harness h(kHooked);
    h.world.hooks_hang.insert("setup-1");
    h.run->Start();
    h.At(0.5);
    h.run->Abort(Status::Unavailable("internal error: boom"));
    h.At(1.0);
    CHECK(h.Logged("0.500 hook setup-1 stopped"));
    CHECK(h.Logged("0.500 hook teardown-1"));
    CHECK(h.result.outcome == VariantOutcome::kError);
    h.CheckAllStopped();
  }
  SUBCASE("after it ended: nothing changes") {
    Harness h(kHooked);
    h.run->Start();
    h.At(3.0);
    REQUIRE(h.state() == VariantRun::State::kDone);
    h.run->Abort(Status::Unavailable("internal error: boom"));
    CHECK(h.result.outcome == VariantOutcome::kPass);
  }
}

// The load generator and the proxy note faultline's own EMFILE: a variant
// during which it ran out of descriptors measured that, not the target.
TEST_CASE("a variant during which faultline ran out of file descriptors is an error") {
  Harness h(kHooked);
  h.run->Start();
  h.At(0.5);
  NoteIfOutOfFds(boost::system::error_code(EMFILE, boost::system::system_category()));
  h.At(3.0);
  REQUIRE(h.state() == VariantRun::State::kDone);
  CHECK(h.result.outcome == VariantOutcome::kError);
  CHECK(h.result.error.starts_with("faultline ran out of file descriptors 1 time (its open-file "
                                   "limit is "));
  REQUIRE(h.done.has_value());
  CHECK(h.done->code() == Status::Code::kUnavailable);
  h.CheckAllStopped();
}

TEST_CASE("an attached target is sampled and never stopped") {
  Harness h(kAttached);
  h.run->Start();
  h.At(2.0);
  CHECK(h.Log() ==
        "0.000 proxy inventory listens\n"
        "0.000 attach target\n"
        "0.000 load starts\n"
        "0.000 fault inventory none\n"
        "0.000 rate 10\n"
        "1.000 load stops\n"
        "1.000 load aborted\n"
        "1.000 fault inventory none\n"
        "1.000 stop all\n"
        "1.000 all stopped\n"
        "1.000 proxy inventory closed\n"
        "1.000 hook teardown-1\n"
        "1.100 hook teardown-1 exited 0\n");
  CHECK(h.done->ok());
  CHECK(h.world.attached.count("target") == 1);  // still there, untouched
  CHECK_FALSE(h.world.stopping.count("target"));
  CHECK(h.result.samples.Find("threads")->at(3) == 4);  // pid 2001's tree
  REQUIRE(h.result.events.size() == 2);
  CHECK(h.result.events[1].message ==
        "dependency \"inventory\" is external at 127.0.0.1:9001: not started or stopped by "
        "faultline");
  CHECK(h.result.events[0].message ==
        "target \"target\" is attached: pid 2001, the process listening on port 8080; not "
        "started, stopped or signalled by faultline");
  h.run.reset();
  CHECK(h.world.killed.empty());
  CHECK(h.world.attached.count("target") == 1);
}

TEST_CASE("an attached target that cannot be found ends the variant before any load") {
  Harness h(kAttached);
  h.world.attach_error = "no process listens on port 8080";
  h.run->Start();
  h.At(1.0);
  REQUIRE(h.done.has_value());
  CHECK(h.done->code() == Status::Code::kUnavailable);
  CHECK(h.done->message() ==
        "attach to the process listening on port 8080: no process listens on port 8080");
  CHECK_FALSE(h.Logged("0.000 load starts"));
  CHECK(h.Logged("0.000 hook teardown-1"));
  h.CheckAllStopped();
}

// As for a started target: an event, and the variant fails "processes stayed up".
TEST_CASE("an attached target that dies mid-run is an event and a failed variant") {
  Harness h(kAttached);
  h.run->Start();
  h.At(0.5);
  h.world.Exit("target", 0);
  h.At(2.0);
  REQUIRE(h.done.has_value());
  CHECK(h.done->ok());
  CHECK(h.result.outcome == VariantOutcome::kFail);
  REQUIRE_FALSE(h.result.checks.empty());
  CHECK(h.result.checks.back().name == "processes stayed up");
  CHECK_FALSE(h.result.checks.back().passed);
  bool found = false;
  for (const auto& e : h.result.events) {
    found = found || e.message == "process \"target\" exited (an attached process: its exit status "
                               "goes to its own parent) during the run";
  }
  CHECK(found);
  CHECK(h.out.str().find("(it has no log here)") != std::string::npos);
  h.CheckAllStopped();
}
