// orders-service: a small HTTP service that reproduces the incident
// faultline exists to catch.
//
// The story. GET /order?id=N reserves stock by calling the inventory
// service. One day inventory hangs: it accepts connections and never
// answers. What happens to orders-service depends on one thing, whether a
// deadline travels down its call tree:
//
//   --mode naive      HandleOrderNaive -> ReserveStockNaive
//                       -> Inventory::GetStockWithoutDeadline
//                     Nothing ever gives up. Each stuck request holds its
//                     connection's thread (and its memory) forever; threads
//                     grow with every request until the process falls over,
//                     and they stay stuck after inventory recovers.
//
//   --mode propagate  HandleOrder(deadline) -> ReserveStock(deadline)
//                       -> Inventory::GetStock(deadline)
//                     One deadline (now + budget) is made where the request
//                     enters and passed down as the first parameter; the
//                     outbound call's timeouts are what it has left. The same
//                     fault becomes a stream of 504s, stuck threads are
//                     bounded by rate x budget, and the service recovers by
//                     itself when inventory does.
//
// The server runs one thread per connection (targets/common), as Go's
// net/http runs a goroutine per connection, so the pile-up shows as threads.
#pragma once

#include <httplib.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "harness/common/units.h"
#include "targets/orders/deadline.h"
#include "targets/orders/inventory.h"

namespace faultline::orders {

enum class Mode { kPropagate, kNaive };

/// "propagate" or "naive"; nullopt otherwise.
std::optional<Mode> ParseMode(std::string_view text);
std::string_view ModeName(Mode mode);

struct Options {
  std::string inventory_url;                  // "http://127.0.0.1:PORT"
  Mode mode = Mode::kPropagate;               // whether a deadline travels
  Duration budget = std::chrono::seconds(2);  // per request; propagate only
};

/// The HTTP answer to an order.
struct Reply {
  int status = 500;
  std::string body;
};

// The two call chains, side by side. They differ in one parameter.
Reply HandleOrder(Deadline deadline, const Inventory& inventory, int id);
StockReply ReserveStock(Deadline deadline, const Inventory& inventory, int id);

Reply HandleOrderNaive(const Inventory& inventory, int id);
StockReply ReserveStockNaive(const Inventory& inventory, int id);

/// Registers on `server`:
///   GET /healthz     200 "ok"
///   GET /order?id=N  200 {"order":N,"stock":"<inventory's body>"};
///                    504 "deadline exceeded after <budget> calling inventory";
///                    502 on any other inventory failure; 400 without a valid id.
void RegisterRoutes(httplib::Server& server, const Options& options);

}  // namespace faultline::orders
