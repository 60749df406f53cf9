// The orders service's one outbound call: GET {inventory}/stock?id=N, in the
// two flavours side by side.
//
// Each call carries the order request's W3C `traceparent` header on, when it
// had one, so the harness can tie the inventory call to the order that
// caused it (it is passed through unchanged: this service records no spans
// of its own).
//
// Each call opens its own connection to inventory and closes it (no shared
// pool): simple, and what a stuck call holds is easy to see, one thread here
// and one socket there.
#pragma once

#include <string>
#include <utility>

#include "targets/orders/deadline.h"

namespace faultline::orders {

/// What asking inventory produced: the stock (the inventory's body), or why
/// there is none.
struct StockReply {
  enum class Kind {
    kOk,                // `text` is inventory's response body
    kDeadlineExceeded,  // the caller's deadline ran out first
    kFailed,            // refused, reset, bad status...: `text` says what
  };
  Kind kind = Kind::kFailed;
  std::string text;
};

class Inventory {
 public:
  /// `base_url` like "http://127.0.0.1:8081"; `traceparent` the incoming
  /// request's header value ("" when it had none), sent on every call.
  explicit Inventory(std::string base_url, std::string traceparent = "")
      : base_url_(std::move(base_url)), traceparent_(std::move(traceparent)) {}

  /// Gives up when `deadline` expires: every timeout of the call (connect,
  /// write, read) is the time the deadline has left, and if it has already
  /// expired the call is not made at all.
  StockReply GetStock(Deadline deadline, int id) const;

  /// Waits as long as inventory does: forever, if inventory hangs.
  StockReply GetStockWithoutDeadline(int id) const;

 private:
  std::string base_url_;
  std::string traceparent_;
};

}  // namespace faultline::orders
