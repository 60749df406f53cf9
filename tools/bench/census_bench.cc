// census_bench: the pause a native census costs (tools/bench/census.sh).
//
//   census_bench --held-threads PATH --threads N [--rounds R]
//       starts held-threads with N threads in held::WaitInPoll, takes R
//       censuses of it and prints the pause and the whole census time of each;
//   census_bench --pid PID
//       takes one census of PID's tree and prints its groups (an eu-stack
//       for a whole process tree, grouped).
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>

#include "harness/census/held_threads_process.h"
#include "harness/census/native_census.h"

namespace {

void PrintGroups(const faultline::Census& c) {
  for (const faultline::CensusGroup& g : c.groups) {
    std::printf("%llu threads  state %s  syscall %s\n", static_cast<unsigned long long>(g.count),
                g.state.c_str(), g.syscall.empty() ? "-" : g.syscall.c_str());
    for (const std::string& f : g.frames) std::printf("    %s\n", f.c_str());
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"census_bench: the pause of a native census"};
  std::string held_threads;
  long threads = 1000;
  int rounds = 3;
  int pid = 0;
  app.add_option("--held-threads", held_threads, "path of the held-threads tool");
  app.add_option("--threads", threads, "threads to hold");
  app.add_option("--rounds", rounds, "censuses to take");
  app.add_option("--pid", pid, "take one census of this process tree and print it");
  CLI11_PARSE(app, argc, argv);

  if (pid > 0) {
    faultline::Census c = faultline::TakeNativeCensus(pid);
    std::printf("%llu threads, paused %.3f s%s%s\n", static_cast<unsigned long long>(c.total),
                c.pause_s, c.partial ? ", partial: " : "", c.reason.c_str());
    PrintGroups(c);
    return 0;
  }
  faultline::testing::HeldThreads held(held_threads, threads, 0, 0);
  if (!held.ok()) {
    std::fprintf(stderr, "census_bench: %s did not get %ld threads ready\n", held_threads.c_str(),
                 threads);
    return 1;
  }
  double worst = 0;
  for (int i = 0; i < rounds; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    faultline::Census c = faultline::TakeNativeCensus(held.pid());
    double all_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    worst = std::max(worst, c.pause_s);
    std::printf("census %d: %llu threads, %zu groups, top group %llu, paused %.3f s, "
                "census %.3f s%s%s\n",
                i + 1, static_cast<unsigned long long>(c.total), c.groups.size(),
                static_cast<unsigned long long>(c.groups.empty() ? 0 : c.groups[0].count),
                c.pause_s, all_s, c.partial ? ", partial: " : "", c.reason.c_str());
    if (i == 0 && threads <= 10) PrintGroups(c);
  }
  std::printf("worst pause for %ld threads: %.3f s\n", threads + 1, worst);
  return 0;
}
