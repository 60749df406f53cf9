#include "targets/orders/inventory.h"

#include <httplib.h>

#include <chrono>

namespace faultline::orders {
namespace {

std::string StockPath(int id) { return "/stock?id=" + std::to_string(id); }

// The caller's trace context, passed on as it came.
httplib::Headers TraceHeaders(const std::string& traceparent) {
  if (traceparent.empty()) return {};
  return {{"traceparent", traceparent}};
}

StockReply FromResult(const std::string& path, const httplib::Result& result) {
  if (!result) {
    return {StockReply::Kind::kFailed, "GET " + path + ": " + httplib::to_string(result.error())};
  }
  if (result->status != 200) {
    return {StockReply::Kind::kFailed,
            "GET " + path + ": answered " + std::to_string(result->status)};
  }
  return {StockReply::Kind::kOk, result->body};
}

}  // namespace

StockReply Inventory::GetStock(Deadline deadline, int id) const {
  if (deadline.expired()) return {StockReply::Kind::kDeadlineExceeded, ""};

  // cpp-httplib waits with poll() in whole milliseconds, rounding down;
  // rounding up instead makes a timeout fire at or just after the deadline,
  // so that when it fires, deadline.expired() below is true.
  const auto timeout = std::chrono::ceil<std::chrono::milliseconds>(deadline.remaining());
  httplib::Client client(base_url_);
  client.set_tcp_nodelay(true);  // the request's header and body go out at once
  client.set_connection_timeout(timeout);
  client.set_write_timeout(timeout);
  client.set_read_timeout(timeout);  // per read, hence also the check below

  // The read timeout restarts with every chunk received, so a dependency
  // dripping bytes could outlast it; the progress callback cancels the
  // download between chunks once the deadline has passed.
  const std::string path = StockPath(id);
  auto result = client.Get(path, TraceHeaders(traceparent_),
                           [&deadline](uint64_t, uint64_t) { return !deadline.expired(); });
  if (!result && deadline.expired()) return {StockReply::Kind::kDeadlineExceeded, ""};
  return FromResult(path, result);
}

StockReply Inventory::GetStockWithoutDeadline(int id) const {
  httplib::Client client(base_url_);
  client.set_tcp_nodelay(true);
  // "No timeouts" has to be spelled out: cpp-httplib's DEFAULT read timeout
  // (5 s) is itself a hidden deadline, and the code it would protect is the
  // code that never chose one. The incident had none, so neither does this.
  const auto forever = std::chrono::hours(24);
  client.set_connection_timeout(forever);
  client.set_write_timeout(forever);
  client.set_read_timeout(forever);
  const std::string path = StockPath(id);
  return FromResult(path, client.Get(path, TraceHeaders(traceparent_)));
}

}  // namespace faultline::orders
