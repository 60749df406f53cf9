// timeout: every piece in the direction is dropped (the FIN too: the peer
// sees neither data nor close); the connection is closed `timeout` after
// the fault applied to it (0 = never). Removing the fault closes the
// connections it applied to.
#include "harness/proxy/stage.h"

namespace faultline {
namespace {

class TimeoutStage final : public Stage {
 public:
  using Stage::Stage;

  void Start(StageContext& context) override {
    started_ = context.Now();
    Arm(context);
  }

  void Update(const ProxyFault& fault, StageContext& context) override {
    const bool changed = fault.timeout != fault_.timeout;
    fault_ = fault;
    if (changed) Arm(context);
  }

  void Process(Pieces& pieces, StageContext& context) override {
    for (const Piece& piece : pieces) context.CountDropped(piece.data.size());
    pieces.clear();
  }

  bool ClosesOnRemoval() const override { return true; }

 private:
  void Arm(StageContext& context) {
    if (fault_.timeout.count() <= 0) {
      if (timer_) timer_->Cancel();
      return;
    }
    if (!timer_) timer_ = context.NewTimer();
    // The callback closes the connection and returns: this stage may be gone.
    timer_->At(started_ + fault_.timeout, [&context] { context.CloseConnection(); });
  }

  TimePoint started_{};
  std::unique_ptr<Timer> timer_;
};

}  // namespace

std::unique_ptr<Stage> NewTimeoutStage(const ProxyFault& fault) {
  return std::make_unique<TimeoutStage>(fault);
}

}  // namespace faultline
