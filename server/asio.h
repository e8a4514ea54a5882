// The one header that includes Boost.Asio. Boost 1.74's asio/awaitable.hpp uses std::exchange without
// including <utility>, which GCC 12 in C++20 rejects; including <utility> first fixes it everywhere.
#pragma once

#include <utility>

#include <boost/asio.hpp>

namespace latchkey {
namespace asio = boost::asio;
using tcp = boost::asio::ip::tcp;
}  // namespace latchkey
