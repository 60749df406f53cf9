// timeout: every piece in the direction is dropped (the FIN too: the peer
// sees neither data nor close); the connection is closed `timeout` after
// the fault applied to it (0 = never). Removing the fault closes the
// connections it applied to.
#include "harness/proxy/stage.h"

namespace faultline {
namespace {

class TimeoutStage final : public DeadlineStage {
 public:
  using DeadlineStage::DeadlineStage;

  void Process(Pieces& pieces, StageContext& context) override {
    for (const Piece& piece : pieces) context.CountDropped(piece.data.size());
    pieces.clear();
  }

  bool ClosesOnRemoval() const override { return true; }

 private:
  void OnDeadline(StageContext& context) override { context.CloseConnection(); }
};

}  // namespace

std::unique_ptr<Stage> NewTimeoutStage(const ProxyFault& fault) {
  return std::make_unique<TimeoutStage>(fault);
}

}  // namespace faultline
