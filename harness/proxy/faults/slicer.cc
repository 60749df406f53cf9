// slicer: data is cut into slices of slice_bytes +/- uniform
// slice_variation (at least 1 byte; slice_bytes 0 keeps each read whole),
// each due `delay` after the slice before it.
#include <algorithm>
#include <optional>

#include "harness/proxy/stage.h"

namespace faultline {
namespace {

class SlicerStage final : public Stage {
 public:
  using Stage::Stage;

  void Process(Pieces& pieces, StageContext& context) override {
    Pieces out;
    for (Piece& piece : pieces) {
      if (piece.kind != Piece::Kind::kData) {
        piece.due = std::max(piece.due, last_due_);
        out.push_back(std::move(piece));
        continue;
      }
      size_t at = 0;
      while (at < piece.data.size()) {
        const size_t n = std::min(SliceSize(context), piece.data.size() - at);
        Piece slice;
        slice.entered = piece.entered;
        slice.data.assign(piece.data.begin() + at, piece.data.begin() + at + n);
        slice.due = started_ ? std::max(piece.due, last_due_ + fault_.delay) : piece.due;
        started_ = true;
        last_due_ = slice.due;
        out.push_back(std::move(slice));
        at += n;
      }
    }
    pieces = std::move(out);
  }

  // The queued slices, `delay` apart with the new delay, from now.
  void Retime(std::vector<PieceTiming>& queued, TimePoint now) override {
    std::optional<TimePoint> last;
    for (PieceTiming& piece : queued) {
      if (piece.kind != Piece::Kind::kData) {
        if (last) piece.due = std::max(piece.due, *last);
        continue;
      }
      piece.due = last ? std::max(piece.due, *last + fault_.delay) : std::max(piece.due, now);
      last = piece.due;
    }
    if (last) last_due_ = std::min(last_due_, *last);
  }

 private:
  size_t SliceSize(StageContext& context) const {
    if (fault_.slice_bytes == 0) return SIZE_MAX;
    int64_t size = static_cast<int64_t>(fault_.slice_bytes);
    const int64_t variation =
        std::min(static_cast<int64_t>(fault_.slice_variation), size - 1);
    if (variation > 0) {
      std::uniform_int_distribution<int64_t> offset(-variation, variation);
      size += offset(context.rng());
    }
    return static_cast<size_t>(std::max<int64_t>(1, size));
  }

  bool started_ = false;
  TimePoint last_due_{};
};

}  // namespace

std::unique_ptr<Stage> NewSlicerStage(const ProxyFault& fault) {
  return std::make_unique<SlicerStage>(fault);
}

}  // namespace faultline
