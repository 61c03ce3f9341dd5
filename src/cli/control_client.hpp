// SPDX-License-Identifier: GPL-2.0-or-later
// One request to the daemon's control socket and its response (see src/daemon/control_server.hpp).
//
// Every call has one deadline for the whole exchange: connect, write and read. A daemon that is stopped
// (SIGSTOP), busy, or whose listen backlog is full costs the caller at most that long, never more.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace uplinkd {

// What the operator's commands wait for an answer (a reload re-reads the config and resyncs: milliseconds).
inline constexpr std::chrono::milliseconds kDefaultTimeout{5000};

// Throws std::runtime_error with the socket path when the daemon cannot be reached or does not answer
// within `timeout`.
nlohmann::json call_daemon(const std::string& socket_path, const nlohmann::json& request,
                           std::chrono::milliseconds timeout = kDefaultTimeout);

// The same with a request line sent as it is, unchecked: `uplinkctl call`, and tests of the daemon's own
// validation.
nlohmann::json call_daemon_raw(const std::string& socket_path, const std::string& request_line,
                               std::chrono::milliseconds timeout = kDefaultTimeout);

// A connection to the control socket whose every step waits at most until a deadline. Errors are
// std::runtime_error naming the socket path.
class ControlConnection {
 public:
  using Clock = std::chrono::steady_clock;

  // Connects before `deadline`. A full listen backlog is not a refusal: the connect is tried again until
  // the deadline.
  ControlConnection(std::string socket_path, Clock::time_point deadline);
  ~ControlConnection();
  ControlConnection(const ControlConnection&) = delete;
  ControlConnection& operator=(const ControlConnection&) = delete;

  void send_line(const std::string& line, Clock::time_point deadline);
  // The next line without its newline; nothing at the end of the stream (a last line without its newline was
  // cut short and is not a line). No deadline: wait as long as it takes.
  std::optional<std::string> read_line(std::optional<Clock::time_point> deadline);

  const std::string& path() const { return path_; }

 private:
  std::string path_;
  int fd_ = -1;
  std::string pending_;
  bool ended_ = false;
};

// How long to wait, from text in seconds ("3", "0.5"); nothing when it is not a positive number of at most an
// hour.
std::optional<std::chrono::milliseconds> parse_timeout(const std::string& seconds);

}  // namespace uplinkd
