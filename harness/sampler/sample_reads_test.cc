#include "harness/sampler/sample_reads.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <boost/asio/steady_timer.hpp>

#include "harness/sampler/sampler.h"

using namespace faultline;
using namespace std::chrono_literals;

TEST_CASE("ThreadReads reads off the loop and finishes on it") {
  asio::io_context io;
  ThreadReads reads(io);
  std::thread::id read_on;
  std::thread::id done_on;
  reads.Run([&] { read_on = std::this_thread::get_id(); },
            [&] {
              done_on = std::this_thread::get_id();
              io.stop();
            });
  io.run_for(10s);
  CHECK(read_on != std::thread::id());
  CHECK(read_on != std::this_thread::get_id());
  CHECK(done_on == std::this_thread::get_id());
}

TEST_CASE("ThreadReads runs a finished done inside Stop and none after") {
  asio::io_context io;
  ThreadReads reads(io);
  bool done = false;
  std::mutex m;
  std::condition_variable cv;
  bool read = false;
  reads.Run(
      [&] {
        std::lock_guard lock(m);
        read = true;
        cv.notify_one();
      },
      [&] { done = true; });
  {
    std::unique_lock lock(m);
    REQUIRE(cv.wait_for(lock, 10s, [&] { return read; }));
  }
  reads.Stop();  // the done may be posted and not run yet: Stop runs it
  CHECK(done);
  done = false;
  io.run_for(100ms);  // the post finds nothing left to run
  CHECK_FALSE(done);
  reads.Run([] { FAIL("read after Stop"); }, [] { FAIL("done after Stop"); });
  io.run_for(50ms);
}

TEST_CASE("the sampler on its own thread samples this process with true times") {
  asio::io_context io;
  AsioClock clock(io);
  RealProcFs procfs;
  SamplerOptions options;
  options.pid = ::getpid();
  options.interval = 20ms;
  options.epoch = clock.Now();
  std::vector<std::pair<double, SampleRow>> rows;
  Sampler sampler(clock, procfs, std::make_unique<ThreadReads>(io), options, nullptr,
                  [&](double t, const SampleRow& row) {
                    rows.emplace_back(t, row);
                    if (rows.size() == 3) io.stop();
                  });
  sampler.Start();
  CHECK(rows.empty());  // nothing is read on the caller's thread
  io.run_for(10s);
  sampler.Stop();
  REQUIRE(rows.size() == 3);
  for (const auto& [t, row] : rows) {
    CHECK(row.at("threads") >= 2);  // this thread and the reads' thread
    CHECK(row.at("sample_ms") >= 0);
    CHECK(row.at("fds") >= 3);
  }
  CHECK(rows[1].first > 0.0);
  CHECK(rows[1].first != 0.02);  // the time taken, not the slot (equal only by a 1 in 10^9 chance)
  CHECK(rows[2].second.count("cpu_percent") == 1);
}
