// ApiServer: the control API (ToxiproxyApi) behind HTTP/1.1, on threads of
// its own: one accepts connections and reads their requests, head and body
// (poll, no thread per connection), a pool of kThreads parses and answers
// whole requests with cpp-httplib's request handling.
//
// Abuse: a connection must deliver a complete request head within
// kHeaderTimeout of being accepted (or of its previous answer: an idle
// keep-alive connection is closed after as long), a head of at most
// kMaxHeadBytes, and then its body (Content-Length) within 5 s; otherwise
// it is closed. A body above kMaxBodyBytes is read and dropped, and its
// request answered 413; a body without Content-Length (Transfer-Encoding)
// is answered 411 without being read, and its connection closed. Idle and
// slow clients so hold no worker thread and cannot hold off others; at most
// kMaxConnections are open at once, waiting or being answered (more are
// closed on accept).
//
// Bodies are JSON whatever their Content-Type (curl -d sends a form's).
//
// Threading: the proxies live on the caller's io_context; the server's
// threads never touch them. Each request is handed to the io_context's
// thread (asio::post), which runs ToxiproxyApi::Handle; the server thread
// waits for the answer and sends it. So the io_context must be running for
// requests to be answered.
//
// Stop() may be called from any thread, the io_context's included: requests
// still waiting for the io_context's thread are answered 503, none is
// handed to the API after Stop() returns, and it returns once the server's
// threads have ended (every connection is closed).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "harness/common/asio.h"
#include "harness/common/status.h"
#include "harness/proxyd/toxiproxy_api.h"

namespace httplib {
class Server;
}

namespace faultline {

class ApiServer {
 public:
  static constexpr int kThreads = 4;
  static constexpr std::chrono::seconds kHeaderTimeout{2};
  static constexpr size_t kMaxHeadBytes = 16 * 1024;
  static constexpr size_t kMaxBodyBytes = 1024 * 1024;
  static constexpr size_t kMaxConnections = 1024;

  /// `api` is used on `io`'s thread only, and must outlive the server.
  ApiServer(asio::io_context& io, ToxiproxyApi& api);
  ~ApiServer();  // Stop()
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  /// Binds host:port (port 0 = any free port) and starts serving.
  /// Unavailable, naming the address, when the bind fails.
  Status Listen(const std::string& host, uint16_t port);
  /// The bound port (0 before Listen succeeded).
  uint16_t port() const { return port_; }

  void Stop();

 private:
  struct Handoff;  // shared with requests in flight
  class Connections;  // the accepting thread and the workers (api_server.cc)
  asio::io_context& io_;
  std::shared_ptr<Handoff> handoff_;
  std::unique_ptr<httplib::Server> server_;
  std::unique_ptr<Connections> connections_;  // once listening
  uint16_t port_ = 0;
};

}  // namespace faultline
