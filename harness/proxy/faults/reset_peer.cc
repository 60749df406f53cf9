// reset_peer: both sides of the connection are reset (RST, SO_LINGER 0)
// `timeout` after the fault applied to it; with timeout 0, when the
// direction's first data reaches it (that data is not forwarded): the reset
// takes the data's place in the queue, so a fault listed before it (latency)
// delays it, as Toxiproxy's stacked toxics do.
#include "harness/proxy/stage.h"

namespace faultline {
namespace {

class ResetPeerStage final : public DeadlineStage {
 public:
  using DeadlineStage::DeadlineStage;

  void Process(Pieces& pieces, StageContext& context) override {
    if (fault_.timeout.count() > 0) return;
    for (size_t i = 0; i < pieces.size(); ++i) {
      if (!queued_ && pieces[i].kind != Piece::Kind::kData) continue;
      // From the first data on, nothing passes: the reset goes in its place.
      Piece reset{Piece::Kind::kReset, {}, pieces[i].due, pieces[i].entered};
      for (size_t j = i; j < pieces.size(); ++j) context.CountDropped(pieces[j].data.size());
      pieces.resize(i);
      if (!queued_) pieces.push_back(std::move(reset));
      queued_ = true;
      return;
    }
  }

 private:
  bool queued_ = false;  // the reset is on its way: what follows it is dropped

  void OnDeadline(StageContext& context) override { context.ResetConnection(); }
};

}  // namespace

std::unique_ptr<Stage> NewResetPeerStage(const ProxyFault& fault) {
  return std::make_unique<ResetPeerStage>(fault);
}

}  // namespace faultline
