#include "cli/control_client.hpp"

#include <sys/socket.h>
#include <sys/time.h>

#include <asio.hpp>
#include <stdexcept>

namespace uplinkd {

nlohmann::json call_daemon(const std::string& socket_path, const nlohmann::json& request,
                           std::chrono::milliseconds timeout) {
  return call_daemon_raw(socket_path, request.dump(), timeout);
}

nlohmann::json call_daemon_raw(const std::string& socket_path, const std::string& request_line,
                               std::chrono::milliseconds timeout) {
  using asio::local::stream_protocol;
  asio::io_context io;
  stream_protocol::socket socket(io);
  std::error_code error;
  socket.connect(stream_protocol::endpoint(socket_path), error);
  if (error) throw std::runtime_error("cannot reach uplinkd at " + socket_path + ": " + error.message());
  // Blocking calls with a receive/send timeout: a CLI makes one request, so an event loop would add nothing.
  timeval limit{static_cast<time_t>(timeout.count() / 1000),
                static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
  setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  setsockopt(socket.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);

  asio::write(socket, asio::buffer(request_line + "\n"), error);
  if (error) throw std::runtime_error("cannot send to uplinkd at " + socket_path + ": " + error.message());
  asio::streambuf buffer;
  size_t size = asio::read_until(socket, buffer, '\n', error);
  if (error && size == 0)
    throw std::runtime_error("no answer from uplinkd at " + socket_path + ": " + error.message());
  std::string line(asio::buffers_begin(buffer.data()),
                   asio::buffers_begin(buffer.data()) + static_cast<long>(size));
  auto response = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (response.is_discarded() || !response.is_object())
    throw std::runtime_error("uplinkd at " + socket_path + " sent something that is not JSON");
  return response;
}

}  // namespace uplinkd
