// The control socket: a Unix stream socket, one JSON request per line, one JSON response per line, then the
// connection closes. Only root (or the daemon's own user) may talk to it: the file is 0600 and the peer's
// credentials are checked, because every command can change routing.
//
// One command may be a subscription (set_stream_command, the daemon's "events"): after its successful
// response the connection stays open and receives every publish()ed event as one JSON line, until either
// side closes it. A subscriber never slows the daemon down: writes are asynchronous, and one that falls too
// far behind is sent {"event":"dropped","reason":"too slow"} and disconnected.
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

class ControlServer {
 public:
  using Handler = std::function<nlohmann::json(const nlohmann::json& request)>;

  // Throws std::system_error naming the path when the socket cannot be made, or another uplinkd answers on
  // it.
  ControlServer(asio::io_context& io, std::string path, Handler handler);
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

 private:
  class Session;
  struct Shared;

  void accept();

  std::string path_;
  // What sessions need from the server, owned here and only weakly by them: a session whose reply is still
  // in flight when the server goes away finds it gone instead of dangling.
  std::shared_ptr<Shared> shared_;
  asio::local::stream_protocol::acceptor acceptor_;
};

}  // namespace uplinkd
