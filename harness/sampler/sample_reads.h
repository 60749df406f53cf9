// Where the sampler's blocking reads run. The sampler hands over one read at
// a time and waits for its `done` before handing over the next.
//
//   InlineReads  runs `read` then `done` inside Run(): for tests driven by a
//                ManualClock, so a sample lands as soon as its slot fires.
//   ThreadReads  one dedicated thread (named "fl-reads") runs `read`, then
//                posts `done` to the event loop (asio::post); nothing
//                blocking runs on the loop.
//
// Stop() (also done by the destructor) returns once no read is running: a
// read handed over (running or not yet started) finishes first, and the `done` of a finished read that
// has not run yet runs inside Stop(), so the last sample is not lost. No
// `done` is called after Stop(); Run() after Stop() does nothing. Run() and
// Stop() are called on the event loop's thread.
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

namespace faultline {

namespace asio = boost::asio;

class SampleReads {
 public:
  virtual ~SampleReads() = default;
  virtual void Run(std::function<void()> read, std::function<void()> done) = 0;
  virtual void Stop() = 0;
};

class InlineReads final : public SampleReads {
 public:
  void Run(std::function<void()> read, std::function<void()> done) override;
  void Stop() override { stopped_ = true; }

 private:
  bool stopped_ = false;
};

class ThreadReads final : public SampleReads {
 public:
  explicit ThreadReads(asio::io_context& io);
  ~ThreadReads() override;  // Stop()
  void Run(std::function<void()> read, std::function<void()> done) override;
  void Stop() override;

 private:
  void Loop();
  using Work = asio::executor_work_guard<asio::io_context::executor_type>;

  // The `done` of a finished read, until it runs on the loop (posted) or in
  // Stop(), whichever comes first.
  struct Finished {
    std::mutex mutex;
    std::function<void()> done;
    void RunOnce();
  };

  asio::io_context& io_;
  std::shared_ptr<Finished> finished_ = std::make_shared<Finished>();
  std::mutex mutex_;
  std::condition_variable wake_;
  std::function<void()> read_;  // guarded by mutex_
  std::function<void()> done_;  // guarded by mutex_
  std::unique_ptr<Work> work_;  // guarded by mutex_
  bool stopping_ = false;       // guarded by mutex_
  std::thread thread_;          // last: started once the rest exists
};

}  // namespace faultline
