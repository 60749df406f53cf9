#include "harness/run/external_ready.h"

#include "harness/common/text.h"

namespace faultline {
namespace {

constexpr auto kPoll = std::chrono::milliseconds(50);
constexpr auto kAttemptTimeout = std::chrono::seconds(1);

}  // namespace

ExternalReadiness::ExternalReadiness(asio::io_context& io, Clock& clock,
                                     const ExternalPlan& external,
                                     std::function<void(Status)> done)
    : io_(io), clock_(clock), external_(external), done_(std::move(done)),
      deadline_(clock.Now() + external.ready->timeout), poll_(clock.NewTimer()),
      attempt_timer_(clock.NewTimer()) {
  if (external_.ready->kind == Readiness::Kind::kHttp) {
    HttpRequest request;
    request.target = external_.ready->path;
    request.headers["Connection"] = "close";
    request_ = FormatHttpRequest(request, external_.host, external_.port);
  }
  clock_.After(*poll_, Duration(0), [this] { Attempt(); });
}

ExternalReadiness::~ExternalReadiness() {
  *alive_ = false;
  http_.reset();
  if (socket_) {
    boost::system::error_code ignored;
    socket_->close(ignored);
  }
}

void ExternalReadiness::Attempt() {
  const ReadyPlan& ready = *external_.ready;
  if (ready.kind == Readiness::Kind::kHttp) {
    HttpClientOptions options;
    options.host = external_.host;
    options.port = external_.port;
    options.timeout = kAttemptTimeout;
    options.reuse_connections = false;
    http_ = std::make_unique<HttpClient>(io_, clock_, options);
    const int want = ready.status;
    Status sent = http_->Send(request_, [this, want](const HttpResult& r) {
      asio::post(io_, [this, alive = std::weak_ptr<bool>(alive_), ok = r.ok() && r.status == want] {
        if (!alive.expired()) Attempted(ok);
      });
    });
    if (!sent.ok()) Attempted(false);
    return;
  }
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(external_.host, ec);
  if (ec) return Attempted(false);
  socket_ = std::make_unique<asio::ip::tcp::socket>(io_);
  clock_.After(*attempt_timer_, kAttemptTimeout, [this] {
    boost::system::error_code ignored;
    socket_->close(ignored);  // the connect ends with operation_aborted
  });
  socket_->async_connect(asio::ip::tcp::endpoint(address, external_.port),
                         [this, alive = std::weak_ptr<bool>(alive_)](boost::system::error_code e) {
                           if (alive.expired()) return;
                           attempt_timer_->Cancel();
                           boost::system::error_code ignored;
                           socket_->close(ignored);
                           Attempted(!e);
                         });
}

void ExternalReadiness::Attempted(bool ready) {
  if (ready) return done_(Status::Ok());
  if (clock_.Now() + kPoll >= deadline_) {
    const ReadyPlan& r = *external_.ready;
    const std::string probe =
        r.kind == Readiness::Kind::kHttp
            ? "http GET " + JoinHostPort(external_.host, external_.port) + r.path +
                  " for status " + std::to_string(r.status)
            : "tcp " + JoinHostPort(external_.host, external_.port);
    return done_(Status::Unavailable("external dependency " + Quote(external_.name) +
                                     " was not ready after " + FormatDuration(r.timeout) + " (" +
                                     probe + ")"));
  }
  clock_.After(*poll_, kPoll, [this] { Attempt(); });
}

}  // namespace faultline
