// limit_data: the direction forwards `bytes` bytes (counted from when the
// fault applied to the connection), then the connection is closed (FIN to
// both peers) once they are written; whatever comes after is dropped.
#include <algorithm>

#include "harness/proxy/stage.h"

namespace faultline {
namespace {

class LimitDataStage final : public Stage {
 public:
  using Stage::Stage;

  void Process(Pieces& pieces, StageContext& context) override {
    if (closing_) {
      for (const Piece& piece : pieces) context.CountDropped(piece.data.size());
      pieces.clear();
      return;
    }
    for (size_t i = 0; i < pieces.size(); ++i) {
      Piece& piece = pieces[i];
      if (piece.kind != Piece::Kind::kData) continue;
      const uint64_t left = fault_.bytes - std::min(fault_.bytes, forwarded_);
      if (piece.data.size() < left) {
        forwarded_ += piece.data.size();
        continue;
      }
      // This piece reaches the limit: keep its head, drop the rest, close.
      size_t dropped = piece.data.size() - left;
      piece.data.resize(left);
      forwarded_ += left;
      for (size_t j = i + 1; j < pieces.size(); ++j) dropped += pieces[j].data.size();
      context.CountDropped(dropped);
      const TimePoint due = piece.due, entered = piece.entered;
      pieces.resize(piece.data.empty() ? i : i + 1);
      pieces.push_back(Piece{Piece::Kind::kClose, {}, due, entered});
      closing_ = true;
      return;
    }
  }

 private:
  uint64_t forwarded_ = 0;
  bool closing_ = false;
};

}  // namespace

std::unique_ptr<Stage> NewLimitDataStage(const ProxyFault& fault) {
  return std::make_unique<LimitDataStage>(fault);
}

}  // namespace faultline
