#include "harness/common/clock.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace faultline {
namespace {

using std::chrono::milliseconds;

TEST_CASE("ManualClock fires due timers in time order with Now at their due time") {
  ManualClock clock;
  const TimePoint start = clock.Now();
  auto a = clock.NewTimer();
  auto b = clock.NewTimer();
  auto c = clock.NewTimer();
  std::vector<std::string> fired;
  std::vector<TimePoint> at;
  clock.After(*a, milliseconds(30), [&] { fired.push_back("a"); at.push_back(clock.Now()); });
  clock.After(*b, milliseconds(10), [&] { fired.push_back("b"); at.push_back(clock.Now()); });
  clock.After(*c, milliseconds(50), [&] { fired.push_back("c"); });
  clock.Advance(milliseconds(40));
  CHECK(fired == std::vector<std::string>{"b", "a"});
  CHECK(at[0] == start + milliseconds(10));
  CHECK(at[1] == start + milliseconds(30));
  CHECK(clock.Now() == start + milliseconds(40));
  CHECK(c->pending());
  CHECK_FALSE(a->pending());
  clock.Advance(milliseconds(10));
  CHECK(fired.back() == "c");
}

TEST_CASE("ManualClock: a cancelled or replaced or destroyed timer never fires") {
  ManualClock clock;
  int fired = 0;
  auto a = clock.NewTimer();
  clock.After(*a, milliseconds(5), [&] { fired += 1; });
  a->Cancel();
  auto b = clock.NewTimer();
  clock.After(*b, milliseconds(5), [&] { fired += 10; });
  clock.After(*b, milliseconds(6), [&] { fired += 100; });  // replaces the first wait
  {
    auto c = clock.NewTimer();
    clock.After(*c, milliseconds(5), [&] { fired += 1000; });
  }
  clock.Advance(milliseconds(10));
  CHECK(fired == 100);
  CHECK(clock.pending_timers() == 0);
}

TEST_CASE("ManualClock: a callback may re-arm its timer and it fires again within the same Advance") {
  ManualClock clock;
  auto t = clock.NewTimer();
  int ticks = 0;
  std::function<void()> tick = [&] {
    ++ticks;
    clock.After(*t, milliseconds(100), tick);
  };
  clock.After(*t, milliseconds(100), tick);
  clock.Advance(milliseconds(1050));
  CHECK(ticks == 10);
  CHECK(clock.next_due() == clock.Now() + milliseconds(50));
}

TEST_CASE("AsioClock timers fire on the io_context but cancelled and replaced waits do not") {
  asio::io_context io;
  AsioClock clock(io);
  auto a = clock.NewTimer();
  auto b = clock.NewTimer();
  std::vector<std::string> fired;
  clock.After(*a, milliseconds(1), [&] { fired.push_back("a-first"); });
  clock.After(*a, milliseconds(2), [&] { fired.push_back("a"); });
  clock.After(*b, milliseconds(1), [&] { fired.push_back("b"); });
  b->Cancel();
  CHECK(a->pending());
  CHECK_FALSE(b->pending());
  io.run_for(std::chrono::seconds(5));  // returns once no work is left
  CHECK(fired == std::vector<std::string>{"a"});
  CHECK_FALSE(a->pending());
}

TEST_CASE("AsioClock: destroying a timer with a pending wait drops the callback") {
  asio::io_context io;
  AsioClock clock(io);
  bool fired = false;
  {
    auto t = clock.NewTimer();
    clock.After(*t, milliseconds(1), [&] { fired = true; });
  }
  io.run_for(std::chrono::seconds(5));
  CHECK_FALSE(fired);
}

TEST_CASE("AsioClock: a timer destroyed after its wait completed but before its handler ran never fires") {
  asio::io_context io;
  AsioClock clock(io);
  bool second_fired = false;
  auto first = clock.NewTimer();
  auto second = clock.NewTimer();
  // Both are due before the loop runs, so both completions are queued in the
  // same pass; the first (earlier) one destroys the second, whose completion
  // is already queued with success.
  first->At(clock.Now() - milliseconds(2), [&] { second.reset(); });
  second->At(clock.Now() - milliseconds(1), [&] { second_fired = true; });
  io.run_for(std::chrono::seconds(5));
  CHECK(second == nullptr);
  CHECK_FALSE(second_fired);
}

}  // namespace
}  // namespace faultline
