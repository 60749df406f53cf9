// RunRecovering: the Runner's loop when a handler throws (a bug in
// faultline). The loop must run on, so that the variant under way can stop
// its processes and run its teardown commands, or stop at once when told.
#include "harness/run/runner.h"

#include <doctest/doctest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "harness/common/asio.h"

using namespace faultline;

TEST_CASE("a handler that throws ends only itself and the loop runs on while recover says so") {
  asio::io_context io;
  std::vector<std::string> seen;
  asio::post(io, [&] {
    seen.push_back("measure");
    throw std::runtime_error("boom");
  });
  asio::post(io, [&] { seen.push_back("teardown"); });
  RunRecovering(io, [&](const std::exception& ex) {
    seen.push_back(std::string("recover: ") + ex.what());
    asio::post(io, [&] { seen.push_back("stop processes"); });
    return true;
  });
  CHECK(seen == std::vector<std::string>{"measure", "recover: boom", "teardown", "stop processes"});
}

TEST_CASE("recover returning false leaves the rest of the loop's work undone") {
  asio::io_context io;
  std::vector<std::string> seen;
  asio::post(io, [&] { throw std::runtime_error("first"); });
  asio::post(io, [&] { throw std::runtime_error("second"); });
  asio::post(io, [&] { seen.push_back("never"); });
  int calls = 0;
  RunRecovering(io, [&](const std::exception& ex) {
    seen.push_back(ex.what());
    return ++calls < 2;
  });
  CHECK(seen == std::vector<std::string>{"first", "second"});
}
