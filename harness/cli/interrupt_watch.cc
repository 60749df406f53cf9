#include "harness/cli/interrupt_watch.h"

#include <csignal>

#include "harness/common/asio.h"

namespace faultline {

class InterruptWatch::Impl {
 public:
  Impl() : signals_(io_, SIGINT, SIGTERM, SIGHUP) {
    signals_.async_wait([this](const boost::system::error_code& ec, int) {
      if (!ec) interrupted_ = true;
    });
  }

  bool Interrupted() {
    if (interrupted_) return true;
    // Runs the handler of a signal another loop read from Asio's pipe, or
    // reads the pipe itself when no loop has since the signal came.
    io_.restart();
    io_.poll();
    return interrupted_;
  }

 private:
  asio::io_context io_;
  asio::signal_set signals_;
  bool interrupted_ = false;
};

InterruptWatch::InterruptWatch() : impl_(std::make_unique<Impl>()) {}
InterruptWatch::~InterruptWatch() = default;
bool InterruptWatch::Interrupted() { return impl_->Interrupted(); }

}  // namespace faultline
