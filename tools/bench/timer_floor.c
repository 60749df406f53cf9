// timer_floor: the loop lag a thread that does nothing else sees on this
// machine, as a floor for tools/bench/flagship.sh. It sleeps to absolute
// 10 ms deadlines (clock_nanosleep, TIMER_ABSTIME) and records how late it
// woke; per 100 ms window it keeps the worst lateness, the way faultline's
// loop_lag_ms does (a 10 ms probe, the worst per sample), and prints the
// windows' p50, p99 and max in ms, nearest rank; then, on a second line,
// the p50 and p99 of every single wake-up's lateness (what a 10 ms delay
// timer, such as the proxy's latency fault, pays on this machine).
//
//   timer_floor WINDOWS [rr]   (rr: SCHED_RR priority 1, as faultline's
//                               event loop when it may; else as it is)
//
// Whatever this prints is the machine's (timer slack, virtual CPUs
// descheduled by the host), not faultline's.
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static long long now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static int by_value(const void* a, const void* b) {
  long long x = *(const long long*)a, y = *(const long long*)b;
  return x < y ? -1 : x > y;
}

static double rank_ms(const long long* sorted, int n, int p) {
  int i = (p * n + 99) / 100 - 1;  // nearest rank
  return sorted[i < 0 ? 0 : i] / 1e6;
}

int main(int argc, char** argv) {
  int windows = argc > 1 ? atoi(argv[1]) : 0;
  if (windows <= 0 || windows > 100000) {
    fprintf(stderr, "usage: timer_floor WINDOWS [rr]\n");
    return 2;
  }
  const char* policy = "as started";
  if (argc > 2 && strcmp(argv[2], "rr") == 0) {
    struct sched_param p = {.sched_priority = 1};
    policy = sched_setscheduler(0, SCHED_RR, &p) == 0 ? "SCHED_RR 1" : "as started (no SCHED_RR)";
  }
  long long* worst = calloc((size_t)windows, sizeof *worst);
  long long* each = calloc((size_t)windows * 10, sizeof *each);
  if (worst == NULL || each == NULL) return 1;
  long long next = now_ns();
  for (int w = 0; w < windows; w++) {
    for (int i = 0; i < 10; i++) {
      next += 10000000LL;
      struct timespec due = {.tv_sec = next / 1000000000LL, .tv_nsec = next % 1000000000LL};
      clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &due, NULL);
      long long late = now_ns() - next;
      each[w * 10 + i] = late;
      if (late > worst[w]) worst[w] = late;
    }
  }
  qsort(worst, (size_t)windows, sizeof *worst, by_value);
  printf("%s p50 %.3f p99 %.3f max %.3f\n", policy, rank_ms(worst, windows, 50),
         rank_ms(worst, windows, 99), rank_ms(worst, windows, 100));
  qsort(each, (size_t)windows * 10, sizeof *each, by_value);
  printf("each wake-up p50 %.3f p99 %.3f\n", rank_ms(each, windows * 10, 50),
         rank_ms(each, windows * 10, 99));
  free(each);
  free(worst);
  return 0;
}
