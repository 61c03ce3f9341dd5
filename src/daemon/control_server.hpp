// SPDX-License-Identifier: GPL-2.0-or-later
// The control socket: a Unix stream socket, one JSON request per line, one JSON response per line, then the
// connection closes. A last request without its newline is complete when the client shuts down its sending
// side (`printf ... | socat`); what a line may hold is in daemon/request.hpp. Only root (or the daemon's own
// user) may talk to it: the file is 0600 and the peer's credentials are checked, because every command can
// change routing.
//
// One command may be a subscription (set_stream_command, the daemon's "events"): after its successful
// response the connection stays open and receives every publish()ed event as one JSON line, until either
// side closes it. A subscriber never slows the daemon down: writes are asynchronous, and one that falls too
// far behind is sent {"event":"dropped","reason":"too slow"} and disconnected.
//
// No client can stall the daemon or keep others out (ConnectionLimits): a request must arrive within a read
// deadline and each line be taken within a write deadline; at the cap on connections, the oldest connection
// that has not sent a complete request is dropped, so a DHCP hook is never queued behind stalled clients; out
// of file descriptors, the same happens, and when there is none to drop, accepting waits on a timer (never a
// busy loop) and says so in the log at most once per 10 s.
#pragma once

#include <asio.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

namespace uplinkd {

// How far one subscriber may fall behind before it is dropped. The defaults hold minutes of a flapping
// uplink's events, so only a reader that has stopped reading is dropped.
struct StreamLimits {
  size_t max_lines = 1000;
  size_t max_bytes = 1024 * 1024;
  // How long a dropped subscriber has to read its last line before the socket is closed anyway.
  std::chrono::milliseconds grace{2000};
};

// How long and how many. The defaults let a hook through in well under its own 3 s deadline (uplinkctl hook)
// while any number of clients stall.
struct ConnectionLimits {
  // Open connections of every kind (one-shot and subscribers). Each costs a file descriptor, so the server
  // lowers it to half of the descriptors left under RLIMIT_NOFILE when it starts: the rest is the daemon's.
  size_t max_connections = 64;
  // Of those, subscribers ("events"): one more is refused, so one-shot requests (hooks) always find room.
  size_t max_subscribers = 32;
  // From accept to the request's newline (or the client's half close).
  std::chrono::milliseconds read_timeout{5000};
  // For each line written: a reader that takes none of it for this long has gone.
  std::chrono::milliseconds write_timeout{5000};
  // Out of file descriptors with no connection to drop: the first wait before accepting again, doubled on
  // each failure up to the second.
  std::chrono::milliseconds accept_backoff_min{50};
  std::chrono::milliseconds accept_backoff_max{1000};
};

class ControlServer {
 public:
  using Handler = std::function<nlohmann::json(const nlohmann::json& request)>;

  // Throws std::system_error naming the path when the socket cannot be made, or another uplinkd answers on
  // it.
  ControlServer(asio::io_context& io, std::string path, Handler handler, ConnectionLimits limits = {});
  // Closes every subscriber's connection; requests still in flight are answered if the io_context runs on.
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  const std::string& path() const { return path_; }

  // After a successful response ("ok": true) to `command`, the connection becomes a subscriber.
  void set_stream_command(std::string command, StreamLimits limits = {});
  // Queues `event.dump() + "\n"` for every subscriber and returns at once.
  void publish(const nlohmann::json& event);
  size_t subscribers() const;
  // Connections open now, of every kind.
  size_t connections() const;

 private:
  class Session;
  struct Shared;

  void accept();
  void on_accept_error(std::error_code error);

  std::string path_;
  // What sessions need from the server, owned here and only weakly by them: a session whose reply is still
  // in flight when the server goes away finds it gone instead of dangling.
  std::shared_ptr<Shared> shared_;
  asio::local::stream_protocol::acceptor acceptor_;
  asio::steady_timer accept_timer_;
  std::chrono::milliseconds accept_backoff_{0};
};

}  // namespace uplinkd
