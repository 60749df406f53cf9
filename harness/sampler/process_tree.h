// Reading a process tree's resource use cheaply: the cost follows the tree
// being measured, never the rest of the host.
//
//   tree     /proc/PID/task/TID/children of every thread (a child hangs off
//            the thread that forked it), from the root down
//   threads  num_threads of each process's own stat; rss from the same stat
//   fds      counted without readlink (ProcFs::CountFds)
//   CPU      each process's ns counter (ProcFs::CpuNanos)
//   TCP      one inet_diag dump of the sockets in ESTABLISHED, CLOSE_WAIT or
//            LISTEN (the kernel filters by state); the tree's fds are
//            readlink'ed only when that dump is not empty, and its sockets
//            are matched to the dump by inode: exact, and free when the
//            namespace holds no socket in those states.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "harness/sampler/procfs.h"

namespace faultline {

/// "12 345 \n" -> {12, 345}; a malformed field ends the list.
std::vector<pid_t> ParseChildren(std::string_view text);

/// Totals over `root` and its descendants; nullopt when `root` is gone.
/// `page_size` converts stat's rss pages (sysconf(_SC_PAGESIZE)).
/// cpu_seconds is from the ns counters.
std::optional<TreeSample> ReadProcessTree(ProcFs& fs, pid_t root, uint64_t page_size);

}  // namespace faultline
