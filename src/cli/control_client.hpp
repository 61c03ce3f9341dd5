// One request to the daemon's control socket and its response (see src/daemon/control_server.hpp).
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

namespace uplinkd {

// Throws std::runtime_error with the socket path when the daemon cannot be reached or does not answer
// within `timeout`.
nlohmann::json call_daemon(const std::string& socket_path, const nlohmann::json& request,
                           std::chrono::milliseconds timeout = std::chrono::seconds(5));

// The same with a request line sent as it is, unchecked: `uplinkctl call`, and tests of the daemon's own
// validation.
nlohmann::json call_daemon_raw(const std::string& socket_path, const std::string& request_line,
                               std::chrono::milliseconds timeout = std::chrono::seconds(5));

}  // namespace uplinkd
