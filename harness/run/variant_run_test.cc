// The variant state machine with fake parts on a ManualClock: what a user
// relies on (outcome, events, phases, samples, every process stopped) in a
// normal run, when the target dies in each state, and on Ctrl-C in each state.
#include "harness/run/variant_run.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <sstream>

#include "harness/run/variant_run_harness.h"
#include "harness/scenario/metrics.h"

using namespace faultline;
using namespace std::chrono_literals;
using namespace faultline::testing;

TEST_CASE("a normal run goes through its phases in order and stops everything") {
  Harness h;
  h.run->Start();
  CHECK(h.state() == VariantRun::State::kStarting);
  h.At(1.0);
  CHECK(h.state() == VariantRun::State::kPhases);
  CHECK(h.run->phase() == 0);
  h.world.load_sink({Outcome::kOk, 200, 0.1, 0.01});
  h.world.load_sink({Outcome::kHttpStatus, 504, 1.5, 0.3});
  h.At(2.5);
  CHECK(h.run->phase() == 2);
  h.world.in_flight = 2;  // still running when the phases end
  h.At(3.3);
  CHECK(h.state() == VariantRun::State::kDraining);
  h.world.in_flight = 0;
  h.At(3.4);

  CHECK(h.Log() ==
        "0.000 proxy inventory listens\n"
        "0.000 start inventory\n"
        "0.100 ready inventory\n"
        "0.100 start target\n"
        "0.200 ready target\n"
        "0.200 load starts\n"
        "0.200 fault inventory none\n"
        "0.200 rate 10\n"
        "1.200 fault inventory hang\n"
        "1.200 rate 10\n"
        "2.200 fault inventory none\n"
        "2.200 rate 0\n"
        "3.200 load stops\n"
        "3.350 load aborted\n"
        "3.350 fault inventory none\n"
        "3.350 stop all\n"
        "3.350 all stopped\n"
        "3.350 proxy inventory closed\n");
  // Each phase's rate covers requests due before its end, so none is sent
  // after the last phase (nor during an end census) however late the loop.
  const TimePoint t0 = h.world.start;
  CHECK(h.world.rate_until == std::vector<TimePoint>{t0 + 1200ms, t0 + 2200ms, t0 + 3200ms});
  CHECK(h.world.rate_from == std::vector<TimePoint>{t0 + 200ms, t0 + 1200ms, t0 + 2200ms});
  CHECK(h.done->ok());
  const VariantResult& r = h.result;
  CHECK(r.outcome == VariantOutcome::kPass);
  REQUIRE(r.phases.size() == 3);
  CHECK(r.phases[0].name == "baseline");
  CHECK(r.phases[0].start_s == 0);
  CHECK(r.phases[1].start_s == doctest::Approx(1));
  CHECK(r.phases[1].faults == std::vector<std::string>{"hang inventory"});
  CHECK(r.phases[2].rate == 0);
  CHECK(r.phases[2].end_s == doctest::Approx(3));
  CHECK(r.duration_s == doctest::Approx(3));
  // A sample every 100 ms from the load's start until the phases end.
  REQUIRE(r.samples.t_s.size() == 30);
  CHECK(r.samples.t_s[29] == doctest::Approx(2.9));
  CHECK(r.samples.names[0] == "threads");
  CHECK(r.samples.Find("threads")->at(5) == 4);
  CHECK(r.samples.Find("upstream.inventory")->at(5) == 3);
  CHECK(r.baseline.at("threads") == 4);
  CHECK(r.requests.Total().counts.ok == 1);
  CHECK(r.requests.Phase(1).counts.status.at(504) == 1);
  REQUIRE(r.checks.size() == 1);
  CHECK(r.checks[0].passed);
  REQUIRE(r.logs.size() == 2);
  CHECK(r.logs[1].path == "/out/logs/default/target.log");
  CHECK(r.logs[1].tail == "last 30 lines of target");
  CHECK(h.out.str() ==
        "[default] phase baseline for 1s, rate 10/s\n"
        "[default] phase hang for 1s, rate 10/s faults: hang inventory\n"
        "[default] phase drain for 1s, rate 0/s\n"
        "variant default: pass (expected pass)\n");
  h.CheckAllStopped();
}

// A request due exactly at a phase's start is that phase's: the phase
// starts are summed as the timers are, in nanoseconds, not in doubles
// (0.1 s + 0.2 s as doubles is past 0.3 s).
TEST_CASE("a request due at a phase's start counts in that phase") {
  std::string text = kScenario;
  auto shorten = [&text](const std::string& phase, const std::string& duration) {
    const std::string from = "name = \"" + phase + "\"\nduration = \"1s\"";
    REQUIRE(text.find(from) != std::string::npos);
    text.replace(text.find(from), from.size(),
                 "name = \"" + phase + "\"\nduration = \"" + duration + "\"");
  };
  shorten("baseline", "100ms");
  shorten("hang", "200ms");
  Harness h(text);
  h.run->Start();
  h.At(0.2);
  REQUIRE(h.state() == VariantRun::State::kPhases);
  // Intended starts as the load generator computes them: nanoseconds from
  // the epoch, in seconds.
  h.world.load_sink({Outcome::kOk, 200, ToSeconds(std::chrono::milliseconds(100)), 0.01});
  h.world.load_sink({Outcome::kOk, 200, ToSeconds(std::chrono::milliseconds(300)), 0.01});
  CHECK(h.result.requests.Phase(0).counts.total() == 0);
  CHECK(h.result.requests.Phase(1).counts.total() == 1);
  CHECK(h.result.requests.Phase(2).counts.total() == 1);
}

// A dependency its proxy could not reach shows in the counts only as the
// target's errors; the event says where they came from.
TEST_CASE("connections a proxy could not carry upstream are an event at the end") {
  Harness h;
  h.run->Start();
  h.At(3.4);
  REQUIRE(h.state() == VariantRun::State::kDone);
  CHECK(h.result.events.empty());  // none failed

  Harness down;
  down.world.upstream_connect_errors = 30;
  down.run->Start();
  down.At(3.4);
  REQUIRE(down.result.events.size() == 1);
  const Event& e = down.result.events[0];
  CHECK(e.t_s == doctest::Approx(3));  // when the processes are stopped
  CHECK(e.message.starts_with("dependency \"inventory\": 30 connections through its fault proxy "
                              "could not reach 127.0.0.1:"));
  CHECK(e.message.ends_with(" (refused, reset or timed out) and were closed at once"));
}

TEST_CASE("draining gives up at the client timeout plus a second") {
  Harness h;
  h.run->Start();
  h.world.in_flight = 5;
  h.At(6.15);
  CHECK(h.Logged("3.200 load stops"));
  CHECK(h.state() == VariantRun::State::kDraining);
  h.At(6.3);
  CHECK(h.Logged("6.200 load aborted"));  // 3.2 + 2 s timeout + 1 s
  CHECK(h.result.outcome == VariantOutcome::kPass);
  h.CheckAllStopped();
}

TEST_CASE("the target dying while the run starts ends the variant as an error") {
  SUBCASE("a dependency exits while the target is starting") {
    Harness h;
    h.run->Start();
    h.At(0.15);
    h.world.Exit("inventory", 9);
    h.At(0.5);
    CHECK(h.done->code() == Status::Code::kUnavailable);
    CHECK(h.done->message() ==
          "process \"inventory\" exited with code 9 while the run was starting; last lines of "
          "its log (/out/logs/default/inventory.log):\nlast 10 lines of inventory");
    CHECK(h.Logged("0.150 stop target"));  // its readiness wait is cut short
    CHECK(h.result.outcome == VariantOutcome::kError);
    CHECK(h.result.phases.empty());
    CHECK_FALSE(h.Logged("0.150 load starts"));
    h.CheckAllStopped();
  }
  SUBCASE("the target exits before it is ready") {
    Harness h;
    h.run->Start();
    h.At(0.15);
    h.world.Exit("target", 3);
    h.At(0.5);
    CHECK(h.done->message() == "process \"target\" exited with code 3 before it was ready");
    CHECK(h.result.outcome == VariantOutcome::kError);
    CHECK(h.result.error == h.done->message());
    h.CheckAllStopped();
  }
  SUBCASE("the target never becomes ready") {
    Harness h;
    h.world.never_ready.insert("target");
    h.run->Start();
    h.At(20);
    CHECK(h.done->message() == "process \"target\" not ready after 10s");
    CHECK(h.Logged("10.100 not ready target"));
    h.CheckAllStopped();
  }
  SUBCASE("an interrupt while it stops after a failure keeps the failure") {
    Harness h;
    h.world.never_ready.insert("target");
    h.world.stop_takes = 5s;
    h.run->Start();
    h.At(12);  // not ready at 10.1; the stop takes until 15.1
    h.run->Interrupt();
    h.At(20);
    CHECK(h.result.outcome == VariantOutcome::kInterrupted);
    CHECK(h.result.error == "process \"target\" not ready after 10s");
    CHECK(h.done->message() == h.result.error);
    h.CheckAllStopped();
  }
  SUBCASE("a program cannot be started") {
    Harness h;
    h.world.cannot_start.insert("target");
    h.run->Start();
    h.At(1);
    CHECK(h.done->message() == "start \"target\" (svc): No such file or directory");
    CHECK(h.Logged("0.100 stop all"));
    h.CheckAllStopped();
  }
  SUBCASE("a proxy cannot listen: nothing starts") {
    Harness h;
    h.world.proxy_cannot_listen = true;
    h.run->Start();
    h.At(1);
    CHECK(h.done->message() ==
          "fault proxy for \"inventory\": listen on 127.0.0.1:40003: Address already in use");
    CHECK_FALSE(h.Logged("0.000 start inventory"));
    h.CheckAllStopped();
  }
}

TEST_CASE("the target dying mid-run cuts the phases short and fails the variant") {
  struct Case {
    std::string state;
    double at;               // when the target exits
    size_t phases;           // phases recorded
    bool phases_cut;         // the last recorded phase ended at the exit
  };
  for (const Case& c : {Case{"a phase with load", 0.7, 1, true},
                        Case{"a phase with a fault", 1.7, 2, true},
                        Case{"a phase without load", 2.7, 3, true},
                        Case{"draining", 3.3, 3, false}}) {
    CAPTURE(c.state);
    Harness h;
    h.run->Start();
    if (!c.phases_cut) h.world.in_flight = 1;  // keeps it draining
    h.At(c.at);
    h.world.Exit("target", 7);
    h.world.in_flight = 0;
    h.At(10);
    const std::string msg = "process \"target\" exited with code 7 during the run";
    REQUIRE(h.result.events.size() == 1);
    CHECK(h.result.events[0].message == msg);
    CHECK(h.result.events[0].t_s == doctest::Approx(c.at - 0.2));
    REQUIRE(h.result.phases.size() == c.phases);
    if (c.phases_cut) CHECK(h.result.phases.back().end_s == doctest::Approx(c.at - 0.2));
    CHECK(h.result.outcome == VariantOutcome::kFail);
    REQUIRE_FALSE(h.result.checks.empty());
    CHECK(h.result.checks.back().name == "processes stayed up");
    CHECK(h.result.checks.back().detail == msg);
    CHECK(h.out.str().find(msg + "; last lines of its log (/out/logs/default/target.log):\n"
                                 "last 10 lines of target\n") != std::string::npos);
    CHECK(h.done->ok());
    h.CheckAllStopped();
  }
}

TEST_CASE("a process that exits while being stopped is not a failure") {
  Harness h;
  h.world.stop_takes = 500ms;
  h.run->Start();
  h.At(3.3);
  CHECK(h.state() == VariantRun::State::kStopping);
  h.world.Exit("target", 143);
  h.At(4);
  CHECK(h.result.events.empty());
  CHECK(h.result.outcome == VariantOutcome::kPass);
  h.CheckAllStopped();
}

TEST_CASE("an interrupt stops the variant in order from every state") {
  struct Case {
    std::string state;
    double at;
    size_t phases;
  };
  for (const Case& c : {Case{"starting", 0.15, 0}, Case{"a phase with load", 0.7, 1},
                        Case{"a phase with a fault", 1.7, 2}, Case{"a phase without load", 2.7, 3},
                        Case{"draining", 3.3, 3}, Case{"stopping", 3.5, 3}}) {
    CAPTURE(c.state);
    Harness h;
    h.world.stop_takes = 500ms;
    h.run->Start();
    if (c.state == "draining") h.world.in_flight = 4;
    h.At(c.at);
    if (c.state != "starting" && c.state != "draining" && c.state != "stopping")
      h.world.in_flight = 6;
    h.run->Interrupt();
    h.At(10);
    CHECK(h.result.outcome == VariantOutcome::kInterrupted);
    CHECK(h.result.checks.empty());  // nothing judged
    CHECK(h.result.phases.size() == c.phases);
    if (c.phases > 0 && c.state != "draining" && c.state != "stopping")
      CHECK(h.result.phases.back().end_s == doctest::Approx(c.at - 0.2));
    if (c.phases > 0) CHECK_FALSE(h.result.samples.t_s.empty());  // what was measured is kept
    const bool abandoned = c.state != "starting" && c.state != "stopping";
    CHECK(h.result.abandoned_requests == (abandoned ? (c.state == "draining" ? 4u : 6u) : 0u));
    CHECK(h.done->ok());
    h.CheckAllStopped();
  }
}

TEST_CASE("kill stops every part at once without finishing") {
  Harness h;
  h.run->Start();
  h.At(1.5);
  h.run->Kill();
  CHECK(h.state() == VariantRun::State::kDone);
  CHECK(h.world.killed == std::set<std::string>{"inventory", "target"});
  CHECK_FALSE(h.world.load_exists);
  h.At(10);
  CHECK_FALSE(h.done.has_value());
}

TEST_CASE("scraped metrics fill the sample rows") {
  Harness h(std::string(kScenario) + R"(
[target.scrape]
metrics = { widgets = "widgets_total" }
)");
  h.run->Start();
  h.At(4);
  const auto* widgets = h.result.samples.Find("widgets");
  REQUIRE(widgets != nullptr);
  CHECK(widgets->size() == 30);
  CHECK(widgets->at(12) == 7);
  REQUIRE(h.result.scrape.has_value());
  CHECK(h.result.scrape->attempts == 30);
  CHECK(h.result.scrape->misses == 0);
  CHECK(h.result.samples.names[BuiltinMetrics().size()] == "widgets");  // after the built-in series
  h.CheckAllStopped();
}

TEST_CASE("ramp steps and flaps set the proxy's faults at their exact times and log an event each") {
  // Load starts at 0.2 s; phase "ramp" runs 1.2-5.2 and phase "flap" 5.2-9.2.
  Harness h(R"(
[target]
argv = ["svc", "${proxy.inventory}"]
[[dependencies]]
name = "inventory"
argv = ["stub"]
proxy = true
[[phases]]
name = "baseline"
duration = "1s"
[[phases]]
name = "ramp"
duration = "4s"
faults = [{ kind = "latency", dependency = "inventory", ramp = { from = "100ms", to = "400ms", steps = 4 } },
          { kind = "reset_peer", dependency = "inventory", fraction = 0.3 }]
[[phases]]
name = "flap"
duration = "4s"
faults = [{ kind = "hang", dependency = "inventory", flap = { on = "1s", off = "1.5s" } }]
)");
  h.run->Start();
  h.At(9.5);
  std::string faults;
  for (const std::string& line : h.world.log)
    if (line.find(" fault ") != std::string::npos) faults += line + "\n";
  CHECK(faults ==
        "0.200 fault inventory none\n"
        "1.200 fault inventory latency 100ms, reset_peer on first data 30%\n"
        "2.200 fault inventory latency 200ms, reset_peer on first data 30%\n"
        "3.200 fault inventory latency 300ms, reset_peer on first data 30%\n"
        "4.200 fault inventory latency 400ms, reset_peer on first data 30%\n"
        "5.200 fault inventory hang\n"
        "6.200 fault inventory none\n"
        "7.700 fault inventory hang\n"
        "8.700 fault inventory none\n"
        "9.200 fault inventory none\n");
  std::string events;
  for (const auto& e : h.result.events) events += FormatDuration(FromSeconds(e.t_s)) + " " + e.message + "\n";
  CHECK(events ==
        "2s faults on inventory: latency 200ms inventory, reset_peer on first data 30% inventory\n"
        "3s faults on inventory: latency 300ms inventory, reset_peer on first data 30% inventory\n"
        "4s faults on inventory: latency 400ms inventory, reset_peer on first data 30% inventory\n"
        "6s faults on inventory: none\n"
        "7.5s faults on inventory: hang inventory\n"
        "8.5s faults on inventory: none\n");
  REQUIRE(h.result.phases.size() == 3);
  CHECK(h.result.phases[1].faults ==
        std::vector<std::string>{"latency 100ms→400ms in 4 steps inventory",
                                 "reset_peer on first data 30% inventory"});
  CHECK(h.result.phases[2].faults ==
        std::vector<std::string>{"hang flapping 1s on/1.5s off inventory"});
  h.CheckAllStopped();
}

// A fault flapping every 10 ms: each change is an event, but the terminal
// gets the first five of the phase and one line for the rest.
TEST_CASE("a fast flap prints its first changes and records every one") {
  Harness h(R"(
[target]
argv = ["svc", "${proxy.inventory}"]
[[dependencies]]
name = "inventory"
argv = ["stub"]
proxy = true
[[phases]]
name = "flap"
duration = "1s"
faults = [{ kind = "hang", dependency = "inventory", flap = { on = "10ms", off = "10ms" } }]
)");
  h.run->Start();
  h.At(1.5);
  CHECK(h.result.events.size() == 99);  // at 10 ms, 20 ms, ... 990 ms
  size_t printed = 0;
  for (size_t at = h.out.str().find("] faults on inventory: "); at != std::string::npos;
       at = h.out.str().find("] faults on inventory: ", at + 1))
    ++printed;
  CHECK(printed == 5);
  CHECK(h.out.str().find("] faults keep changing in this phase (99 changes): the rest are "
                         "recorded as events, not printed") != std::string::npos);
  h.CheckAllStopped();
}

TEST_CASE("an external dependency is probed not started and listed as external") {
  Harness h(R"(
[target]
argv = ["svc", "${proxy.db}"]
[[dependencies]]
name = "db"
address = "127.0.0.1:5432"
ready = { kind = "tcp" }
proxy = true
[[phases]]
name = "only"
duration = "1s"
)");
  h.run->Start();
  h.At(2);
  CHECK(h.Log().rfind("0.000 proxy db listens\n"
                      "0.100 reachable db\n"
                      "0.100 start target\n"
                      "0.200 ready target\n"
                      "0.200 load starts\n",
                      0) == 0);
  CHECK_FALSE(h.Logged("0.000 start db"));
  REQUIRE_FALSE(h.result.events.empty());
  CHECK(h.result.events[0].message ==
        "dependency \"db\" is external at 127.0.0.1:5432: not started or stopped by faultline");
  CHECK(h.result.outcome == VariantOutcome::kPass);
  h.CheckAllStopped();
}

TEST_CASE("an HTTP proxy's counts are sampled and its records audited at the end") {
  Harness h;
  h.world.upstream_counts = UpstreamCounts{2, 1};
  const std::string id_a(32, 'a'), id_b(32, 'b');  // trace ids as the load gives them
  UpstreamRecord open;  // caused by request "a", never ended
  open.trace_id = id_a;
  open.start = h.world.start + 300ms;  // 0.1 s after the load's epoch
  UpstreamRecord ended = open;         // caused by request "b", ended after "b" gave up
  ended.trace_id = id_b;
  ended.how = UpstreamEnd::kAbandoned;
  ended.end = h.world.start + 1500ms;  // t = 1.3
  h.world.upstream_records = {open, ended};
  h.run->Start();
  h.At(1.0);
  RequestResult a{Outcome::kTimeout, 0, 0.1, 0.5, 0};  // left at 0.6
  a.trace_id = id_a;
  RequestResult b{Outcome::kReset, 0, 0.1, 0.7, 0};    // left at 0.8
  b.trace_id = id_b;
  h.world.load_sink(a);
  h.world.load_sink(b);
  h.At(3.4);
  REQUIRE(h.state() == VariantRun::State::kDone);
  const VariantResult& r = h.result;
  CHECK(r.samples.Find("upstream.inventory.in_flight")->at(5) == 2);
  CHECK(r.samples.Find("upstream.inventory.abandoned")->at(5) == 1);
  REQUIRE(r.cancellation.count("inventory") == 1);
  const CancellationSummary& c = r.cancellation.at("inventory");
  CHECK(c.forwarded);
  CHECK(c.gave_up == 2);
  CHECK(c.ended_after == 1);
  CHECK(c.never_ended == 1);
  CHECK(c.orphans == 1);
  CHECK(c.outlived.p50_ms == doctest::Approx(500));   // "b": ended 0.5 s after it left
  CHECK(c.outlived.max_ms == doctest::Approx(2400));  // "a": open from 0.6 to the audit at 3.0
  // Orphans over time: "a" from 0.6 on, "b" from 0.8 until 1.3.
  const std::vector<double>* orphans = r.samples.Find("upstream.inventory.orphans");
  REQUIRE(orphans);
  CHECK(orphans->at(5) == 0);   // t = 0.5
  CHECK(orphans->at(9) == 2);   // t = 0.9
  CHECK(orphans->at(20) == 1);  // t = 2.0
  h.CheckAllStopped();
}

TEST_CASE("a TCP proxy has no upstream request series and no audit") {
  Harness h;
  h.run->Start();
  h.At(3.4);
  CHECK(h.result.cancellation.empty());
  CHECK_FALSE(h.result.samples.Find("upstream.inventory.in_flight"));
  h.CheckAllStopped();
}

TEST_CASE("censuses are taken at their moments and at the end and become events") {
  std::string text = kScenario;
  text += "[[census]]\nat = \"hang+500ms\"\n";
  Harness h(text);
  h.world.census = Census{"", 0, 0.25, "native", 12, false, "",
                          {{10, "S", "poll", {"__poll", "orders::Inventory::GetStock (inventory.cc:40)"}},
                           {2, "S", "futex", {"futex_wait"}}}};
  h.run->Start();
  h.At(10);
  REQUIRE(h.done);
  REQUIRE(h.result.census.size() == 2);
  CHECK(h.result.census[0].at == "hang+500ms");
  CHECK(h.result.census[0].t_s == doctest::Approx(1.5));
  CHECK(h.result.census[1].at == "end");
  CHECK(h.result.census[1].t_s == doctest::Approx(3.0));
  CHECK(h.result.census[1].pause_s == 0.25);
  bool event = false;
  for (const Event& e : h.result.events) {
    event = event || e.message == "census \"end\": 12 threads, 10 in __poll \u2190 "
                                  "orders::Inventory::GetStock (inventory.cc:40); paused 0.250 s";
  }
  CHECK(event);
}

TEST_CASE("a run without a census taker takes no census") {
  Harness h;
  h.run->Start();
  h.At(10);
  REQUIRE(h.done);
  CHECK(h.result.census.empty());
}
