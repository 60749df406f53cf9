// stub-dependency: a stand-in for any HTTP dependency, whose answer you set
// on the command line: every path and method gets `status` after `latency`,
// with a body of `body_size` bytes. /healthz always answers 200 at once, so
// a supervisor can tell it is up even when it is configured to be slow.
//
// One thread, event-driven (Asio, Beast's request parser): the latency is a
// timer, an idle connection costs nothing, and the listen queue is the
// system's. The stub is not what a scenario measures, so it must not
// compete with what is: a thread per connection in cpp-httplib 0.11 polls
// every idle connection every 10 ms, and under a `hang` (connections the
// proxy opens and never sends on) the old stub held 667 such threads and
// burned more CPU than the target at 400 requests/s.
//
// HTTP/1.1 keep-alive as the client asks; a connection idle for
// `idle_timeout` is closed, as real servers do. A request it cannot parse
// gets 400 and a close.
#pragma once

#include <cstdint>
#include <memory>

#include "harness/common/asio.h"
#include "harness/common/units.h"

namespace faultline::stub {

struct Options {
  Duration latency = Duration::zero();              // wait before answering
  int status = 200;                                 // HTTP status of every answer
  uint64_t body_size = 64;                          // bytes of body ('x's, text/plain)
  Duration idle_timeout = std::chrono::seconds(5);  // close a connection idle this long
};

/// Serves on 127.0.0.1 through `io` (run by one thread) until destroyed or
/// until `io` stops. Create and destroy it on that thread, or while `io`
/// is not running.
class StubServer {
 public:
  /// Listens on 127.0.0.1:`port` (0: any free port); throws
  /// boost::system::system_error when it cannot.
  StubServer(asio::io_context& io, const Options& options, uint16_t port);
  ~StubServer();
  StubServer(const StubServer&) = delete;
  StubServer& operator=(const StubServer&) = delete;

  uint16_t port() const { return port_; }

 private:
  class Connection;
  void Accept();

  asio::io_context& io_;
  tcp::acceptor acceptor_;
  std::shared_ptr<const Options> options_;
  std::shared_ptr<const std::string> body_;  // built once, shared by every answer
  uint16_t port_ = 0;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);  // see Accept()
};

}  // namespace faultline::stub
