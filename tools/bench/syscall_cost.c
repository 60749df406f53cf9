// syscall_cost: what one system call that does nothing costs on this
// machine, for reading tools/bench/flagship.sh and tools/bench/proxy.sh.
// faultline's own CPU is mostly time in the kernel (connect, accept, send,
// epoll, the sampler's reads), so the price of entering the kernel scales
// it: a virtual machine that traps each system call to its host pays many
// times what bare metal pays. Prints the median and range of five rounds
// of 1,000,000 getppid() calls, in ns per call.
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int main(void) {
  enum { kRounds = 5, kCalls = 1000000 };
  double ns[kRounds];
  for (int r = 0; r < kRounds; r++) {
    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (int i = 0; i < kCalls; i++) syscall(SYS_getppid);  // not cached by libc
    clock_gettime(CLOCK_MONOTONIC, &end);
    double x = ((end.tv_sec - start.tv_sec) * 1e9 + (end.tv_nsec - start.tv_nsec)) / kCalls;
    int j = r;  // insertion: ns[0..r] stays sorted
    for (; j > 0 && ns[j - 1] > x; j--) ns[j] = ns[j - 1];
    ns[j] = x;
  }
  printf("null system call (getppid) %.0f ns median, %.0f..%.0f over %d rounds of %d\n",
         ns[kRounds / 2], ns[0], ns[kRounds - 1], kRounds, kCalls);
  return 0;
}
