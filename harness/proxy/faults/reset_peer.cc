// reset_peer: both sides of the connection are reset (RST, SO_LINGER 0)
// `timeout` after the fault applied to it; with timeout 0, as soon as the
// direction reads data (that data is not forwarded).
#include "harness/proxy/stage.h"

namespace faultline {
namespace {

class ResetPeerStage final : public DeadlineStage {
 public:
  using DeadlineStage::DeadlineStage;

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
  void OnDeadline(StageContext& context) override { context.ResetConnection(); }
};

}  // namespace

std::unique_ptr<Stage> NewResetPeerStage(const ProxyFault& fault) {
  return std::make_unique<ResetPeerStage>(fault);
}

}  // namespace faultline
