#include "tools/groundtruth/groundtruth.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>

#include "harness/common/text.h"

namespace faultline::groundtruth {
namespace {

constexpr uint64_t kMiB = uint64_t{1} << 20;

Status Errno(const std::string& what) {
  return Status::Unavailable(what + ": " + std::strerror(errno));
}

// A worker that parks until told to leave.
struct Worker {
  std::thread thread;
  bool leave = false;  // guarded by Holder::Impl::mu
};

StatusOr<uint64_t> ParseCount(std::string_view key, std::string_view value) {
  if (value.empty()) return Status::Invalid(std::string(key) + ": missing value");
  uint64_t n = 0;
  for (char c : value) {
    if (c < '0' || c > '9')
      return Status::Invalid(std::string(key) + ": expected a whole number, got " + Quote(value));
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  return n;
}

}  // namespace

StatusOr<Step> ParseStep(std::string_view text) {
  const size_t colon = text.find(':');
  if (colon == std::string_view::npos)
    return Status::Invalid("step " + Quote(text) + ": expected TIME:key=value,...");
  Step step;
  std::string why;
  auto at = ParseDuration(text.substr(0, colon), &why);
  if (!at) return Status::Invalid("step " + Quote(text) + ": " + why);
  step.at = *at;
  std::string_view rest = text.substr(colon + 1);
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    const size_t eq = item.find('=');
    if (eq == std::string_view::npos)
      return Status::Invalid("step " + Quote(text) + ": expected key=value, got " + Quote(item));
    const std::string_view key = item.substr(0, eq), value = item.substr(eq + 1);
    if (key == "memory") {
      auto bytes = ParseSize(value, &why);
      if (!bytes) return Status::Invalid("step " + Quote(text) + ": memory: " + why);
      if (*bytes % kMiB != 0)
        return Status::Invalid("step " + Quote(text) + ": memory must be whole MiB");
      step.state.memory_mib = *bytes / kMiB;
      continue;
    }
    std::optional<uint64_t>* field = key == "threads"       ? &step.state.threads
                                     : key == "close_wait"  ? &step.state.close_wait
                                     : key == "established" ? &step.state.established
                                     : key == "fds"         ? &step.state.fds
                                                            : nullptr;
    if (!field)
      return Status::Invalid("step " + Quote(text) + ": unknown key " + Quote(key) +
                             DidYouMean(key, {"threads", "memory", "close_wait", "established",
                                              "fds"}));
    auto n = ParseCount(key, value);
    if (!n.ok()) return n.status().WithContext("step " + Quote(text));
    *field = *n;
  }
  if (step.state.threads && *step.state.threads == 0)
    return Status::Invalid("step " + Quote(text) + ": threads counts the main thread, at least 1");
  if (step.state.established && *step.state.established % 2 != 0)
    return Status::Invalid("step " + Quote(text) +
                           ": established must be even (both ends of each connection are here)");
  return step;
}

struct Holder::Impl {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::unique_ptr<Worker>> workers;
  std::vector<void*> chunks;           // 1 MiB each, touched
  int listener = -1;
  uint16_t port = 0;
  std::vector<int> close_wait;         // accepted sockets whose peer closed
  std::vector<int> established;        // both ends of each connection
  std::vector<int> padding;            // /dev/null

  ~Impl() {
    SetThreads(1);
    SetMemory(0);
    for (int fd : close_wait) ::close(fd);
    for (int fd : established) ::close(fd);
    for (int fd : padding) ::close(fd);
    if (listener >= 0) ::close(listener);
  }

  void SetThreads(uint64_t total) {
    while (workers.size() + 1 < total) {
      auto w = std::make_unique<Worker>();
      Worker* self = w.get();
      w->thread = std::thread([this, self] {
        std::unique_lock lock(mu);
        cv.wait(lock, [self] { return self->leave; });
      });
      workers.push_back(std::move(w));
    }
    while (workers.size() + 1 > total) {
      std::unique_ptr<Worker> w = std::move(workers.back());
      workers.pop_back();
      {
        std::lock_guard lock(mu);
        w->leave = true;
      }
      cv.notify_all();
      w->thread.join();  // the thread is gone from /proc once joined
    }
  }

  Status SetMemory(uint64_t mib) {
    while (chunks.size() < mib) {
      void* p = ::mmap(nullptr, kMiB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (p == MAP_FAILED) return Errno("mmap 1 MiB");
      std::memset(p, 0x5a, kMiB);  // touch every page
      chunks.push_back(p);
    }
    while (chunks.size() > mib) {
      ::munmap(chunks.back(), kMiB);
      chunks.pop_back();
    }
    return Status::Ok();
  }

  Status Listen() {
    if (listener >= 0) return Status::Ok();
    listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listener < 0) return Errno("socket");
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (::bind(listener, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return Errno("bind");
    if (::listen(listener, 4096) != 0) return Errno("listen");
    if (::getsockname(listener, reinterpret_cast<sockaddr*>(&a), &len) != 0)
      return Errno("getsockname");
    port = ntohs(a.sin_port);
    return Status::Ok();
  }

  // A connected pair: the client end and the accepted end.
  Status Connect(int* client, int* server) {
    Status s = Listen();
    if (!s.ok()) return s;
    *client = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (*client < 0) return Errno("socket");
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    if (::connect(*client, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      ::close(*client);
      return Errno("connect");
    }
    *server = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (*server < 0) {
      ::close(*client);
      return Errno("accept");
    }
    return Status::Ok();
  }

  Status SetCloseWait(uint64_t n) {
    while (close_wait.size() < n) {
      int client = -1, server = -1;
      Status s = Connect(&client, &server);
      if (!s.ok()) return s;
      ::close(client);  // FIN to the server end, which stays open: CLOSE_WAIT
      // Returns once the FIN has arrived (EOF readable), so the state is real.
      pollfd p{server, POLLIN, 0};
      if (::poll(&p, 1, 5000) != 1) {
        ::close(server);
        return Status::Unavailable("the peer's FIN did not arrive within 5s");
      }
      close_wait.push_back(server);
    }
    while (close_wait.size() > n) {
      ::close(close_wait.back());
      close_wait.pop_back();
    }
    return Status::Ok();
  }

  Status SetEstablished(uint64_t n) {
    while (established.size() < n) {
      int client = -1, server = -1;
      Status s = Connect(&client, &server);
      if (!s.ok()) return s;
      established.push_back(client);
      established.push_back(server);
    }
    while (established.size() > n) {
      ::close(established.back());
      established.pop_back();
    }
    return Status::Ok();
  }
};

Holder::Holder() : impl_(std::make_unique<Impl>()) {}
Holder::~Holder() = default;

uint64_t Holder::open_fds() const {
  DIR* d = ::opendir("/proc/self/fd");
  if (!d) return 0;
  uint64_t n = 0;
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] != '.') ++n;
  }
  ::closedir(d);
  return n - 1;  // the directory's own fd
}

Status Holder::Apply(const State& state) {
  Impl& m = *impl_;
  if (state.threads) m.SetThreads(*state.threads);
  if (state.memory_mib) {
    Status s = m.SetMemory(*state.memory_mib);
    if (!s.ok()) return s;
  }
  if (state.close_wait) {
    Status s = m.SetCloseWait(*state.close_wait);
    if (!s.ok()) return s;
  }
  if (state.established) {
    Status s = m.SetEstablished(*state.established);
    if (!s.ok()) return s;
  }
  if (state.fds) {
    // Padding is adjusted last: the sockets above change the count.
    uint64_t now = open_fds();
    while (now > *state.fds && !m.padding.empty()) {
      ::close(m.padding.back());
      m.padding.pop_back();
      --now;
    }
    if (now > *state.fds)
      return Status::Invalid("fds=" + std::to_string(*state.fds) + " is fewer than the " +
                             std::to_string(now) + " this state needs (stdio, sockets, listener)");
    while (now < *state.fds) {
      int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
      if (fd < 0) return Errno("open /dev/null");
      m.padding.push_back(fd);
      ++now;
    }
  }
  return Status::Ok();
}

std::string Holder::Describe() const {
  const Impl& m = *impl_;
  return "threads=" + std::to_string(m.workers.size() + 1) +
         " memory_mib=" + std::to_string(m.chunks.size()) +
         " close_wait=" + std::to_string(m.close_wait.size()) +
         " established=" + std::to_string(m.established.size()) +
         " fds=" + std::to_string(open_fds());
}

}  // namespace faultline::groundtruth
