#include "harness/common/clock.h"

#include <optional>

namespace faultline {

namespace {

class AsioTimer final : public Timer {
 public:
  explicit AsioTimer(asio::io_context& io) : timer_(io), state_(std::make_shared<State>()) {}
  // A wait that already completed has its handler queued with success, and
  // destroying the steady_timer cannot take that back: the handler keeps the
  // shared state alive and finds its generation stale, so it never fires.
  ~AsioTimer() override { ++state_->generation; }

  void At(TimePoint when, std::function<void()> fire) override {
    timer_.expires_at(when);  // cancels a pending wait (its handler sees aborted)
    state_->pending = true;
    const uint64_t generation = ++state_->generation;
    timer_.async_wait([state = state_, generation, fire = std::move(fire)](
                          const boost::system::error_code& ec) {
      if (ec || generation != state->generation) return;  // cancelled, replaced or destroyed
      state->pending = false;
      fire();
    });
  }

  void Cancel() override {
    state_->pending = false;
    ++state_->generation;
    timer_.cancel();
  }

  bool pending() const override { return state_->pending; }

 private:
  struct State {
    uint64_t generation = 0;
    bool pending = false;
  };
  asio::steady_timer timer_;
  std::shared_ptr<State> state_;
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
