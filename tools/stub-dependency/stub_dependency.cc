#include "tools/stub-dependency/stub_dependency.h"

#include <array>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <optional>
#include <string>
#include <utility>

namespace faultline::stub {
namespace {

namespace http = boost::beast::http;
using boost::system::error_code;

constexpr uint64_t kMaxRequestBody = 64ull << 20;  // read and dropped; past this, 400
constexpr uint32_t kMaxRequestHead = 64 << 10;

std::string Head(int status, size_t content_length, bool keep_alive, unsigned version) {
  std::string head =
      "HTTP/1.1 " + std::to_string(status) + " " +
      std::string(http::obsolete_reason(static_cast<http::status>(status))) +
      "\r\nContent-Type: text/plain\r\nContent-Length: " + std::to_string(content_length) + "\r\n";
  if (!keep_alive) {
    head += "Connection: close\r\n";
  } else if (version == 10) {
    head += "Connection: keep-alive\r\n";
  }
  return head + "\r\n";
}

}  // namespace

class StubServer::Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(tcp::socket socket, std::shared_ptr<const Options> options,
             std::shared_ptr<const std::string> body)
      : socket_(std::move(socket)),
        timer_(socket_.get_executor()),
        options_(std::move(options)),
        body_(std::move(body)) {}

  void Read() {
    parser_.emplace();
    parser_->body_limit(kMaxRequestBody);
    parser_->header_limit(kMaxRequestHead);
    // Idle (or a request that takes this long to arrive): closed, which ends the read.
    reading_ = true;
    timer_.expires_after(options_->idle_timeout);
    timer_.async_wait([self = shared_from_this()](const error_code& ec) {
      if (!ec && self->reading_) self->Close();
    });
    http::async_read(socket_, buffer_, *parser_,
                     [self = shared_from_this()](const error_code& ec, size_t) {
                       self->reading_ = false;
                       self->timer_.cancel();
                       self->OnRequest(ec);
                     });
  }

 private:
  void OnRequest(const error_code& ec) {
    if (ec == http::error::end_of_stream || !socket_.is_open()) return Close();
    if (ec) {
      // A request it cannot read: say so, as servers do, unless the peer is gone.
      const bool parse_error =
          ec.category() == http::make_error_code(http::error::bad_target).category() &&
          ec != http::error::partial_message;
      if (parse_error) {
        return Answer(400, std::make_shared<const std::string>("bad request\n"), false, false, 11);
      }
      return Close();
    }
    const auto& request = parser_->get();
    const bool keep_alive = request.keep_alive();
    const bool head = request.method() == http::verb::head;
    const unsigned version = request.version();
    const std::string_view target(request.target().data(), request.target().size());
    if (target.substr(0, target.find('?')) == "/healthz") {
      static const auto ok = std::make_shared<const std::string>("ok");
      return Answer(200, ok, keep_alive, head, version);
    }
    if (options_->latency <= Duration::zero()) {
      return Answer(options_->status, body_, keep_alive, head, version);
    }
    timer_.expires_after(options_->latency);
    timer_.async_wait(
        [self = shared_from_this(), keep_alive, head, version](const error_code& wait) {
          if (wait) return;  // closed meanwhile
          self->Answer(self->options_->status, self->body_, keep_alive, head, version);
        });
  }

  void Answer(int status, std::shared_ptr<const std::string> body, bool keep_alive, bool head,
              unsigned version) {
    head_ = Head(status, body->size(), keep_alive, version);
    answering_ = std::move(body);
    std::array<asio::const_buffer, 2> buffers{
        asio::buffer(head_), head ? asio::const_buffer() : asio::buffer(*answering_)};
    asio::async_write(socket_, buffers,
                      [self = shared_from_this(), keep_alive](const error_code& ec, size_t) {
                        if (ec || !keep_alive) return self->Close();
                        self->Read();
                      });
  }

  void Close() {
    error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

  tcp::socket socket_;
  asio::steady_timer timer_;  // the idle limit while reading, the latency before answering
  std::shared_ptr<const Options> options_;
  std::shared_ptr<const std::string> body_;
  boost::beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::string head_;                              // the answer's head, while it is written
  std::shared_ptr<const std::string> answering_;  // its body, while it is written
  bool reading_ = false;                          // the idle limit applies
};

StubServer::StubServer(asio::io_context& io, const Options& options, uint16_t port)
    : io_(io),
      acceptor_(io),
      options_(std::make_shared<const Options>(options)),
      body_(std::make_shared<const std::string>(options.body_size, 'x')) {
  const tcp::endpoint endpoint(asio::ip::address_v4::loopback(), port);
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(tcp::acceptor::reuse_address(true));
  acceptor_.bind(endpoint);
  acceptor_.listen(asio::socket_base::max_listen_connections);
  port_ = acceptor_.local_endpoint().port();
  Accept();
}

StubServer::~StubServer() {
  error_code ignored;
  acceptor_.close(ignored);
}

void StubServer::Accept() {
  // The handlers may run after the server is gone (destroyed on the io
  // thread with a completion queued): they return when `alive` has expired.
  acceptor_.async_accept(
      [this, alive = std::weak_ptr<int>(alive_)](const error_code& ec, tcp::socket socket) {
        if (alive.expired() || !acceptor_.is_open()) return;
        if (ec) {
          // Out of fds, most likely: try again shortly rather than spin.
          auto retry = std::make_shared<asio::steady_timer>(io_, std::chrono::milliseconds(10));
          retry->async_wait([this, retry, alive](const error_code&) {
            if (!alive.expired()) Accept();
          });
          return;
        }
        error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        std::make_shared<Connection>(std::move(socket), options_, body_)->Read();
        Accept();
      });
}

}  // namespace faultline::stub
