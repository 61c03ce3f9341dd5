// SPDX-License-Identifier: GPL-2.0-or-later
// A subscription to the daemon's events (`uplinkctl events`): the request, its response, then one JSON line
// per event until the daemon closes the connection (see src/daemon/control_server.hpp).
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "cli/control_client.hpp"

namespace uplinkd {

class EventStream {
 public:
  // Connects, sends `request` and reads its response. Throws std::runtime_error with the socket path when
  // the daemon cannot be reached, does not answer within `timeout`, or answers with something not JSON.
  EventStream(const std::string& socket_path, const nlohmann::json& request,
              std::chrono::milliseconds timeout = kDefaultTimeout);

  // {"ok": true} when subscribed; otherwise the daemon's error, and no lines follow.
  const nlohmann::json& response() const { return response_; }

  // The next line as the daemon sent it, without its newline; nothing once the daemon has closed the stream.
  // Waits as long as it takes: events come when uplinks change, which may be never.
  std::optional<std::string> next_line();

 private:
  ControlConnection::Clock::time_point deadline_;  // of the response; before connection_, which uses it
  ControlConnection connection_;
  nlohmann::json response_;
};

}  // namespace uplinkd
