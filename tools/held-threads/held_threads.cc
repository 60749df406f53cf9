// held-threads: a process whose threads wait forever in functions with known
// names, so a census can be checked against exact counts (harness/census).
//
//   held-threads POLL [CONDITION [READ [main-exits]]]
//
// starts POLL threads blocked in held::WaitInPoll (poll on a pipe),
// CONDITION in held::WaitOnCondition (a condition variable) and READ in
// held::WaitInRead (read on a pipe); each function is noinline and does work
// after its blocking call, so no tail call hides its frame. Once every one
// of them is inside its system call (/proc/self/task/TID/syscall), it prints
// "ready" and waits for its standard input to close, then exits. With
// `main-exits` the main thread then ends (pthread_exit) and another thread
// waits for the input: a process whose /proc/PID reads as a zombie while its
// other threads run.
#include <dirent.h>
#include <poll.h>
#include <pthread.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace held {

std::atomic<long> sink{0};
std::mutex mutex;
std::condition_variable condition;
bool released = false;

__attribute__((noinline)) void WaitInPoll(int fd) {
  pollfd p{fd, POLLIN, 0};
  int r = poll(&p, 1, -1);
  sink += r;
}

__attribute__((noinline)) void WaitOnCondition() {
  std::unique_lock<std::mutex> lock(mutex);
  condition.wait(lock, [] { return released; });
  sink += 1;
}

__attribute__((noinline)) void WaitInRead(int fd) {
  char c = 0;
  ssize_t r = read(fd, &c, 1);
  sink += r;
}

}  // namespace held

namespace {

long Arg(int argc, char** argv, int i) { return i < argc ? std::strtol(argv[i], nullptr, 10) : 0; }

// Threads of this process, other than `main_tid`, inside a system call.
long ThreadsInSyscall(pid_t main_tid) {
  long n = 0;
  std::unique_ptr<DIR, int (*)(DIR*)> dir(opendir("/proc/self/task"), &closedir);
  if (!dir) return 0;
  while (dirent* e = readdir(dir.get())) {
    long tid = std::strtol(e->d_name, nullptr, 10);
    if (tid <= 0 || tid == main_tid) continue;
    std::ifstream in(std::string("/proc/self/task/") + e->d_name + "/syscall");
    std::string first;
    in >> first;
    if (!first.empty() && first != "running" && first[0] != '-') ++n;
  }
  return n;
}

}  // namespace

int main(int argc, char** argv) {
  long poll_n = Arg(argc, argv, 1), condition_n = Arg(argc, argv, 2), read_n = Arg(argc, argv, 3);
  int never[2];
  if (pipe(never) != 0) return 1;
  std::vector<std::thread> threads;
  for (long i = 0; i < poll_n; ++i) threads.emplace_back(held::WaitInPoll, never[0]);
  for (long i = 0; i < condition_n; ++i) threads.emplace_back(held::WaitOnCondition);
  for (long i = 0; i < read_n; ++i) threads.emplace_back(held::WaitInRead, never[0]);
  // Bounded: every thread reaches its call within 30 s or this gives up.
  pid_t self = gettid();
  long total = poll_n + condition_n + read_n;
  for (int i = 0; ThreadsInSyscall(self) < total; ++i) {
    if (i == 30000) {
      std::fprintf(stderr, "held-threads: threads not all blocked after 30 s\n");
      return 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  std::printf("ready %d\n", static_cast<int>(getpid()));
  std::fflush(stdout);
  auto wait_for_input_end = [] {
    char c;
    while (read(0, &c, 1) > 0) {
    }
    std::_Exit(0);  // the held threads are never released
  };
  if (argc > 4 && std::string(argv[4]) == "main-exits") {
    std::thread(wait_for_input_end).detach();
    for (std::thread& t : threads) t.detach();  // pthread_exit unwinds main: no joinable left
    pthread_exit(nullptr);
  }
  wait_for_input_end();
}
