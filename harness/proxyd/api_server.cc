#include "harness/proxyd/api_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <httplib.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "harness/common/text.h"
#include "harness/proxyd/request_framing.h"
#include "harness/proxyd/request_stream.h"

namespace faultline {

// What a server thread and the io_context's thread share: the API (null
// once stopped) and one condition variable for every request's answer.
struct ApiServer::Handoff {
  std::mutex mutex;
  std::condition_variable answered;
  ToxiproxyApi* api = nullptr;  // guarded by mutex; null once stopping
};

namespace {

struct Job {
  ApiRequest request;
  ApiResponse response;
  bool done = false;  // guarded by Handoff::mutex
};

using SteadyTime = std::chrono::steady_clock::time_point;
// How long a request's body may take to arrive once its head is in.
constexpr std::chrono::seconds kBodyTimeout{5};
// Requests served on one connection before it is closed (cpp-httplib's default).
constexpr int kMaxRequestsPerConnection = 5;
// How long the listener is left alone after accept ran out of fds.
constexpr std::chrono::milliseconds kAcceptRetry{50};
constexpr size_t kReadChunk = 64 * 1024;
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

// Makes cpp-httplib's handling of one request usable on a stream of ours.
class HttpServer : public httplib::Server {
 public:
  using httplib::Server::process_request;
};

void SetError(httplib::Response& res, const ApiError& e) {
  const ApiResponse r = ErrorResponse(e);
  res.status = r.status;
  res.set_content(r.body, "application/json");
}

// Why a request is answered without its body being read (Connections did
// not wait for it, or dropped it); nullopt when its body, if any, is read.
std::optional<ApiError> BodyRefused(const httplib::Request& req) {
  if (req.has_header("Transfer-Encoding"))
    return ApiError{411, "send the body with a Content-Length (no Transfer-Encoding)"};
  if (!req.has_header("Content-Length")) return std::nullopt;
  std::optional<uint64_t> n = ParseContentLength(req.get_header_value("Content-Length"));
  if (!n) return BadRequest("Content-Length is not a number");
  if (*n > ApiServer::kMaxBodyBytes)
    return ApiError{413, "request body larger than " + std::to_string(ApiServer::kMaxBodyBytes) +
                             " bytes"};
  return std::nullopt;
}

}  // namespace

// The accepting thread (poll over the listener and every connection whose
// request has not fully arrived) and the workers answering whole requests.
// A connection belongs to exactly one of: the accepting thread's `waiting`
// list, `ready_` (for a worker), a worker, `returned_` (back from a worker,
// to wait for its next request); `open_` counts them all.
class ApiServer::Connections {
 public:
  Connections(int listen_fd, HttpServer& server)
      : listen_fd_(listen_fd), server_(server), buffer_(kReadChunk) {
    if (::pipe2(wake_, O_CLOEXEC | O_NONBLOCK) != 0) wake_[0] = wake_[1] = -1;
    acceptor_ = std::thread([this] { Accept(); });
    for (int i = 0; i < kThreads; i++) workers_.emplace_back([this] { Work(); });
  }
  // Stops both kinds of thread and closes every connection and the listener.
  ~Connections() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
      for (int fd : busy_) ::shutdown(fd, SHUT_RDWR);
    }
    ready_cv_.notify_all();
    Wake();
    acceptor_.join();
    for (auto& worker : workers_) worker.join();
    for (const Connection& c : ready_) ::close(c.fd);
    for (const Connection& c : returned_) ::close(c.fd);
    ::close(listen_fd_);
    for (int fd : wake_) ::close(fd);
  }

 private:
  struct Connection {
    int fd = -1;
    std::string read;  // bytes read, not yet handled
    int served = 0;    // requests answered on it
    // For the request's head; once the head is in (head_in), for its body.
    SteadyTime deadline{};
    bool head_in = false;
    uint64_t dropped = 0;     // body bytes dropped of a request too large to take
    bool ready = false;       // `read` starts with a whole request:
    size_t request_bytes = 0;  // ... this long,
    bool close_after = false;  // ... after which the connection closes
  };

  void Wake() {
    const char byte = 0;
    [[maybe_unused]] ssize_t ignored = ::write(wake_[1], &byte, 1);
  }

  void Close(int fd) {
    ::close(fd);
    open_--;
  }

  // Hands a connection with a whole request to a worker.
  void Ready(Connection c) {
    {
      std::lock_guard lock(mutex_);
      ready_.push_back(std::move(c));
    }
    ready_cv_.notify_one();
  }

  // Whether `c.read` starts with a whole request for a worker (setting
  // request_bytes and close_after). On the way: the body's deadline starts
  // once the head is in; "Expect: 100-continue" is answered here and its
  // line removed (the worker would answer it again); the body of a request
  // too large to take is dropped as it arrives and its head goes on alone,
  // to be answered 413; a body of unknown length is not waited for (its
  // request is answered 411 or 400, then the connection closed). Sets
  // deadline {} when the connection is to be closed.
  bool Complete(Connection& c, SteadyTime now) {
    std::optional<RequestFraming> f = FrameRequest(c.read);
    if (!f) {
      if (c.read.size() > kMaxHeadBytes) c.deadline = {};
      return false;
    }
    if (!c.head_in) {
      c.head_in = true;
      c.deadline = now + kBodyTimeout;
    }
    const bool too_large = f->body_bytes > kMaxBodyBytes;
    if (f->length_unknown || (too_large && f->expect_continue)) {
      c.request_bytes = f->head_bytes;
      c.close_after = true;
      return true;
    }
    if (f->expect_continue) {
      if (c.read.size() < f->head_bytes + f->body_bytes &&
          ::send(c.fd, kContinue.data(), kContinue.size(), MSG_NOSIGNAL) !=
              static_cast<ssize_t>(kContinue.size())) {
        c.deadline = {};
        return false;
      }
      c.read.erase(f->expect_line_at, f->expect_line_bytes);
      f->head_bytes -= f->expect_line_bytes;
    }
    if (too_large) {
      const uint64_t drop =
          std::min<uint64_t>(c.read.size() - f->head_bytes, f->body_bytes - c.dropped);
      c.read.erase(f->head_bytes, drop);
      c.dropped += drop;
      c.request_bytes = f->head_bytes;
      return c.dropped == f->body_bytes;
    }
    c.request_bytes = f->head_bytes + f->body_bytes;
    return c.read.size() >= c.request_bytes;
  }

  void Accept() {
    std::vector<Connection> waiting;
    std::vector<pollfd> polled;
    while (true) {
      const SteadyTime now = std::chrono::steady_clock::now();
      {
        std::lock_guard lock(mutex_);
        if (stopping_) break;
        for (Connection& c : returned_) {
          Connection next{c.fd, std::move(c.read), c.served, now + kHeaderTimeout};
          // It may hold a whole pipelined request already.
          next.ready = Complete(next, now);
          waiting.push_back(std::move(next));
        }
        returned_.clear();
      }
      // Out of fds (EMFILE): the listener is left alone for a while, as it
      // would stay readable and spin this loop.
      const bool accepting = now >= accept_again_;
      polled.assign({{wake_[0], POLLIN, 0},
                     {listen_fd_, static_cast<short>(accepting ? POLLIN : 0), 0}});
      SteadyTime next = accepting ? now + std::chrono::seconds(1) : accept_again_;
      for (const Connection& c : waiting) {
        polled.push_back({c.fd, static_cast<short>(c.ready ? 0 : POLLIN), 0});
        next = std::min(next, c.ready ? now : c.deadline);
      }
      const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(next - now);
      const int timeout = next <= now ? 0 : static_cast<int>(wait.count()) + 1;
      if (::poll(polled.data(), polled.size(), timeout) < 0 && errno != EINTR) break;
      if (polled[0].revents) {
        while (::read(wake_[0], buffer_.data(), buffer_.size()) > 0) {
        }
      }
      // Each waiting connection that polled readable: read what came.
      const size_t polled_waiting = waiting.size();
      for (size_t i = 0; i < polled_waiting; i++) {
        Connection& c = waiting[i];
        if (c.ready || polled[i + 2].revents == 0) continue;
        const ssize_t n = ::recv(c.fd, buffer_.data(), buffer_.size(), 0);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
        if (n <= 0) {
          c.deadline = {};  // closed below
          continue;
        }
        c.read.append(buffer_.data(), static_cast<size_t>(n));
        c.ready = Complete(c, now);
      }
      if (polled[1].revents) AcceptAll(waiting);
      const SteadyTime after = std::chrono::steady_clock::now();
      std::erase_if(waiting, [&](Connection& c) {
        if (c.ready) {
          Ready(std::move(c));
          return true;
        }
        if (c.deadline > after) return false;
        Close(c.fd);  // gone, too slow, or a head too large
        return true;
      });
    }
    for (const Connection& c : waiting) Close(c.fd);
  }

  // Accepts what the listener holds, within kMaxConnections in all.
  void AcceptAll(std::vector<Connection>& waiting) {
    while (true) {
      const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
          accept_again_ = std::chrono::steady_clock::now() + kAcceptRetry;
        return;
      }
      if (open_ >= kMaxConnections) {
        ::close(fd);
        continue;
      }
      open_++;
      const int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      waiting.push_back({fd, {}, 0, std::chrono::steady_clock::now() + kHeaderTimeout});
    }
  }

  void Work() {
    while (true) {
      Connection c;
      {
        std::unique_lock lock(mutex_);
        ready_cv_.wait(lock, [&] { return stopping_ || !ready_.empty(); });
        if (stopping_) return;
        c = std::move(ready_.front());
        ready_.pop_front();
        busy_.insert(c.fd);
      }
      RequestStream stream(c.fd, c.read.substr(0, c.request_bytes));
      c.read.erase(0, c.request_bytes);  // what follows: the start of the next request
      const bool last = ++c.served >= kMaxRequestsPerConnection || c.close_after;
      bool closed = false;
      const bool ok = server_.process_request(stream, last, closed, {});
      std::lock_guard lock(mutex_);
      busy_.erase(c.fd);
      if (!ok || closed || last || stopping_) {
        Close(c.fd);
        continue;
      }
      returned_.push_back(std::move(c));
      Wake();
    }
  }

  const int listen_fd_;
  HttpServer& server_;
  int wake_[2] = {-1, -1};  // a pipe: wakes the accepting thread
  std::vector<char> buffer_;  // the accepting thread's
  std::mutex mutex_;
  std::condition_variable ready_cv_;
  std::deque<Connection> ready_;      // guarded by mutex_
  std::vector<Connection> returned_;  // guarded by mutex_
  std::set<int> busy_;                // fds workers serve now; guarded by mutex_
  bool stopping_ = false;             // guarded by mutex_
  std::atomic<size_t> open_{0};       // connections accepted and not closed
  SteadyTime accept_again_{};  // the accepting thread's: accept4 ran out of fds until then
  std::thread acceptor_;
  std::vector<std::thread> workers_;
};

ApiServer::ApiServer(asio::io_context& io, ToxiproxyApi& api)
    : io_(io), handoff_(std::make_shared<Handoff>()), server_(std::make_unique<HttpServer>()) {
  handoff_->api = &api;
  server_->set_payload_max_length(kMaxBodyBytes);
  // What its answers' Keep-Alive header announces; Connections enforces it.
  server_->set_keep_alive_timeout(kHeaderTimeout.count());
  server_->set_keep_alive_max_count(kMaxRequestsPerConnection);

  auto answer = [this](const httplib::Request& req, std::string body, httplib::Response& res) {
    auto job = std::make_shared<Job>();
    job->request = {req.method, req.path, std::move(body), req.get_header_value("User-Agent")};
    auto handoff = handoff_;
    asio::post(io_, [handoff, job] {
      std::lock_guard lock(handoff->mutex);
      if (handoff->api) job->response = handoff->api->Handle(job->request);
      job->done = true;
      handoff->answered.notify_all();
    });
    std::unique_lock lock(handoff->mutex);
    handoff->answered.wait(lock, [&] { return job->done || !handoff->api; });
    if (!job->done || !handoff->api) {
      job->response = {503, R"({"error":"shutting down","status":503})"};
    }
    res.status = job->response.status;
    if (res.status != 204) res.set_content(job->response.body, "application/json");
  };
  using Handled = httplib::Server::HandlerResponse;
  // A refused body is answered before anything reads it. cpp-httplib answers
  // 400 to a POST without Content-Length (Ruby's Net::HTTP sends `POST
  // /reset` so, as does `curl -X POST`): a request that announces no body is
  // answered here too.
  server_->set_pre_routing_handler([answer](const httplib::Request& req, httplib::Response& res) {
    if (std::optional<ApiError> refused = BodyRefused(req)) {
      SetError(res, *refused);
      return Handled::Handled;
    }
    if (req.has_header("Content-Length")) return Handled::Unhandled;
    answer(req, "", res);
    return Handled::Handled;
  });
  // Connections answers "Expect: 100-continue" and removes it, but for a
  // request refused at once.
  server_->set_expect_100_continue_handler(
      [](const httplib::Request& req, httplib::Response& res) {
        std::optional<ApiError> refused = BodyRefused(req);
        if (!refused) return 100;
        SetError(res, *refused);
        return res.status;
      });
  // Bodies are read through a content reader, whatever their Content-Type:
  // cpp-httplib would refuse a form-encoded one (curl -d's) above 8 KiB.
  auto with_body = [answer](const httplib::Request& req, httplib::Response& res,
                            const httplib::ContentReader& read) {
    if (req.is_multipart_form_data())
      return SetError(res, BadRequestBody("expected JSON, not multipart/form-data"));
    std::string body;
    if (!read([&](const char* data, size_t n) {
          body.append(data, n);
          return true;
        })) {
      return SetError(res, BadRequestBody("the body ended before its Content-Length"));
    }
    answer(req, std::move(body), res);
  };
  server_->Get(".*", [answer](const httplib::Request& req, httplib::Response& res) {
    answer(req, "", res);
  });
  server_->Post(".*", with_body);
  server_->Patch(".*", with_body);
  server_->Delete(".*", with_body);
  server_->Put(".*", with_body);
  // What cpp-httplib refuses itself (a malformed request line, say) is
  // answered in the API's form too.
  server_->set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.body.empty()) SetError(res, ApiError{res.status, "bad request"});
  });
}

ApiServer::~ApiServer() { Stop(); }

Status ApiServer::Listen(const std::string& host, uint16_t port) {
  std::string why = "already listening";
  auto fail = [&] {
    return Status::Unavailable("control API: cannot listen on " + JoinHostPort(host, port) +
                               ": " + why);
  };
  if (connections_) return fail();
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  if (const int err = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found);
      err != 0) {
    why = gai_strerror(err);
    return fail();
  }
  int fd = -1;
  for (addrinfo* a = found; a && fd < 0; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) {
      why = std::string("socket: ") + std::strerror(errno);
      continue;
    }
    const int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    const bool bound = ::bind(fd, a->ai_addr, a->ai_addrlen) == 0;
    if (!bound || ::listen(fd, SOMAXCONN) != 0) {
      // "Permission denied" for a port below 1024, "Address already in use", ...
      why = std::string(bound ? "listen: " : "bind: ") + std::strerror(errno);
      ::close(fd);
      fd = -1;
    }
  }
  ::freeaddrinfo(found);
  if (fd < 0) return fail();
  sockaddr_storage bound{};
  socklen_t size = sizeof bound;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &size);
  port_ = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                            : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  connections_ = std::make_unique<Connections>(fd, static_cast<HttpServer&>(*server_));
  return Status::Ok();
}

void ApiServer::Stop() {
  {
    std::lock_guard lock(handoff_->mutex);
    handoff_->api = nullptr;
  }
  handoff_->answered.notify_all();
  connections_.reset();
}

}  // namespace faultline
