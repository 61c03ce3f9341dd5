// SPDX-License-Identifier: GPL-2.0-or-later
#include "cli/event_stream.hpp"

#include <stdexcept>

namespace uplinkd {

// The response must come within the timeout (connect, request and response share it); events may take
// forever.
EventStream::EventStream(const std::string& socket_path, const nlohmann::json& request,
                         std::chrono::milliseconds timeout)
    : deadline_(ControlConnection::Clock::now() + timeout), connection_(socket_path, deadline_) {
  connection_.send_line(request.dump(), deadline_);
  std::optional<std::string> line = connection_.read_line(deadline_);
  if (!line)
    throw std::runtime_error("no answer from uplinkd at " + socket_path + ": it closed the connection");
  response_ = nlohmann::json::parse(*line, nullptr, /*allow_exceptions=*/false);
  if (response_.is_discarded() || !response_.is_object())
    throw std::runtime_error("uplinkd at " + socket_path + " sent something that is not JSON");
}

std::optional<std::string> EventStream::next_line() {
  return connection_.read_line(std::nullopt);
}

}  // namespace uplinkd
