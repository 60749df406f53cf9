// syscall_cost: what one system call that does nothing costs on this
// machine, for reading tools/bench/flagship.sh and tools/bench/proxy.sh.
// faultline's own CPU is mostly time in the kernel (connect, accept, send,
// epoll, the sampler's reads), so the price of entering the kernel scales
// it: a virtual machine that traps each system call to its host pays many
// times what bare metal pays. Prints the median and range of five rounds
// of 1,000,000 getppid() calls, in ns per call.
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static int by_value(const void* a, const void* b) {
  double x = *(const double*)a, y = *(const double*)b;
  return x < y ? -1 : x > y;
}

int main(void) {
  enum { kRounds = 5, kCalls = 1000000 };
  double ns[kRounds];
  for (int r = 0; r < kRounds; r++) {
    long long start = now_ns();
    for (int i = 0; i < kCalls; i++) syscall(SYS_getppid);  // not cached by libc
    ns[r] = (double)(now_ns() - start) / kCalls;
  }
  qsort(ns, kRounds, sizeof *ns, by_value);
  printf("null system call (getppid) %.0f ns median, %.0f..%.0f over %d rounds of %d\n",
         ns[kRounds / 2], ns[0], ns[kRounds - 1], kRounds, kCalls);
  return 0;
}
