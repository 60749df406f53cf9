// slow_close: data flows as it comes; the FIN passing through is due
// `delay` after it was read.
#include "harness/proxy/stage.h"

namespace faultline {
namespace {

class SlowCloseStage final : public Stage {
 public:
  using Stage::Stage;

  void Process(Pieces& pieces, StageContext&) override {
    for (Piece& piece : pieces) {
      if (piece.kind == Piece::Kind::kFin) piece.due += fault_.delay;
    }
  }

  void Retime(std::vector<PieceTiming>& queued, TimePoint) override {
    for (PieceTiming& piece : queued) {
      if (piece.kind == Piece::Kind::kFin) piece.due += fault_.delay;
    }
  }
};

}  // namespace

std::unique_ptr<Stage> NewSlowCloseStage(const ProxyFault& fault) {
  return std::make_unique<SlowCloseStage>(fault);
}

}  // namespace faultline
