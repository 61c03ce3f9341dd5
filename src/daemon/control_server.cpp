#include "daemon/control_server.hpp"

#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>

namespace uplinkd {
namespace {

using asio::local::stream_protocol;
constexpr size_t kMaxRequestBytes = 64 * 1024;

bool peer_is_trusted(stream_protocol::socket& socket) {
  ucred credentials{};
  socklen_t length = sizeof credentials;
  if (getsockopt(socket.native_handle(), SOL_SOCKET, SO_PEERCRED, &credentials, &length) != 0) return false;
  return credentials.uid == 0 || credentials.uid == geteuid();
}

nlohmann::json error_response(const std::string& message) {
  return {{"ok", false}, {"error", message}};
}

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(stream_protocol::socket socket, const ControlServer::Handler& handler)
      : socket_(std::move(socket)), buffer_(kMaxRequestBytes), handler_(handler) {}

  void start() {
    // The request is read even from a peer that will be refused, so that its writer sees the refusal rather
    // than a broken pipe.
    trusted_ = peer_is_trusted(socket_);
    asio::async_read_until(
        socket_, buffer_, '\n',
        [self = shared_from_this()](std::error_code error, size_t size) { self->on_request(error, size); });
  }

 private:
  void on_request(std::error_code error, size_t size) {
    if (!trusted_) {
      respond(error_response("request: permission denied (the control socket is for root)"));
      return;
    }
    if (error) {
      if (error == asio::error::not_found)  // read_until hit the buffer's limit without a newline
        respond(error_response("request: longer than " + std::to_string(kMaxRequestBytes / 1024) +
                               " KiB (send one JSON object on one line)"));
      else if (error != asio::error::eof)
        respond(error_response("request: not read: " + error.message()));
      return;
    }
    std::string line(asio::buffers_begin(buffer_.data()),
                     asio::buffers_begin(buffer_.data()) + static_cast<long>(size));
    nlohmann::json request = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (request.is_discarded() || !request.is_object()) {
      respond(error_response("request: not a JSON object on one line"));
      return;
    }
    respond(handler_(request));
  }

  void respond(const nlohmann::json& response) {
    auto text = std::make_shared<std::string>(response.dump() + "\n");
    asio::async_write(socket_, asio::buffer(*text),
                      [self = shared_from_this(), text](std::error_code, size_t) {});
  }

  stream_protocol::socket socket_;
  asio::streambuf buffer_;
  const ControlServer::Handler& handler_;
  bool trusted_ = false;
};

// A socket file left by a crashed daemon is removed; one that still answers belongs to a running uplinkd.
void claim_path(asio::io_context& io, const std::string& path) {
  struct stat info {};
  if (lstat(path.c_str(), &info) != 0) return;
  if (!S_ISSOCK(info.st_mode))
    throw std::system_error(EEXIST, std::generic_category(),
                            "control socket " + path + " exists and is not a socket");
  stream_protocol::socket probe(io);
  std::error_code error;
  probe.connect(stream_protocol::endpoint(path), error);
  if (!error)
    throw std::system_error(EADDRINUSE, std::generic_category(), "another uplinkd is running on " + path);
  ::unlink(path.c_str());
}

}  // namespace

ControlServer::ControlServer(asio::io_context& io, std::string path, Handler handler)
    : path_(std::move(path)), handler_(std::move(handler)), acceptor_(io) {
  claim_path(io, path_);
  std::error_code error;
  acceptor_.open(stream_protocol(), error);
  if (!error) acceptor_.bind(stream_protocol::endpoint(path_), error);
  if (!error) ::chmod(path_.c_str(), 0600);
  if (!error) acceptor_.listen(asio::socket_base::max_listen_connections, error);
  if (error) throw std::system_error(error, "control socket " + path_);
  accept();
}

ControlServer::~ControlServer() {
  std::error_code ignored;
  acceptor_.close(ignored);
  ::unlink(path_.c_str());
}

void ControlServer::accept() {
  acceptor_.async_accept([this](std::error_code error, stream_protocol::socket socket) {
    if (error == asio::error::operation_aborted) return;
    if (error)
      spdlog::warn("control socket {}: accept failed: {}", path_, error.message());
    else
      std::make_shared<Session>(std::move(socket), handler_)->start();
    accept();
  });
}

}  // namespace uplinkd
