// groundtruth --step TIME:key=value,... [--step ...] [--hold DURATION]
// See groundtruth.h. Prints one line to stderr when each step is in place:
//   groundtruth: step 1 at 2.000s: threads=500 memory_mib=64 close_wait=0 established=0 fds=7
// and ends at --hold after the last step, or on SIGINT/SIGTERM.
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "tools/groundtruth/groundtruth.h"

namespace {

using Clock = std::chrono::steady_clock;

// Waits until `until` or a blocked SIGINT/SIGTERM; true when the time came.
bool WaitUntil(Clock::time_point until, const sigset_t& signals) {
  for (;;) {
    const auto left = until - Clock::now();
    if (left <= Clock::duration::zero()) return true;
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
    timespec ts{static_cast<time_t>(ns / 1000000000), static_cast<long>(ns % 1000000000)};
    if (sigtimedwait(&signals, nullptr, &ts) > 0) return false;  // EAGAIN/EINTR: check again
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"groundtruth: holds exactly the threads, memory, sockets and fds it is told to"};
  std::vector<std::string> step_texts;
  std::string hold_text;
  app.add_option("--step", step_texts,
                 "TIME:key=value,... with keys threads, memory (e.g. 64MiB), close_wait, "
                 "established (even), fds (total); repeatable")
      ->required();
  app.add_option("--hold", hold_text, "end this long after the last step (default: on a signal)");
  CLI11_PARSE(app, argc, argv);

  std::vector<faultline::groundtruth::Step> steps;
  for (const auto& t : step_texts) {
    auto s = faultline::groundtruth::ParseStep(t);
    if (!s.ok()) {
      std::fprintf(stderr, "groundtruth: %s\n", s.status().message().c_str());
      return 2;
    }
    steps.push_back(*s);
  }
  std::stable_sort(steps.begin(), steps.end(),
                   [](const auto& a, const auto& b) { return a.at < b.at; });
  std::optional<faultline::Duration> hold;
  if (!hold_text.empty()) {
    std::string why;
    hold = faultline::ParseDuration(hold_text, &why);
    if (!hold) {
      std::fprintf(stderr, "groundtruth: --hold: %s\n", why.c_str());
      return 2;
    }
  }

  // Signals are taken synchronously (sigtimedwait) so every wait is exact.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // before any thread: workers inherit it

  faultline::groundtruth::Holder holder;
  const auto start = Clock::now();
  for (size_t i = 0; i < steps.size(); ++i) {
    if (!WaitUntil(start + steps[i].at, signals)) return 0;
    faultline::Status s = holder.Apply(steps[i].state);
    if (!s.ok()) {
      std::fprintf(stderr, "groundtruth: step %zu: %s\n", i, s.message().c_str());
      return s.code() == faultline::Status::Code::kInvalid ? 2 : 3;
    }
    const double at = std::chrono::duration<double>(Clock::now() - start).count();
    std::fprintf(stderr, "groundtruth: step %zu at %.3fs: %s\n", i, at, holder.Describe().c_str());
    std::fflush(stderr);
  }
  const auto end = hold ? Clock::now() + *hold : Clock::time_point::max();
  WaitUntil(end, signals);
  return 0;
}
