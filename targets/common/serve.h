// How the C++ targets run as processes: one thread per connection, one
// request per connection, the system's listen queue, 127.0.0.1 only, and a
// prompt exit on SIGTERM/SIGINT even while requests are stuck.
#pragma once

#include <httplib.h>

#include <functional>

namespace faultline::targets {

/// Serves `server` on 127.0.0.1:`port` (0 picks a free port) with one thread
/// per connection, until SIGTERM or SIGINT; never returns.
///
/// Call it from main() before starting any thread: it blocks SIGTERM/SIGINT
/// so that one dedicated thread receives them. `announce(port)` runs once the
/// socket accepts connections; it should print the "listening" line (stdout
/// is flushed after it).
///
/// On a signal: stops accepting, gives connection threads up to 500 ms to
/// finish, then ends the process with status 0 through std::_Exit, so that
/// threads stuck on a hung dependency neither delay the exit nor run under
/// static destructors. Exits with status 1 if it cannot bind or accept.
[[noreturn]] void ServeUntilSignal(httplib::Server& server, int port,
                                   const std::function<void(int port)>& announce);

}  // namespace faultline::targets
