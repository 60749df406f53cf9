// ReadWatch: tells the proxy when its sockets become readable, through one
// edge-triggered epoll instance of its own that the io_context waits on as a
// single descriptor.
//
// Why: Asio's socket::async_wait re-arms the socket in the reactor's epoll on
// every call (one epoll_ctl per read), and async_read_some instead tries a
// read that fails with EAGAIN every time it is started: either way one
// wasted system call per forwarded chunk, a third of the proxy's system
// calls. Here a socket is added once; after that, new bytes (or a FIN, a
// reset) on it cost one event, delivered with the others of the same
// io_context wake-up, and nothing while the socket stays quiet.
//
// Edge-triggered: an event is reported when the socket *becomes* readable
// (and once when it is added while readable). The caller must keep its own
// "may have more" flag and read until the socket is drained (EAGAIN, or a
// short read of a stream socket with no hang-up seen) before it relies on
// the next event.
//
// The io_context waits on the set only while someone expects an event
// (Expect, Release): with nobody waiting, events stay queued in the set and
// cost the loop nothing.
//
// Single-threaded: every call on the io_context's thread. A socket leaves
// the set when it is closed (the kernel drops closed fds from an epoll set);
// an event already fetched for it may still be delivered, so the callback
// must check that `key` still names something alive.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include "harness/common/asio.h"

namespace faultline {

class ReadWatch {
 public:
  /// `key` as given to Add; `events` the epoll bits (EPOLLIN, EPOLLRDHUP,
  /// EPOLLHUP, EPOLLERR). May close sockets, add others, or destroy the
  /// watch's owner.
  using OnReadable = std::function<void(uint64_t key, uint32_t events)>;

  /// Opens the epoll instance and starts waiting on it. When it cannot be
  /// opened (EMFILE), available() is false and Add always fails: the caller
  /// waits on its sockets with Asio instead.
  ReadWatch(asio::io_context& io, OnReadable on_readable);
  ~ReadWatch();
  ReadWatch(const ReadWatch&) = delete;
  ReadWatch& operator=(const ReadWatch&) = delete;

  bool available() const { return epoll_.is_open(); }
  /// Watches `fd` (a non-blocking stream socket) for readability; false when
  /// it cannot (then nothing is reported for it).
  bool Add(int fd, uint64_t key);
  /// One more caller waits for an event: the io_context waits on the set.
  void Expect();
  /// One caller stopped waiting (its event came, or it gave up).
  void Release() {
    if (expected_ > 0) --expected_;
  }

 private:
  void Wait();
  void Drain();

  asio::posix::stream_descriptor epoll_;
  OnReadable on_readable_;
  size_t expected_ = 0;   // callers waiting for an event
  bool armed_ = false;     // the io_context waits on the set
  bool draining_ = false;  // inside Drain: it re-arms when it is done
  // The wait's handler holds a weak_ptr to this and returns at once when it
  // has expired: the watch may be destroyed while the handler is queued.
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace faultline
