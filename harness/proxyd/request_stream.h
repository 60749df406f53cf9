// RequestStream: one whole HTTP request (head and body, already read by the
// control API's accepting thread) as cpp-httplib's Stream, for its request
// handling on a worker thread (api_server.cc).
//
// Reading never touches the socket: past the request's bytes is the end of
// the stream, so a worker never waits for a client's bytes. Writing goes to
// the non-blocking socket `fd`, each wait for it at most kWriteTimeout.
// Does not own `fd`.
#pragma once

#include <httplib.h>

#include <chrono>
#include <string>

namespace faultline {

class RequestStream final : public httplib::Stream {
 public:
  static constexpr std::chrono::seconds kWriteTimeout{5};

  RequestStream(int fd, std::string request) : fd_(fd), request_(std::move(request)) {}

  bool is_readable() const override { return pos_ < request_.size(); }
  bool is_writable() const override;
  ssize_t read(char* ptr, size_t size) override;
  ssize_t write(const char* ptr, size_t size) override;
  void get_remote_ip_and_port(std::string& ip, int& port) const override;
  void get_local_ip_and_port(std::string& ip, int& port) const override;
  socket_t socket() const override { return fd_; }

 private:
  const int fd_;
  const std::string request_;
  size_t pos_ = 0;
};

}  // namespace faultline
