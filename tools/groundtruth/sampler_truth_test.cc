// The real sampler against groundtruth, a child holding known threads,
// memory, fds and sockets: each reading within 2 % of the truth, and a step
// change seen by the first sample taken after it (within one interval).
#include <doctest/doctest.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "harness/sampler/process_tree.h"
#include "harness/sampler/sampler.h"
#include "tools/groundtruth/groundtruth.h"

extern char** environ;

using namespace faultline;
using namespace std::chrono_literals;

namespace {

// groundtruth as a child; its stderr is read line by line. Killed at the end.
class Child {
 public:
  explicit Child(const std::vector<std::string>& steps) {
    int fds[2];
    REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], 2);
    std::vector<std::string> args{FAULTLINE_GROUNDTRUTH, "--hold", "60s"};
    for (const auto& s : steps) args.insert(args.end(), {"--step", s});
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    REQUIRE(posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ) == 0);
    posix_spawn_file_actions_destroy(&actions);
    ::close(fds[1]);
    err_ = fds[0];
  }
  ~Child() {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    ::close(err_);
  }
  pid_t pid() const { return pid_; }
  // Waits (at most 20 s) for "groundtruth: step N at"; returns when it was seen.
  TimePoint WaitStep(int n) {
    const std::string want = "groundtruth: step " + std::to_string(n) + " at";
    const auto deadline = SteadyClock::now() + 20s;
    while (buffer_.find(want) == std::string::npos) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
      REQUIRE(left.count() > 0);
      pollfd p{err_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      char buf[512];
      ssize_t r = ::read(err_, buf, sizeof buf);
      REQUIRE(r > 0);
      buffer_.append(buf, static_cast<size_t>(r));
    }
    return SteadyClock::now();
  }

 private:
  pid_t pid_ = 0;
  int err_ = -1;
  std::string buffer_;
};

void CheckWithin2Percent(double got, double want) {
  CHECK(got >= want * 0.98);
  CHECK(got <= want * 1.02);
}

}  // namespace

TEST_CASE("the sampler reads groundtruth within 2 percent") {
  Child gt(
      {"0s:threads=1", "1s:memory=64MiB", "2s:threads=200,fds=400,close_wait=30,established=40"});
  RealProcFs fs;
  const auto page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  // One reader across the steps, as the sampler keeps it: later reads see
  // only what changed, and must still see all of it.
  TreeReader reader(fs, gt.pid(), page);
  gt.WaitStep(0);
  auto before = reader.Read();
  REQUIRE(before);
  CHECK(before->threads == 1);
  gt.WaitStep(1);
  auto grown = reader.Read();
  REQUIRE(grown);
  if (groundtruth::kRssIsTouchedMemory) {
    CheckWithin2Percent(static_cast<double>(grown->rss_bytes - before->rss_bytes),
                        64.0 * 1024 * 1024);
  } else {
    MESSAGE("sanitizer build: RSS includes the runtime's shadow, memory not compared");
  }
  gt.WaitStep(2);
  auto after = reader.Read();
  REQUIRE(after);
  CheckWithin2Percent(static_cast<double>(after->threads), 200);
  CheckWithin2Percent(static_cast<double>(after->fds), 400);
  CheckWithin2Percent(static_cast<double>(after->tcp_close_wait), 30);
  CheckWithin2Percent(static_cast<double>(after->tcp_established), 40);
  CHECK(after->processes == 1);
}

TEST_CASE("the running sampler sees a groundtruth step within one interval") {
  Child gt({"0s:threads=1", "1s:threads=100,fds=300,close_wait=20,established=10"});
  gt.WaitStep(0);
  asio::io_context io;
  AsioClock clock(io);
  RealProcFs fs;
  SamplerOptions options;
  options.pid = gt.pid();
  options.interval = 100ms;
  options.epoch = clock.Now();
  std::mutex mutex;
  std::vector<std::pair<TimePoint, SampleRow>> rows;
  Sampler sampler(clock, fs, std::make_unique<ThreadReads>(io), options, nullptr,
                  [&](double t, const SampleRow& row) {
                    std::lock_guard lock(mutex);
                    rows.emplace_back(options.epoch + FromSeconds(t), row);
                  });
  sampler.Start();
  auto guard = asio::make_work_guard(io);
  std::thread loop([&] { io.run_for(30s); });
  const TimePoint seen = gt.WaitStep(1);
  const auto deadline = SteadyClock::now() + 10s;
  std::optional<std::pair<TimePoint, SampleRow>> first_after;
  while (!first_after && SteadyClock::now() < deadline) {
    {
      std::lock_guard lock(mutex);
      for (const auto& r : rows) {
        if (r.first >= seen) {
          first_after = r;
          break;
        }
      }
    }
    if (!first_after) std::this_thread::sleep_for(10ms);  // polling a result, not synchronising
  }
  asio::post(io, [&] {
    sampler.Stop();
    io.stop();
  });
  loop.join();
  REQUIRE(first_after);
  CHECK(first_after->first - seen <= options.interval);
  const SampleRow& row = first_after->second;
  CheckWithin2Percent(row.at("threads"), 100);
  CheckWithin2Percent(row.at("fds"), 300);
  CheckWithin2Percent(row.at("close_wait"), 20);
  CheckWithin2Percent(row.at("established"), 10);
}
