// SPDX-License-Identifier: GPL-2.0-or-later
// Runs the configured `on_change` program for each uplink state change, without ever blocking the event
// loop: the program is started without capabilities (unprivileged_spawn.hpp; no shell, no PATH search),
// its exit is waited for on the loop through a pidfd, and one that outlives its timeout is killed. Changes
// run one at a time and in order, since a user's script expects to see transitions in the order they
// happened. docs/configuration.md ("on_change") is the user's side of this.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <asio/io_context.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace uplinkd {

struct StateChange {
  std::string uplink;
  std::string interface;
  std::string from;  // the state before, as `uplinkctl status` names it
  std::string to;
  std::string reason;
  std::chrono::system_clock::time_point at;
  std::string family = "ipv4";  // "ipv4" or "ipv6": each family of an uplink changes state on its own
};

// "2024-06-11T10:20:30.123Z": ISO 8601, UTC, milliseconds; what UPLINKD_TIME holds.
std::string iso8601_utc(std::chrono::system_clock::time_point at);

// The whole environment the program gets, as "NAME=value": UPLINKD_UPLINK, UPLINKD_FAMILY, UPLINKD_INTERFACE,
// UPLINKD_OLD_STATE, UPLINKD_NEW_STATE, UPLINKD_REASON, UPLINKD_TIME and a fixed PATH. Nothing of the
// daemon's own environment is passed on, so a script behaves the same however uplinkd was started.
std::vector<std::string> change_environment(const StateChange& change);

class ChangeNotifier {
 public:
  // Changes waiting behind a running program. A storm beyond this means the program cannot keep up; the
  // oldest are dropped (and logged), so the newest state always reaches it.
  static constexpr size_t kMaxQueued = 64;

  // An empty argv makes a notifier that does nothing.
  ChangeNotifier(asio::io_context& io, std::vector<std::string> argv, std::chrono::milliseconds timeout);
  // Kills a running program (SIGKILL through its pidfd) and reaps it; queued changes are dropped.
  ~ChangeNotifier();
  ChangeNotifier(const ChangeNotifier&) = delete;
  ChangeNotifier& operator=(const ChangeNotifier&) = delete;

  // Starts the program for `change` now, or queues it behind the one running. Never waits for a program
  // and never throws: failures are logged with spdlog, naming the program and the uplink.
  void notify(const StateChange& change);
  size_t running() const { return run_ ? 1 : 0; }
  size_t queued() const { return queue_.size(); }

  // For a reload: changes not yet started run with the new program and timeout; a running one finishes
  // under the old. An empty argv drops the queue.
  void set_program(std::vector<std::string> argv, std::chrono::milliseconds timeout);

 private:
  struct Run {
    uint64_t serial = 0;  // tells this run's completions from a finished run's late ones
    StateChange change;
    std::string program;  // argv[0] when it started, for messages after a set_program()
    pid_t pid = 0;
    std::chrono::steady_clock::time_point started;
    std::chrono::milliseconds timeout{0};
    bool timed_out = false;
  };

  void start_next();
  bool start(const StateChange& change);  // false when the program could not be started
  void wait_for_exit();
  void on_readable(uint64_t serial, const std::error_code& error);
  void on_deadline(uint64_t serial, const std::error_code& error);
  void finish(const siginfo_t& info);
  void kill_running();

  std::vector<std::string> argv_;
  std::chrono::milliseconds timeout_;
  std::deque<StateChange> queue_;
  size_t dropped_ = 0;  // since the queue was last empty, for one summary instead of a line per drop
  std::optional<Run> run_;
  uint64_t next_serial_ = 1;
  asio::posix::stream_descriptor pidfd_;
  asio::steady_timer deadline_;
  // Completion handlers hold this weakly: one that runs after the notifier is gone finds it expired.
  std::shared_ptr<char> alive_ = std::make_shared<char>();
};

}  // namespace uplinkd
