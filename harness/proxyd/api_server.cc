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
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

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
// How long reading one request's body, or writing one answer's bytes, may
// wait for the socket.
constexpr std::chrono::seconds kIoTimeout{5};
// Requests served on one connection before it is closed (cpp-httplib's default).
constexpr int kMaxRequestsPerConnection = 5;
// How long the listener is left alone after accept ran out of fds.
constexpr std::chrono::milliseconds kAcceptRetry{50};

// Waits until `fd` is ready for `events` or `deadline` passes.
bool WaitFor(int fd, short events, SteadyTime deadline) {
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, events, 0};
    const int n = ::poll(&p, 1, static_cast<int>(left.count()));
    if (n > 0) return true;
    if (n == 0 || errno != EINTR) return false;
  }
}

// A connection whose request head has arrived, for cpp-httplib's request
// handling: the bytes already read come first, then the (non-blocking)
// socket, every wait bounded.
class HeadStream final : public httplib::Stream {
 public:
  HeadStream(int fd, std::string read) : fd_(fd), read_(std::move(read)) {}

  bool is_readable() const override {
    return pos_ < read_.size() || WaitFor(fd_, POLLIN, body_deadline_);
  }
  bool is_writable() const override {
    return WaitFor(fd_, POLLOUT, std::chrono::steady_clock::now() + kIoTimeout);
  }
  ssize_t read(char* ptr, size_t size) override {
    if (pos_ < read_.size()) {
      const size_t n = std::min(size, read_.size() - pos_);
      std::memcpy(ptr, read_.data() + pos_, n);
      pos_ += n;
      return static_cast<ssize_t>(n);
    }
    while (WaitFor(fd_, POLLIN, body_deadline_)) {
      const ssize_t n = ::recv(fd_, ptr, size, 0);
      if (n >= 0 || (errno != EAGAIN && errno != EINTR)) return n;
    }
    return -1;
  }
  ssize_t write(const char* ptr, size_t size) override {
    while (is_writable()) {
      const ssize_t n = ::send(fd_, ptr, size, MSG_NOSIGNAL);
      if (n >= 0 || (errno != EAGAIN && errno != EINTR)) return n;
    }
    return -1;
  }
  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    Address(::getpeername, ip, port);
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    Address(::getsockname, ip, port);
  }
  socket_t socket() const override { return fd_; }
  // What was read but not used: the start of a pipelined next request.
  std::string Rest() const { return read_.substr(pos_); }

 private:
  void Address(int (*get)(int, sockaddr*, socklen_t*), std::string& ip, int& port) const {
    sockaddr_storage addr{};
    socklen_t size = sizeof addr;
    if (get(fd_, reinterpret_cast<sockaddr*>(&addr), &size) != 0) return;
    char host[NI_MAXHOST] = {};
    char serv[NI_MAXSERV] = {};
    if (::getnameinfo(reinterpret_cast<sockaddr*>(&addr), size, host, sizeof host, serv,
                      sizeof serv, NI_NUMERICHOST | NI_NUMERICSERV) != 0)
      return;
    ip = host;
    port = std::atoi(serv);
  }

  const int fd_;
  const std::string read_;
  size_t pos_ = 0;
  // The head has arrived; its body must follow within kIoTimeout.
  const SteadyTime body_deadline_ = std::chrono::steady_clock::now() + kIoTimeout;
};

bool HeadComplete(const std::string& read) {
  return read.find("\r\n\r\n") != std::string::npos || read.find("\n\n") != std::string::npos;
}

// Makes cpp-httplib's handling of one request usable on a stream of ours.
class HttpServer : public httplib::Server {
 public:
  using httplib::Server::process_request;
};

}  // namespace

// The accepting thread (poll over the listener and every connection
// waiting for its request head) and the workers answering complete
// requests. A connection belongs to exactly one of: the accepting thread's
// `waiting` list, `ready_` (for a worker), a worker, `returned_` (back from a
// worker, to wait for its next request).
class ApiServer::Connections {
 public:
  Connections(int listen_fd, HttpServer& server) : listen_fd_(listen_fd), server_(server) {
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
    int fd;
    std::string read;  // bytes read, not yet handled
    int served = 0;    // requests answered on it
    SteadyTime deadline{};
  };

  void Wake() {
    const char byte = 0;
    [[maybe_unused]] ssize_t ignored = ::write(wake_[1], &byte, 1);
  }

  // Hands a connection with a complete head to a worker.
  void Ready(Connection c) {
    {
      std::lock_guard lock(mutex_);
      ready_.push_back(std::move(c));
    }
    ready_cv_.notify_one();
  }

  void Accept() {
    std::vector<Connection> waiting;
    std::vector<pollfd> polled;
    char buffer[4096];
    while (true) {
      const SteadyTime now = std::chrono::steady_clock::now();
      {
        std::lock_guard lock(mutex_);
        if (stopping_) break;
        for (Connection& c : returned_) {
          c.deadline = now + kHeaderTimeout;
          waiting.push_back(std::move(c));
        }
        returned_.clear();
      }
      // A returned connection may hold a whole pipelined request already.
      std::erase_if(waiting, [&](Connection& c) {
        if (!HeadComplete(c.read)) return false;
        Ready(std::move(c));
        return true;
      });
      // Out of fds (EMFILE): the listener is left alone for a while, as it
      // would stay readable and spin this loop.
      const bool accepting = now >= accept_again_;
      polled.assign({{wake_[0], POLLIN, 0}, {listen_fd_, static_cast<short>(accepting ? POLLIN : 0), 0}});
      SteadyTime next = accepting ? now + std::chrono::seconds(1) : accept_again_;
      for (const Connection& c : waiting) {
        polled.push_back({c.fd, POLLIN, 0});
        next = std::min(next, c.deadline);
      }
      const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(next - now);
      if (::poll(polled.data(), polled.size(), std::max<int>(0, static_cast<int>(wait.count()) + 1)) < 0 &&
          errno != EINTR) {
        break;
      }
      if (polled[0].revents) {
        while (::read(wake_[0], buffer, sizeof buffer) > 0) {
        }
      }
      // Each waiting connection that polled readable: read what came.
      const size_t polled_waiting = waiting.size();
      for (size_t i = 0; i < polled_waiting; i++) {
        Connection& c = waiting[i];
        if (polled[i + 2].revents == 0) continue;
        const ssize_t n = ::recv(c.fd, buffer, sizeof buffer, 0);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
        if (n <= 0) {
          c.deadline = {};  // closed below
          continue;
        }
        c.read.append(buffer, static_cast<size_t>(n));
        if (c.read.size() > kMaxHeadBytes && !HeadComplete(c.read)) c.deadline = {};
      }
      if (polled[1].revents) {
        while (true) {
          const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
          if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
              accept_again_ = std::chrono::steady_clock::now() + kAcceptRetry;
            break;
          }
          if (waiting.size() >= kMaxConnections) {
            ::close(fd);
            continue;
          }
          const int one = 1;
          ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          waiting.push_back({fd, {}, 0, std::chrono::steady_clock::now() + kHeaderTimeout});
        }
      }
      const SteadyTime after = std::chrono::steady_clock::now();
      std::erase_if(waiting, [&](Connection& c) {
        if (HeadComplete(c.read)) {
          Ready(std::move(c));
          return true;
        }
        if (c.deadline > after) return false;
        ::close(c.fd);  // gone, too slow, or a head too large
        return true;
      });
    }
    for (const Connection& c : waiting) ::close(c.fd);
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
      HeadStream stream(c.fd, std::move(c.read));
      const bool last = ++c.served >= kMaxRequestsPerConnection;
      bool closed = false;
      const bool ok = server_.process_request(stream, last, closed, {});
      std::lock_guard lock(mutex_);
      busy_.erase(c.fd);
      if (!ok || closed || last || stopping_) {
        ::close(c.fd);
        continue;
      }
      c.read = stream.Rest();
      returned_.push_back(std::move(c));
      Wake();
    }
  }

  const int listen_fd_;
  HttpServer& server_;
  int wake_[2] = {-1, -1};  // a pipe: wakes the accepting thread
  std::mutex mutex_;
  std::condition_variable ready_cv_;
  std::deque<Connection> ready_;        // guarded by mutex_
  std::vector<Connection> returned_;    // guarded by mutex_
  std::set<int> busy_;                  // fds workers serve now; guarded by mutex_
  bool stopping_ = false;               // guarded by mutex_
  SteadyTime accept_again_{};  // the accepting thread's: accept4 ran out of fds until then
  std::thread acceptor_;
  std::vector<std::thread> workers_;
};

ApiServer::ApiServer(asio::io_context& io, ToxiproxyApi& api)
    : io_(io), handoff_(std::make_shared<Handoff>()), server_(std::make_unique<HttpServer>()) {
  handoff_->api = &api;
  server_->set_payload_max_length(1 << 20);
  // What its answers' Keep-Alive header announces; Connections enforces it.
  server_->set_keep_alive_timeout(kHeaderTimeout.count());
  server_->set_keep_alive_max_count(kMaxRequestsPerConnection);

  auto handler = [this](const httplib::Request& req, httplib::Response& res) {
    auto job = std::make_shared<Job>();
    job->request = {req.method, req.path, req.body, req.get_header_value("User-Agent")};
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
  // cpp-httplib answers 400 to a POST without Content-Length (Ruby's
  // Net::HTTP sends `POST /reset` so, as does `curl -X POST`): a request
  // that announces no body is answered here, before the server reads one.
  server_->set_pre_routing_handler([handler](const httplib::Request& req, httplib::Response& res) {
    if (req.has_header("Content-Length") || req.has_header("Transfer-Encoding"))
      return httplib::Server::HandlerResponse::Unhandled;
    handler(req, res);
    return httplib::Server::HandlerResponse::Handled;
  });
  server_->Get(".*", handler);
  server_->Post(".*", handler);
  server_->Patch(".*", handler);
  server_->Delete(".*", handler);
  server_->Put(".*", handler);
}

ApiServer::~ApiServer() { Stop(); }

Status ApiServer::Listen(const std::string& host, uint16_t port) {
  auto fail = [&] {
    return Status::Unavailable("control API: cannot listen on " + host + ":" +
                               std::to_string(port) + " (address in use or not local?)");
  };
  if (connections_) return fail();
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  if (::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0) return fail();
  int fd = -1;
  for (addrinfo* a = found; a && fd < 0; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    const int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd, a->ai_addr, a->ai_addrlen) != 0 || ::listen(fd, SOMAXCONN) != 0) {
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
