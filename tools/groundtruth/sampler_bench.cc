// sampler_bench PID [N]: the CPU cost of one sample of PID's tree, N samples
// each way, in ms of this thread's CPU (min median max):
//   new    what the sampler does each interval: a TreeReader kept across reads
//   fresh  a TreeReader made for each read (the first read of a run)
//   old    SampleProcessTree: every /proc/*/stat, every fd link, /proc/net/tcp
// and between them the parts of a fresh read (of the root process).
// Not a test: tools/bench/sampler.sh runs it against groundtruth.
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "harness/sampler/process_tree.h"
#include "harness/sampler/procfs.h"
#include "harness/sampler/sock_diag.h"

namespace {

double ThreadCpuMs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

template <typename Sample>
void Measure(const char* name, int n, Sample sample) {
  std::vector<double> ms;
  for (int i = 0; i < n; ++i) {
    const double before = ThreadCpuMs();
    if (!sample()) {
      std::fprintf(stderr, "sampler_bench: %s: the process is gone\n", name);
      std::exit(1);
    }
    ms.push_back(ThreadCpuMs() - before);
  }
  std::sort(ms.begin(), ms.end());
  std::printf("%-10s %8.3f %8.3f %8.3f\n", name, ms.front(), ms[ms.size() / 2], ms.back());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: sampler_bench PID [N]\n");
    return 2;
  }
  const pid_t pid = std::atoi(argv[1]);
  const int n = argc > 2 ? std::atoi(argv[2]) : 20;
  faultline::RealProcFs fs;
  const auto page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  if (auto s = faultline::ReadProcessTree(fs, pid, page)) {
    std::printf("# tree: processes=%lld threads=%lld fds=%lld established=%lld close_wait=%lld\n",
                static_cast<long long>(s->processes), static_cast<long long>(s->threads),
                static_cast<long long>(s->fds), static_cast<long long>(s->tcp_established),
                static_cast<long long>(s->tcp_close_wait));
  }
  std::printf("# CPU ms per sample    min   median      max\n");
  // The sampler keeps one TreeReader for the run: the first read walks the
  // tree and reads every fd link; later reads only what changed.
  faultline::TreeReader reader(fs, pid, page);
  Measure("first", 1, [&] { return reader.Read().has_value(); });
  int listings = 0;
  int readlinks = 0;
  int walks = 0;
  Measure("new", n, [&] {
    const bool ok = reader.Read().has_value();
    walks += reader.work().full_walk ? 1 : 0;
    listings += reader.work().fd_listings;
    readlinks += reader.work().readlinks;
    return ok;
  });
  std::printf("# the %d new reads: %d full walks, %d fd listings, %d readlinks\n", n, walks,
              listings, readlinks);
  Measure("fresh", n, [&] { return faultline::ReadProcessTree(fs, pid, page).has_value(); });
  // Where the new reads spend it (root process only).
  const std::string dir = std::to_string(pid);
  Measure("  stat", n, [&] { return fs.ReadFile(dir + "/stat").has_value(); });
  Measure("  fds", n, [&] { return fs.CountFds(pid).has_value(); });
  Measure("  cpu", n, [&] { return fs.CpuNanos(pid).has_value(); });
  Measure("  tasks", n, [&] { return !fs.ListDir(dir + "/task").empty(); });
  const auto tasks = fs.ListDir(dir + "/task");
  Measure("  children", n, [&] {
    for (const auto& tid : tasks) fs.ReadFile(dir + "/task/" + tid + "/children");
    return true;
  });
  Measure("  diag", n, [&] {
    return fs
        .TcpSockets(faultline::TcpStateBit(faultline::kTcpEstablished) |
                    faultline::TcpStateBit(faultline::kTcpCloseWait) |
                    faultline::TcpStateBit(faultline::kTcpListen))
        .has_value();
  });
  Measure("  inodes", n, [&] { return !fs.SocketInodes(pid).empty(); });
  Measure("old", n,
          [&] { return faultline::SampleProcessTree(fs, pid, sysconf(_SC_CLK_TCK)).has_value(); });
  return 0;
}
