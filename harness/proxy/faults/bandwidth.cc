// bandwidth: a token bucket without burst on the proxy's clock. A piece of
// n bytes is due when the link, busy with the pieces before it, has had
// n / bytes_per_second to carry it. Pieces larger than 20 ms worth of bytes
// are split so a slow link delivers steadily. 0 B/s holds the data (and
// the FIN behind it) for as long as the fault lasts.
#include <algorithm>

#include "harness/proxy/stage.h"

namespace faultline {
namespace {

class BandwidthStage final : public Stage {
 public:
  using Stage::Stage;

  void Start(StageContext& context) override { free_at_ = context.Now(); }

  void Process(Pieces& pieces, StageContext&) override {
    const uint64_t rate = fault_.bytes_per_second;
    if (rate == 0) {
      // Nothing gets through while the fault lasts: due "never" (a year).
      for (Piece& piece : pieces) piece.due = std::max(piece.due, free_at_ + kNever);
      return;
    }
    const size_t step = std::max<uint64_t>(1, rate / 50);
    Pieces out;
    for (Piece& piece : pieces) {
      if (piece.kind != Piece::Kind::kData) {
        piece.due = std::max(piece.due, free_at_);
        out.push_back(std::move(piece));
        continue;
      }
      for (size_t at = 0; at < piece.data.size(); at += step) {
        const size_t n = std::min(step, piece.data.size() - at);
        Piece part;
        part.entered = piece.entered;
        if (at == 0 && n == piece.data.size()) {
          part.data = std::move(piece.data);
        } else {
          part.data.assign(piece.data.begin() + at, piece.data.begin() + at + n);
        }
        const TimePoint start = std::max(piece.due, free_at_);
        free_at_ = start + CarryTime(n, rate);
        part.due = free_at_;
        out.push_back(std::move(part));
      }
    }
    pieces = std::move(out);
  }

  size_t MaxPieceBytes() const override {
    const uint64_t rate = fault_.bytes_per_second;
    return rate == 0 ? 0 : static_cast<size_t>(std::max<uint64_t>(1, rate / 50));
  }

  // What waits is carried at the new rate from now; at 0 B/s it stays held.
  void Retime(std::vector<PieceTiming>& queued, TimePoint now) override {
    const uint64_t rate = fault_.bytes_per_second;
    if (rate == 0) {
      for (PieceTiming& piece : queued) piece.due = std::max(piece.due, now + kNever);
      return;
    }
    TimePoint free = now;
    for (PieceTiming& piece : queued) {
      const TimePoint start = std::max(piece.due, free);
      if (piece.kind == Piece::Kind::kData) {
        free = start + CarryTime(piece.bytes, rate);
      }
      piece.due = piece.kind == Piece::Kind::kData ? free : start;
    }
    free_at_ = std::min(free_at_, free);
  }

 private:
  static constexpr Duration kNever = std::chrono::hours(24 * 365);

  // How long the link takes to carry `bytes` at `rate` (> 0) bytes per second.
  static Duration CarryTime(uint64_t bytes, uint64_t rate) {
    return std::chrono::duration_cast<Duration>(
        std::chrono::duration<double>(double(bytes) / double(rate)));
  }
  TimePoint free_at_{};  // when the link has carried everything so far
};

}  // namespace

std::unique_ptr<Stage> NewBandwidthStage(const ProxyFault& fault) {
  return std::make_unique<BandwidthStage>(fault);
}

}  // namespace faultline
