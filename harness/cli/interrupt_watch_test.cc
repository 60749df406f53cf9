// InterruptWatch (interrupt_watch.h) with real signals, raised on this
// thread: each is handled (or kills the test) before raise() returns.
#include "harness/cli/interrupt_watch.h"

#include <doctest/doctest.h>

#include <csignal>

#include "harness/common/asio.h"

namespace faultline {
namespace {

bool Caught(int signo) {
  struct sigaction sa {};
  REQUIRE(::sigaction(signo, nullptr, &sa) == 0);
  return sa.sa_handler != SIG_DFL && sa.sa_handler != SIG_IGN;
}

// What a Runner does to the signals: a signal_set of its own, gone at its end.
void OneRun() {
  asio::io_context io;
  asio::signal_set signals(io, SIGINT, SIGTERM);
}

TEST_CASE("suite repeat and sweep: SIGINT between runs is caught and seen once the run is over") {
  InterruptWatch watch;
  OneRun();
  // Without the watch the last signal_set would have put SIG_DFL back.
  REQUIRE(Caught(SIGINT));
  REQUIRE(Caught(SIGTERM));
  CHECK_FALSE(watch.Interrupted());
  ::raise(SIGINT);
  CHECK(watch.Interrupted());
  CHECK(watch.Interrupted());  // it stays seen
}

TEST_CASE("suite repeat and sweep: SIGTERM during a run reaches the run and the watch") {
  InterruptWatch watch;
  asio::io_context io;
  asio::signal_set run_signals(io, SIGINT, SIGTERM);
  int seen = 0;
  run_signals.async_wait([&](const boost::system::error_code& ec, int signo) {
    if (!ec) seen = signo;
  });
  ::raise(SIGTERM);
  io.run_for(std::chrono::seconds(5));  // returns once the handler ran: no work is left
  CHECK(seen == SIGTERM);
  CHECK(watch.Interrupted());
}

TEST_CASE("suite repeat and sweep: the default action is back once the watch is gone") {
  {
    InterruptWatch watch;
    CHECK(Caught(SIGINT));
  }
  CHECK_FALSE(Caught(SIGINT));
  CHECK_FALSE(Caught(SIGTERM));
}

}  // namespace
}  // namespace faultline
