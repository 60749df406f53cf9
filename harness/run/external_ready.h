// ExternalReadiness: waits for a dependency faultline does not start (one
// with an `address`) to answer its readiness probe: a TCP connect, or an
// HTTP GET answering the expected status, at the dependency's host and
// port. Polls every 50 ms, each attempt bounded to 1 s, until the probe
// succeeds or external.ready->timeout passes.
//
// Single-threaded, on the io_context's thread; timed by the Clock. `done`
// runs once, never inside the constructor, and never after destruction
// (which abandons the attempt under way).
#pragma once

#include <functional>
#include <memory>

#include "harness/common/asio.h"
#include "harness/common/clock.h"
#include "harness/common/http_client.h"
#include "harness/common/status.h"
#include "harness/run/bind.h"

namespace faultline {

class ExternalReadiness {
 public:
  /// `external.ready` must be set (kind tcp or http).
  ExternalReadiness(asio::io_context& io, Clock& clock, const ExternalPlan& external,
                    std::function<void(Status)> done);
  ~ExternalReadiness();
  ExternalReadiness(const ExternalReadiness&) = delete;
  ExternalReadiness& operator=(const ExternalReadiness&) = delete;

 private:
  void Attempt();
  void Attempted(bool ready);

  asio::io_context& io_;
  Clock& clock_;
  ExternalPlan external_;
  std::function<void(Status)> done_;
  TimePoint deadline_;
  std::unique_ptr<Timer> poll_, attempt_timer_;
  std::unique_ptr<asio::ip::tcp::socket> socket_;  // the TCP attempt under way
  std::unique_ptr<HttpClient> http_;              // the HTTP attempt under way
  std::string request_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace faultline
