// Finding a process faultline did not start: the target of `target.attach`
// (by local port, pid or pid file), and the process holding a port a fixed
// fault proxy could not bind. Reads only: nothing here signals a process.
//
// The listening sockets come from /proc/net/tcp and /proc/net/tcp6 (a
// one-off lookup, not a sampled path), their owners from every visible
// process's fds; all of it through the ProcFs seam, so the lookups are
// tested on a FakeProcFs. A process of another user, or one in a container's
// own pid namespace, may hold a socket without being visible here; the
// messages say so.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "harness/common/status.h"
#include "harness/run/bind.h"
#include "harness/sampler/procfs.h"

namespace faultline {

/// The processes holding a listening TCP socket (IPv4 or IPv6, any local
/// address) on `port`. A process whose parent is also listed is left out,
/// so a pre-forking server counts once (its parent). *sockets, when given,
/// receives how many listening sockets on `port` were found, owned or not.
std::vector<pid_t> PortHolders(ProcFs& fs, uint16_t port, size_t* sockets = nullptr);

/// "pid 123 (orders-service)", or "pid 123" when its name cannot be read.
std::string DescribePid(ProcFs& fs, pid_t pid);

/// ", held by pid 123 (redis-server)", ", held by pid 1 (a), pid 2 (b)",
/// or "" when no visible process holds `port`.
std::string PortHolderText(ProcFs& fs, uint16_t port);

/// "" when `root` or a process below it holds a socket listening where a
/// connection to `host`:`port` (the load's) arrives; otherwise a warning
/// that the load goes elsewhere, naming who listens there, if anyone, or
/// that the tree listens on that port at another address. A front such as
/// nginx on the load's port with the attached service behind it is a
/// legitimate set-up: a warning. Also a warning when root's open files
/// cannot be read (another user's process): nothing can be told.
std::string LoadPortWarning(ProcFs& fs, pid_t root, const std::string& host, uint16_t port);

/// Why a readiness probe of 127.0.0.1:`port` cannot succeed, when `root`
/// or a process below it listens on `port` only at other addresses (a
/// server on ::1 only): "pid 12 (python3) listens on port 8080 at ::1 only,
/// and faultline connects to 127.0.0.1: bind it to ..."; "" otherwise.
std::string ReadyAddressHint(ProcFs& fs, pid_t root, uint16_t port);

/// The one live process `attach` names. Unavailable otherwise, naming what
/// was looked for and what was found: "attach to the process listening on
/// port 8080: 2 processes listen on it: pid 123 (orders), pid 456 (orders)".
StatusOr<pid_t> FindAttached(ProcFs& fs, const AttachPlan& attach);

}  // namespace faultline
