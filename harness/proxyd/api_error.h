// ApiError and ApiResult: the outcome of a control-API operation, in
// Toxiproxy's terms: an HTTP status and a message, which the API renders as
// {"error": message, "status": status}. The registry returns them too, so
// that a proxy created from the command line or a config file fails with the
// same words as one created over HTTP.
#pragma once

#include <optional>
#include <string>
#include <utility>

namespace faultline {

struct ApiError {
  int status = 500;     // 400 bad request, 404 not found, 409 conflict, 500 could not do it
  std::string message;  // "proxy not found", "bad request body: ..."
};

inline ApiError BadRequest(std::string message) { return {400, std::move(message)}; }
inline ApiError BadRequestBody(const std::string& why) {
  return {400, "bad request body: " + why};
}

/// A value or the ApiError explaining why there is none.
template <typename T>
class ApiResult {
 public:
  ApiResult(T value) : value_(std::move(value)) {}        // NOLINT: implicit by design
  ApiResult(ApiError error) : error_(std::move(error)) {}  // NOLINT
  bool ok() const { return value_.has_value(); }
  const ApiError& error() const { return error_; }
  T& operator*() { return *value_; }
  const T& operator*() const { return *value_; }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }

 private:
  std::optional<T> value_;
  ApiError error_;
};

/// For operations that return nothing: nullopt when they succeeded.
using ApiFailure = std::optional<ApiError>;

}  // namespace faultline
