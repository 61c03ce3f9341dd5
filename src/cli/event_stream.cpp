#include "cli/event_stream.hpp"

#include <sys/socket.h>
#include <sys/time.h>

#include <stdexcept>

namespace uplinkd {
namespace {

using asio::local::stream_protocol;

// A zero timeout means none.
void set_timeout(stream_protocol::socket& socket, int option, std::chrono::milliseconds timeout) {
  timeval limit{static_cast<time_t>(timeout.count() / 1000),
                static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
  setsockopt(socket.native_handle(), SOL_SOCKET, option, &limit, sizeof limit);
}

// Nothing at the end of the stream: a last line without its newline was cut short and is not a line.
std::optional<std::string> read_line(stream_protocol::socket& socket, asio::streambuf& buffer,
                                     std::error_code& error) {
  // Lines that came with an earlier read are still in the buffer; read_until looks there first.
  size_t size = asio::read_until(socket, buffer, '\n', error);
  if (error) return std::nullopt;
  std::string line(asio::buffers_begin(buffer.data()),
                   asio::buffers_begin(buffer.data()) + static_cast<long>(size) - 1);
  buffer.consume(size);
  return line;
}

}  // namespace

EventStream::EventStream(const std::string& socket_path, const nlohmann::json& request,
                         std::chrono::milliseconds timeout)
    : path_(socket_path), socket_(io_) {
  std::error_code error;
  socket_.connect(stream_protocol::endpoint(path_), error);
  if (error) throw std::runtime_error("cannot reach uplinkd at " + path_ + ": " + error.message());
  // Blocking calls, as in call_daemon: the response must come within the timeout; events may take forever.
  set_timeout(socket_, SO_RCVTIMEO, timeout);
  set_timeout(socket_, SO_SNDTIMEO, timeout);
  asio::write(socket_, asio::buffer(request.dump() + "\n"), error);
  if (error) throw std::runtime_error("cannot send to uplinkd at " + path_ + ": " + error.message());

  std::optional<std::string> line = read_line(socket_, buffer_, error);
  if (!line) throw std::runtime_error("no answer from uplinkd at " + path_ + ": " + error.message());
  response_ = nlohmann::json::parse(*line, nullptr, /*allow_exceptions=*/false);
  if (response_.is_discarded() || !response_.is_object())
    throw std::runtime_error("uplinkd at " + path_ + " sent something that is not JSON");
  set_timeout(socket_, SO_RCVTIMEO, std::chrono::milliseconds(0));
}

std::optional<std::string> EventStream::next_line() {
  std::error_code error;
  std::optional<std::string> line = read_line(socket_, buffer_, error);
  if (error && error != asio::error::eof)
    throw std::runtime_error("reading from uplinkd at " + path_ + ": " + error.message());
  return line;
}

}  // namespace uplinkd
