#include "harness/proxy/read_watch.h"

#include <sys/epoll.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <utility>

namespace faultline {

namespace {

// Events fetched per epoll_wait; a full batch is followed by another.
constexpr int kBatch = 64;

}  // namespace

ReadWatch::ReadWatch(asio::io_context& io, OnReadable on_readable)
    : epoll_(io), on_readable_(std::move(on_readable)) {
  const int fd = ::epoll_create1(EPOLL_CLOEXEC);
  if (fd < 0) return;
  boost::system::error_code ec;
  epoll_.assign(fd, ec);
  if (ec) {
    ::close(fd);
  }
}

ReadWatch::~ReadWatch() {
  boost::system::error_code ignored;
  epoll_.close(ignored);
}

bool ReadWatch::Add(int fd, uint64_t key) {
  if (!available()) return false;
  epoll_event event{};
  event.events = EPOLLIN | EPOLLRDHUP | EPOLLET;
  event.data.u64 = key;
  return ::epoll_ctl(epoll_.native_handle(), EPOLL_CTL_ADD, fd, &event) == 0;
}

void ReadWatch::Expect() {
  ++expected_;
  if (!armed_ && !draining_) Wait();
}

void ReadWatch::Wait() {
  if (!available()) return;
  armed_ = true;
  epoll_.async_wait(asio::posix::stream_descriptor::wait_read,
                    [this, alive = std::weak_ptr<int>(alive_)](boost::system::error_code ec) {
                      if (alive.expired()) return;
                      armed_ = false;
                      if (ec) return;
                      draining_ = true;
                      Drain();
                      if (alive.expired()) return;
                      draining_ = false;
                      if (expected_ > 0) Wait();
                    });
}

// Every event pending now, then back to the io_context: the re-arm (Wait)
// comes after the bytes have been forwarded, off their path.
void ReadWatch::Drain() {
  std::weak_ptr<int> alive = alive_;
  std::array<epoll_event, kBatch> events;
  int n = 0;
  do {
    n = ::epoll_wait(epoll_.native_handle(), events.data(), kBatch, 0);
    if (n < 0 && errno == EINTR) continue;
    for (int i = 0; i < n; ++i) {
      on_readable_(events[i].data.u64, events[i].events);
      if (alive.expired()) return;
    }
  } while (n == kBatch || (n < 0 && errno == EINTR));
}

}  // namespace faultline
