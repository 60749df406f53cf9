#include "targets/orders/orders.h"

#include <charconv>
#include <nlohmann/json.hpp>

namespace faultline::orders {
namespace {

std::optional<int> ParseId(const std::string& text) {
  int id = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (error != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return id;
}

// Shared by both chains: how an inventory answer becomes the order's reply.
Reply ToReply(const StockReply& stock, int id, Duration budget) {
  switch (stock.kind) {
    case StockReply::Kind::kOk:
      return {200, nlohmann::json{{"order", id}, {"stock", stock.text}}.dump()};
    case StockReply::Kind::kDeadlineExceeded:
      return {504, "deadline exceeded after " + FormatDuration(budget) + " calling inventory"};
    case StockReply::Kind::kFailed:
      break;
  }
  return {502, "inventory: " + stock.text};
}

}  // namespace

std::optional<Mode> ParseMode(std::string_view text) {
  if (text == "propagate") return Mode::kPropagate;
  if (text == "naive") return Mode::kNaive;
  return std::nullopt;
}

std::string_view ModeName(Mode mode) { return mode == Mode::kPropagate ? "propagate" : "naive"; }

// --- propagate: the deadline is the first parameter all the way down. -----

Reply HandleOrder(Deadline deadline, const Inventory& inventory, int id) {
  return ToReply(ReserveStock(deadline, inventory, id), id, deadline.budget());
}

StockReply ReserveStock(Deadline deadline, const Inventory& inventory, int id) {
  return inventory.GetStock(deadline, id);
}

// --- naive: the same chain with nothing that could ever give up. ----------

Reply HandleOrderNaive(const Inventory& inventory, int id) {
  // Never kDeadlineExceeded, so the budget in ToReply is never printed.
  return ToReply(ReserveStockNaive(inventory, id), id, Duration::zero());
}

StockReply ReserveStockNaive(const Inventory& inventory, int id) {
  return inventory.GetStockWithoutDeadline(id);
}

// ---------------------------------------------------------------------------

void RegisterRoutes(httplib::Server& server, const Options& options) {
  server.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok", "text/plain");
  });

  server.Get("/order", [options](const httplib::Request& req, httplib::Response& res) {
    const std::optional<int> id = ParseId(req.get_param_value("id"));
    if (!id) {
      res.status = 400;
      res.set_content("want /order?id=<integer>", "text/plain");
      return;
    }
    const Inventory inventory(options.inventory_url, req.get_header_value("traceparent"));
    const Reply reply = options.mode == Mode::kPropagate
                            // The one place the deadline is created: where the request enters.
                            ? HandleOrder(Deadline::After(options.budget), inventory, *id)
                            : HandleOrderNaive(inventory, *id);
    res.status = reply.status;
    res.set_content(reply.body, reply.status == 200 ? "application/json" : "text/plain");
  });
}

}  // namespace faultline::orders
