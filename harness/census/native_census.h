// The native census: stops every thread of a process tree, unwinds its
// user-space stack with elfutils' libdw (CFI from .eh_frame/.debug_frame, so
// frame-pointer-less -O2 code unwinds), and groups identical stacks.
//
//   1. the tree: `root` and its descendants (/proc/PID/task/TID/children);
//      each process's modules are reported (/proc/PID/maps) before any
//      thread stops;
//   2. per thread, before it stops: its state (/proc/PID/task/TID/stat) and
//      syscall (/proc/PID/task/TID/syscall);
//   3. per process: every thread is seized and interrupted (PTRACE_SEIZE,
//      PTRACE_INTERRUPT), each stop waited for (at most `stop_timeout` for
//      all), each stopped thread unwound (raw addresses only), then every
//      thread detached (a signal caught in the stop is passed on). Names
//      and file:line are looked up after the detach, so the pause covers
//      only the unwinding. pause_s is the sum over processes of the time
//      from the first seize to the last detach.
//
// Detaching on every path: the threads are detached by an RAII guard, and
// all ptrace calls run on a thread this call creates and joins; a thread
// stop that arrives late (after the timeout) is undone by the kernel when
// that tracer thread exits. If the harness dies mid-census the kernel
// detaches every tracee too. So no census leaves the target stopped.
//
// Never fails: what could not be seen makes the census partial, with the
// reason (ptrace refused, with kernel.yama.ptrace_scope when set; threads
// that exited mid-census; stacks that could not be unwound; modules without
// symbols). Threads that could not be stopped are still counted, in a group
// with their state and syscall and no frames.
//
// Blocking (about 1 s for 1,000 threads); call it off the event loop.
// Thread-safe: censuses share nothing.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>

#include "harness/result/census.h"

namespace faultline {

struct NativeCensusOptions {
  size_t max_frames = 256;                           // deeper stacks are cut (partial)
  std::chrono::milliseconds stop_timeout{2000};      // per process: threads not stopped by
                                                     // then are counted without a stack
  // The whole census (about 70 ms a process): the processes not reached by
  // then have their threads counted without a stack (partial), so a tree of
  // hundreds of pre-forked workers cannot hold the run's end for minutes.
  std::chrono::milliseconds budget{15000};
  // For tests: called on the tracing thread with each process's pid when its
  // threads have been seized and interrupted (before the stops are waited
  // for), and again when they have stopped (before they are unwound).
  enum class Moment { kSeized, kStopped };
  std::function<void(pid_t, Moment)> hook;
};

/// A census of `root` and its descendants; source "native", `at` and `t_s`
/// left for the caller.
Census TakeNativeCensus(pid_t root, const NativeCensusOptions& options = {});

}  // namespace faultline
