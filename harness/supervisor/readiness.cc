// Supervisor: readiness. The ready-made probes (TCP connect, HTTP status
// through HttpClient, a log line) and WaitReady, which polls one until the
// child is ready, exits, or the wait times out.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "harness/common/http_client.h"
#include "harness/common/text.h"
#include "harness/supervisor/supervisor.h"
#include "harness/supervisor/supervisor_impl.h"

namespace faultline {
namespace {

using boost::system::error_code;

constexpr auto kPollInterval = std::chrono::milliseconds(50);
// Each probe attempt has its own deadline so that a server that accepts and
// never answers cannot wedge readiness polling. An HTTP attempt that ran out
// of it gives the next one twice as long, up to kMaxAttemptTimeout, so a
// health check that takes 1.3 s on a loaded machine passes (within the
// wait's own ready.timeout).
constexpr auto kAttemptTimeout = std::chrono::seconds(1);
constexpr auto kMaxAttemptTimeout = std::chrono::seconds(16);

struct TcpProbeFn {
  asio::io_context* io;
  uint16_t port;
  // What the last failed attempt got, for the timeout's message.
  std::shared_ptr<std::string> last_seen = std::make_shared<std::string>();

  std::string Describe() const { return "tcp 127.0.0.1:" + std::to_string(port); }

  void operator()(std::function<void(bool)> cb) const {
    struct Attempt {
      explicit Attempt(asio::io_context& io) : socket(io), timer(io) {}
      tcp::socket socket;
      asio::steady_timer timer;
    };
    auto a = std::make_shared<Attempt>(*io);
    a->timer.expires_after(kAttemptTimeout);
    a->timer.async_wait([a](error_code ec) {
      error_code ignored;
      if (!ec) a->socket.close(ignored);
    });
    tcp::endpoint endpoint(asio::ip::address_v4::loopback(), port);
    a->socket.async_connect(endpoint, [a, cb = std::move(cb), last = last_seen](error_code ec) {
      a->timer.cancel();
      error_code ignored;
      a->socket.close(ignored);
      if (ec) {
        *last = ec == asio::error::operation_aborted
                    ? "connect: timed out after " + FormatDuration(kAttemptTimeout)
                    : "connect: " + ec.message();
      }
      cb(!ec);
    });
  }
};

struct HttpProbeFn {
  asio::io_context* io;
  Clock* clock;
  uint16_t port;
  std::string path;
  int status;
  std::shared_ptr<std::string> last_seen = std::make_shared<std::string>();
  std::shared_ptr<Duration> attempt_timeout = std::make_shared<Duration>(kAttemptTimeout);

  std::string Describe() const {
    return "http GET 127.0.0.1:" + std::to_string(port) + path + " for status " +
           std::to_string(status);
  }

  void operator()(std::function<void(bool)> cb) const {
    // One connection per attempt, owned by the attempt's own callback, so a
    // probe may be called on a temporary and still report.
    struct Attempt {
      Attempt(asio::io_context& io, Clock& clock, uint16_t port, const std::string& path,
              Duration timeout)
          : client(io, clock, Options(port, timeout)), request(Request(port, path)),
            start(clock.Now()) {}
      static HttpClientOptions Options(uint16_t port, Duration timeout) {
        HttpClientOptions options;
        options.port = port;
        options.timeout = timeout;
        options.reuse_connections = false;
        return options;
      }
      static std::string Request(uint16_t port, const std::string& path) {
        HttpRequest request;
        request.target = path;
        request.headers["Connection"] = "close";
        return FormatHttpRequest(request, "127.0.0.1", port);
      }
      HttpClient client;
      std::string request;
      TimePoint start;
    };
    auto a = std::make_shared<Attempt>(*io, *clock, port, path, *attempt_timeout);
    const int want = status;
    Status sent = a->client.Send(a->request, [a, cb, want, last = last_seen, c = clock,
                                              timeout = attempt_timeout](const HttpResult& r) {
      *last = a->client.Describe(r);
      const bool ready = r.ok() && r.status == want;
      if (!ready && c->Now() - a->start >= *timeout)
        *timeout = std::min<Duration>(*timeout * 2, kMaxAttemptTimeout);
      cb(ready);
    });
    if (!sent.ok()) {
      *last_seen = sent.message();
      cb(false);
    }
  }
};

// It resolves the child's log path on each attempt, so
// it may be made before the child starts, and follows a restart (new file).
struct LogProbeFn {
  const std::vector<std::shared_ptr<Child>>* children;  // Impl's; valid while `alive`
  std::weak_ptr<bool> alive;
  std::string name;
  std::string needle;
  struct State {
    std::string path;
    off_t offset = 0;
    std::string carry;  // the unfinished last line
  };
  std::shared_ptr<State> state = std::make_shared<State>();

  std::string Describe() const { return "log line containing " + Quote(needle); }

  void operator()(std::function<void(bool)> cb) const { cb(Scan()); }

  bool Scan() const {
    if (alive.expired()) return false;
    std::shared_ptr<Child> child;
    for (const auto& c : *children) {
      if (c->spec.name == name) child = c;  // the latest start
    }
    if (!child) return false;
    State& s = *state;
    if (s.path != child->spec.log_path) {  // first use, or a new start with another log
      s = State();
      s.path = child->spec.log_path;
    }
    int fd = open(s.path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    struct stat st {};
    if (fstat(fd, &st) == 0 && st.st_size < s.offset) {  // truncated: a new start
      s.offset = 0;
      s.carry.clear();
    }
    bool found = false;
    char buf[65536];
    // Up to kScanBudget of scanning per attempt (the loop waits meanwhile,
    // but only startup is under way then): at memory speed that keeps
    // up with a process printing hundreds of MB/s before its ready line (a
    // fixed 4 MiB per attempt fell behind at 80 MB/s and missed the line).
    constexpr auto kScanBudget = std::chrono::milliseconds(20);
    const auto scan_until = std::chrono::steady_clock::now() + kScanBudget;
    for (int chunk = 0; !found; ++chunk) {
      if (chunk % 16 == 15 && std::chrono::steady_clock::now() > scan_until) break;
      ssize_t n = pread(fd, buf, sizeof buf, s.offset);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      s.offset += n;
      s.carry.append(buf, static_cast<size_t>(n));
      size_t line_start = 0;
      for (size_t nl; (nl = s.carry.find('\n', line_start)) != std::string::npos;
           line_start = nl + 1) {
        if (std::string_view(s.carry).substr(line_start, nl - line_start).find(needle) !=
            std::string_view::npos) {
          found = true;
          break;
        }
      }
      s.carry.erase(0, line_start);
    }
    // A line still being written counts too (a program may print its banner
    // without a newline). Bound the carry so a log without newlines cannot grow it.
    if (!found && s.carry.find(needle) != std::string::npos) found = true;
    if (s.carry.size() > 65536) s.carry.erase(0, s.carry.size() - needle.size());
    close(fd);
    return found;
  }
};


}  // namespace

void Supervisor::Impl::FinishWait(const std::shared_ptr<ReadyWait>& w, Status status) {
  if (w->finished) return;
  w->finished = true;
  w->poll.cancel();
  w->deadline.cancel();
  auto done = std::move(w->done);
  waits_.remove(w);
  done(std::move(status));
}

void Supervisor::Impl::Attempt(const std::shared_ptr<ReadyWait>& w) {
  std::weak_ptr<ReadyWait> weak = w;
  w->probe([this, weak](bool ready) {
    auto w = weak.lock();  // waits die only with *this
    if (!w || w->finished) return;
    if (ready) return FinishWait(w, Status::Ok());
    w->poll.expires_after(kPollInterval);
    w->poll.async_wait([this, weak](error_code ec) {
      auto w = weak.lock();
      if (!w || ec || w->finished) return;
      Attempt(w);
    });
  });
}

void Supervisor::WaitReady(const std::string& name, Probe probe, Duration timeout,
                           std::function<void(Status)> done,
                           std::function<std::string()> explain) {
  auto child = impl_->Find(name);
  if (!child) {
    asio::post(impl_->io_, [done = std::move(done), name] {
      done(Status::Unavailable("wait for " + Quote(name) + ": no such child"));
    });
    return;
  }
  auto w = std::make_shared<ReadyWait>(impl_->io_);
  w->name = name;
  w->probe = std::move(probe);
  w->timeout = timeout;
  w->done = std::move(done);
  w->explain = std::move(explain);
  if (auto* f = w->probe.target<TcpProbeFn>()) {
    w->probe_description = f->Describe();
    w->last_seen = f->last_seen;
  }
  if (auto* f = w->probe.target<HttpProbeFn>()) {
    w->probe_description = f->Describe();
    w->last_seen = f->last_seen;
  }
  if (auto* f = w->probe.target<LogProbeFn>()) w->probe_description = f->Describe();
  impl_->waits_.push_back(w);

  Impl* impl = impl_.get();
  std::weak_ptr<ReadyWait> weak = w;
  std::weak_ptr<Child> weak_child = child;
  auto exited = [impl, weak, weak_child] {
    auto w = weak.lock();
    auto c = weak_child.lock();
    if (!w || !c || w->finished) return;
    impl->FinishWait(w, Status::Unavailable(Quote(w->name) + " " + c->exit.Describe() +
                                            " before it was ready; " + impl->LogContext(*c)));
  };
  if (child->exited) {
    asio::post(impl_->io_, exited);
    return;
  }
  child->exit_listeners.push_back(exited);
  w->deadline.expires_after(timeout);
  w->deadline.async_wait([impl, weak, weak_child](error_code ec) {
    auto w = weak.lock();
    auto c = weak_child.lock();
    if (!w || !c || ec || w->finished) return;
    // "(http GET ... for status 200; the last attempt got HTTP 404)"
    std::string probe = w->probe_description;
    if (w->last_seen && !w->last_seen->empty())
      probe += (probe.empty() ? "" : "; ") + ("the last attempt got " + *w->last_seen);
    if (!probe.empty()) probe = " (" + probe + ")";
    if (w->explain) {
      if (std::string why = w->explain(); !why.empty()) probe += "; " + why;
    }
    impl->FinishWait(
        w, Status::Unavailable(Quote(w->name) + " was not ready after " +
                               FormatDuration(w->timeout) + probe + "; " + impl->LogContext(*c)));
  });
  impl_->Attempt(w);
}

Supervisor::Probe Supervisor::TcpProbe(uint16_t port) { return TcpProbeFn{&impl_->io_, port}; }

Supervisor::Probe Supervisor::HttpProbe(uint16_t port, std::string path, int status) {
  return HttpProbeFn{&impl_->io_, &impl_->clock_, port, std::move(path), status};
}

Supervisor::Probe Supervisor::LogProbe(const std::string& name, std::string needle) {
  return LogProbeFn{&impl_->children_, impl_->alive_, name, std::move(needle)};
}


}  // namespace faultline
