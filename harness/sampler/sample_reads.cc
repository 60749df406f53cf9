#include "harness/sampler/sample_reads.h"

#include <pthread.h>

#include <boost/asio/post.hpp>
#include <utility>

namespace faultline {

void InlineReads::Run(std::function<void()> read, std::function<void()> done) {
  if (stopped_) return;
  read();
  done();
}

ThreadReads::ThreadReads(asio::io_context& io) : io_(io), thread_([this] { Loop(); }) {}

ThreadReads::~ThreadReads() { Stop(); }

void ThreadReads::Run(std::function<void()> read, std::function<void()> done) {
  std::lock_guard lock(mutex_);
  if (stopping_) return;
  read_ = std::move(read);
  done_ = std::move(done);
  work_ = std::make_unique<Work>(io_.get_executor());
  wake_.notify_one();
}

void ThreadReads::Finished::RunOnce() {
  std::function<void()> run;
  {
    std::lock_guard lock(mutex);
    run = std::exchange(done, nullptr);
  }
  if (run) run();
}

void ThreadReads::Stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    wake_.notify_one();
  }
  if (thread_.joinable()) thread_.join();
  finished_->RunOnce();  // a read that finished but whose post has not run yet
}

void ThreadReads::Loop() {
  // Named, so that a profile (perf -s comm) or /proc/PID/task/*/comm tells the
  // sampler's CPU from the event loop's.
  ::pthread_setname_np(::pthread_self(), "fl-reads");
  for (;;) {
    std::function<void()> read;
    std::function<void()> done;
    std::unique_ptr<Work> work;  // keeps io.run() going while the read is away from the loop
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || read_; });
      if (!read_) return;  // stopping, with no read handed over: a handed-over read still runs
      read = std::exchange(read_, nullptr);
      done = std::exchange(done_, nullptr);
      work = std::move(work_);
    }
    read();
    {
      std::lock_guard lock(finished_->mutex);
      finished_->done = std::move(done);
    }
    asio::post(io_, [finished = finished_] { finished->RunOnce(); });
  }
}

}  // namespace faultline
