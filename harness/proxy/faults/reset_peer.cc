// reset_peer: both sides of the connection are reset (RST, SO_LINGER 0)
// `timeout` after the fault applied to it; with timeout 0, as soon as the
// direction reads data (that data is not forwarded).
#include "harness/proxy/stage.h"

namespace faultline {
namespace {

class ResetPeerStage final : public Stage {
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
    if (fault_.timeout.count() > 0) return;
    for (const Piece& piece : pieces) {
      if (piece.kind == Piece::Kind::kData) {
        pieces.clear();
        context.ResetConnection();
        return;
      }
    }
  }

 private:
  void Arm(StageContext& context) {
    if (fault_.timeout.count() <= 0) {
      if (timer_) timer_->Cancel();
      return;
    }
    if (!timer_) timer_ = context.NewTimer();
    // The callback resets the connection and returns: this stage may be gone.
    timer_->At(started_ + fault_.timeout, [&context] { context.ResetConnection(); });
  }

  TimePoint started_{};
  std::unique_ptr<Timer> timer_;
};

}  // namespace

std::unique_ptr<Stage> NewResetPeerStage(const ProxyFault& fault) {
  return std::make_unique<ResetPeerStage>(fault);
}

}  // namespace faultline
