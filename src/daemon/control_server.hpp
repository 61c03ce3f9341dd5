// The control socket: a Unix stream socket, one JSON request per line, one JSON response per line, then the
// connection closes. Only root (or the daemon's own user) may talk to it: the file is 0600 and the peer's
// credentials are checked, because every command can change routing.
#pragma once

#include <asio.hpp>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

namespace uplinkd {

class ControlServer {
 public:
  using Handler = std::function<nlohmann::json(const nlohmann::json& request)>;

  // Throws std::system_error naming the path when the socket cannot be made, or another uplinkd answers on
  // it.
  ControlServer(asio::io_context& io, std::string path, Handler handler);
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  const std::string& path() const { return path_; }

 private:
  void accept();

  std::string path_;
  Handler handler_;
  asio::local::stream_protocol::acceptor acceptor_;
};

}  // namespace uplinkd
