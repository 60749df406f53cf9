#include "harness/common/clock.h"

#include <optional>

namespace faultline {

namespace {

class AsioTimer final : public Timer {
 public:
  explicit AsioTimer(asio::io_context& io) : timer_(io) {}
  // The steady_timer's destructor cancels: a pending handler then sees
  // operation_aborted and drops its callback without touching `this`.
  ~AsioTimer() override = default;

  void At(TimePoint when, std::function<void()> fire) override {
    timer_.expires_at(when);  // cancels a pending wait (its handler sees aborted)
    pending_ = true;
    const uint64_t generation = ++generation_;
    timer_.async_wait([this, generation, fire = std::move(fire)](const boost::system::error_code& ec) {
      if (ec) return;  // cancelled, replaced or destroyed: `this` may be gone
      if (generation != generation_) return;
      pending_ = false;
      fire();
    });
  }

  void Cancel() override {
    pending_ = false;
    ++generation_;
    timer_.cancel();
  }

  bool pending() const override { return pending_; }

 private:
  asio::steady_timer timer_;
  uint64_t generation_ = 0;
  bool pending_ = false;
};

}  // namespace

std::unique_ptr<Timer> AsioClock::NewTimer() { return std::make_unique<AsioTimer>(io_); }

class ManualClock::ManualTimer final : public Timer {
 public:
  explicit ManualTimer(ManualClock* clock) : clock_(clock) {}
  ~ManualTimer() override { Cancel(); }

  void At(TimePoint when, std::function<void()> fire) override {
    Cancel();
    key_ = Key{when, clock_->sequence_++};
    clock_->queue_.emplace(*key_, Entry{this, std::move(fire)});
  }

  void Cancel() override {
    if (key_) clock_->queue_.erase(*key_);
    key_.reset();
  }

  bool pending() const override { return key_.has_value(); }

 private:
  friend class ManualClock;
  ManualClock* clock_;
  std::optional<Key> key_;
};

std::unique_ptr<Timer> ManualClock::NewTimer() { return std::make_unique<ManualTimer>(this); }

void ManualClock::AdvanceTo(TimePoint t) {
  while (!queue_.empty() && queue_.begin()->first.first <= t) {
    auto node = queue_.extract(queue_.begin());
    if (node.key().first > now_) now_ = node.key().first;
    node.mapped().timer->key_.reset();
    node.mapped().fire();
  }
  if (t > now_) now_ = t;
}

}  // namespace faultline
