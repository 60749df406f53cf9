// A fault stage: one fault kind acting on one direction of one proxied
// connection. Each direction of a connection holds a chain of stages, one
// per active fault that applies to it (its direction matches and its
// `fraction` draw said yes), in the order of the fault list. A direction
// without stages does not use them at all: it writes what it reads straight
// through (the hot path).
//
// What a stage sees: the pieces one read produced (bytes, the FIN or a reset), each
// with the time it may be written at (`due`), after the stages before it
// have had their say; and the connection, through StageContext (time,
// random draws, timers, close, reset). What it may do: move a piece's due
// time later (never earlier than the piece before it: a direction keeps its
// order), split a piece, drop pieces (the FIN too), append a Close or a
// Reset piece (the connection is closed or reset when the writer reaches
// it, so the faults ahead of the stage delay it), or close or reset the
// connection at once. Memory is held only by pieces waiting in the
// direction's queue: the direction stops reading while kProxyMaxQueuedBytes
// wait.
//
// The connection-level kinds (hang, reset, refuse, connect_hang) are not
// stages: they act on the connection or the listener (proxy_connection.cc,
// proxy.cc, faults/connect_hang.cc).
#pragma once

#include <memory>
#include <random>
#include <vector>

#include "harness/common/clock.h"
#include "harness/proxy/fault.h"

namespace faultline {

struct Piece {
  enum class Kind {
    kData,   // `data` goes to the peer
    kFin,    // the peer's FIN: shutdown(SHUT_WR) on the other side
    kClose,  // close the whole connection (FIN to both peers)
    kReset,      // reset the whole connection (RST to both peers): reset_peer's
    kPeerReset,  // a peer's reset, passed on behind the data it followed (RST
                 // to the other peer)
  };
  Kind kind = Kind::kData;
  std::vector<char> data;
  TimePoint due{};
  // The due time it had when it entered the stages (when it was read, or
  // what the HTTP layer gave it); a piece a stage makes from another keeps
  // that one's. Stage::Retime starts from it.
  TimePoint entered{};
};
using Pieces = std::vector<Piece>;

/// A queued piece as Stage::Retime sees it.
struct PieceTiming {
  Piece::Kind kind = Piece::Kind::kData;
  size_t bytes = 0;
  TimePoint due{};
};

/// The connection as a stage sees it. Every call on the proxy's thread.
class StageContext {
 public:
  virtual TimePoint Now() const = 0;
  /// The proxy's seeded generator: draws repeat with the seed and the
  /// order of events.
  virtual std::mt19937_64& rng() = 0;
  /// A timer that dies with the connection. A callback that closes or
  /// resets the connection must return at once after that call: the
  /// stage may be gone.
  virtual std::unique_ptr<Timer> NewTimer() = 0;
  /// Closes both sides now (FIN), dropping what is queued.
  virtual void CloseConnection() = 0;
  /// Closes both sides now with RST (SO_LINGER 0).
  virtual void ResetConnection() = 0;
  /// Counts bytes a stage dropped.
  virtual void CountDropped(size_t bytes) = 0;

 protected:
  ~StageContext() = default;
};

class Stage {
 public:
  explicit Stage(ProxyFault fault) : fault_(std::move(fault)) {}
  virtual ~Stage() = default;
  Stage(const Stage&) = delete;
  Stage& operator=(const Stage&) = delete;

  const ProxyFault& fault() const { return fault_; }

  /// The fault begins to apply to this direction of the connection.
  virtual void Start(StageContext&) {}
  /// The same fault (same name and kind) with new parameters, e.g. a
  /// ramp's next step: the stage keeps its state (its start time, the
  /// bytes it counted) and takes the new values.
  virtual void Update(const ProxyFault& fault, StageContext&) { fault_ = fault; }
  /// What one read produced, in order (at most one FIN, last), passes
  /// through the stage. See the header comment for what it may do.
  virtual void Process(Pieces& pieces, StageContext& context) = 0;
  /// The direction's faults changed (a fault's values, or a fault ended)
  /// while pieces wait in its queue. `queued` holds them, in order, each
  /// `due` what the stages before this one give it from when it entered
  /// (Piece::entered): add this stage's delay as if the data came again,
  /// pacing from `now` what it paces, and lower the stage's own pacing
  /// state to follow them. The connection then keeps, for each piece, the
  /// sooner of its old due time and this one (never before `now`): a kept
  /// hold never grows, and one the new values shorten or end (bandwidth 0
  /// raised, latency lowered, a fault removed) ends. Default: no hold.
  virtual void Retime(std::vector<PieceTiming>& queued, TimePoint now) {
    (void)queued;
    (void)now;
  }
  /// The largest data piece the stage would have made of what waits when
  /// Retime comes (bandwidth: 20 ms worth at its new rate); 0: any size.
  /// The connection splits larger ones first, so bytes held at 0 B/s go
  /// steadily once the rate is raised, not in the 16 KiB of a read.
  virtual size_t MaxPieceBytes() const { return 0; }
  /// Whether removing the fault closes the connection (timeout: a
  /// connection whose bytes were dropped cannot be trusted any more).
  virtual bool ClosesOnRemoval() const { return false; }

 protected:
  ProxyFault fault_;
};

/// A stage that acts on the connection `fault().timeout` after it started
/// (timeout, reset_peer); a timeout of 0 arms nothing. A new timeout
/// counts from the same start.
class DeadlineStage : public Stage {
 public:
  using Stage::Stage;
  void Start(StageContext& context) override;
  void Update(const ProxyFault& fault, StageContext& context) override;

 protected:
  /// The deadline passed. Closes or resets the connection and returns at
  /// once: the stage may be gone after that call.
  virtual void OnDeadline(StageContext& context) = 0;

 private:
  void Arm(StageContext& context);
  TimePoint started_{};
  std::unique_ptr<Timer> timer_;
};

/// The stage for a per-direction kind; nullptr for the connection-level
/// kinds. One file per kind in harness/proxy/faults/.
std::unique_ptr<Stage> NewStage(const ProxyFault& fault);

std::unique_ptr<Stage> NewLatencyStage(const ProxyFault& fault);
std::unique_ptr<Stage> NewBandwidthStage(const ProxyFault& fault);
std::unique_ptr<Stage> NewSlowCloseStage(const ProxyFault& fault);
std::unique_ptr<Stage> NewTimeoutStage(const ProxyFault& fault);
std::unique_ptr<Stage> NewResetPeerStage(const ProxyFault& fault);
std::unique_ptr<Stage> NewSlicerStage(const ProxyFault& fault);
std::unique_ptr<Stage> NewLimitDataStage(const ProxyFault& fault);

/// Whether `kind` acts on the connection or the listener rather than on a
/// direction's bytes (hang, reset, refuse, connect_hang).
bool IsConnectionLevel(ProxyFault::Kind kind);

/// Whether `fault` acts on the direction client -> upstream (or the
/// reverse when !to_upstream).
bool CoversDirection(const ProxyFault& fault, bool to_upstream);

/// The fault's identity within a proxy: its name, or its kind's name.
std::string FaultName(const ProxyFault& fault);

}  // namespace faultline
