// latency: every data piece is due `latency` +/- uniform `jitter` later
// than it was read (never earlier than the piece before it). The FIN is not
// delayed beyond the data ahead of it.
#include <algorithm>

#include "harness/proxy/stage.h"

namespace faultline {
namespace {

class LatencyStage final : public Stage {
 public:
  using Stage::Stage;

  void Process(Pieces& pieces, StageContext& context) override {
    for (Piece& piece : pieces) {
      if (piece.kind == Piece::Kind::kData) piece.due += SampleDelay(context);
      piece.due = std::max(piece.due, last_due_);
      last_due_ = piece.due;
    }
  }

  // The new latency from when each piece was read (no new jitter draw).
  void Retime(std::vector<PieceTiming>& queued, TimePoint) override {
    TimePoint last{};
    for (PieceTiming& piece : queued) {
      if (piece.kind == Piece::Kind::kData) piece.due += fault_.latency;
      piece.due = std::max(piece.due, last);
      last = piece.due;
    }
    if (!queued.empty()) last_due_ = std::min(last_due_, last);
  }

 private:
  Duration SampleDelay(StageContext& context) const {
    Duration delay = fault_.latency;
    const int64_t jitter = fault_.jitter.count();
    if (jitter > 0) {
      std::uniform_int_distribution<int64_t> offset(-jitter, jitter);
      delay += Duration(offset(context.rng()));
    }
    return std::max(delay, Duration::zero());
  }

  TimePoint last_due_{};
};

}  // namespace

std::unique_ptr<Stage> NewLatencyStage(const ProxyFault& fault) {
  return std::make_unique<LatencyStage>(fault);
}

}  // namespace faultline
