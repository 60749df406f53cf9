// One OS thread per accepted connection, the way Go's net/http gives each
// connection its own goroutine, instead of cpp-httplib's fixed thread pool.
//
// This is what makes the incident visible: a request stuck on a hung
// dependency holds its connection's thread, so a pile-up of stuck requests
// shows up as a growing thread count (and the stacks behind it), with nothing
// quietly queueing behind a full pool.
//
// Install it with `server.new_task_queue = ThreadPerConnection::Factory(threads)`.
#pragma once

#include <httplib.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <mutex>
#include <system_error>
#include <thread>
#include <utility>

namespace faultline::targets {

/// Counts the connection threads that are alive. Shared (through shared_ptr)
/// by the queue and every thread it started, so it outlives both. Thread-safe.
class ConnectionThreads {
 public:
  /// Threads started and not yet finished.
  int live() const {
    std::lock_guard lock(mutex_);
    return live_;
  }

  /// Waits until no connection thread is alive, or `timeout` passes.
  /// Returns true if none is alive.
  bool WaitUntilNone(std::chrono::milliseconds timeout) const {
    std::unique_lock lock(mutex_);
    return idle_.wait_for(lock, timeout, [this] { return live_ == 0; });
  }

 private:
  friend class ThreadPerConnection;
  void Started() {
    std::lock_guard lock(mutex_);
    ++live_;
  }
  void Finished() {
    std::lock_guard lock(mutex_);
    if (--live_ == 0) idle_.notify_all();
  }

  mutable std::mutex mutex_;
  mutable std::condition_variable idle_;
  int live_ = 0;
};

/// An httplib::TaskQueue that starts a detached thread per connection.
///
/// The threads are detached on purpose: a thread stuck on a hung dependency
/// must not stop the server from shutting down, so shutdown() does not wait
/// for them. Each thread runs httplib::Server code, so the Server must
/// outlive them: before destroying a Server, wait with
/// ConnectionThreads::WaitUntilNone, or end the process (std::_Exit).
class ThreadPerConnection : public httplib::TaskQueue {
 public:
  explicit ThreadPerConnection(std::shared_ptr<ConnectionThreads> threads)
      : threads_(std::move(threads)) {}

  /// For `server.new_task_queue`: httplib creates one queue per listen().
  static std::function<httplib::TaskQueue*()> Factory(std::shared_ptr<ConnectionThreads> threads) {
    return [threads] { return new ThreadPerConnection(threads); };
  }

  /// When the OS refuses another thread, the process reports it on stderr
  /// and exits with status 1: that is how a thread-per-request service falls
  /// over, and the harness should see it fall, not a quiet stall.
  void enqueue(std::function<void()> fn) override {
    threads_->Started();
    try {
      std::thread([threads = threads_, fn = std::move(fn)] {
        fn();
        threads->Finished();
      }).detach();
    } catch (const std::system_error& e) {
      std::fprintf(stderr, "cannot start a thread for a new connection (%d alive): %s\n",
                   threads_->live(), e.what());
      std::fflush(stderr);
      std::_Exit(1);
    }
  }

  /// Returns at once; see the class comment.
  void shutdown() override {}

 private:
  std::shared_ptr<ConnectionThreads> threads_;
};

}  // namespace faultline::targets
