// Include Boost.Asio through this header. Boost 1.74's asio/awaitable.hpp uses
// std::exchange without including <utility> under GCC 12 and -std=c++20.
#pragma once
#include <utility>
#include <boost/asio.hpp>

namespace faultline {
namespace asio = boost::asio;
using tcp = boost::asio::ip::tcp;
}  // namespace faultline
