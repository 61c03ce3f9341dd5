#include "daemon/control_server.hpp"

#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <deque>
#include <list>
#include <vector>

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

bool asks_for(const nlohmann::json& request, const std::string& command) {
  auto it = request.find("command");
  return !command.empty() && it != request.end() && it->is_string() && it->get<std::string>() == command;
}

// Invalid UTF-8 (an interface name is only bytes) must not stop an answer or an event.
std::string line_of(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

// After EOF: a peer that only shut down its sending side (socat does, after the request) still reads; one
// that closed the socket has hung up.
bool peer_hung_up(int fd) {
  pollfd entry{fd, POLLOUT, 0};
  return ::poll(&entry, 1, 0) == 1 && (entry.revents & (POLLHUP | POLLERR));
}

bool succeeded(const nlohmann::json& response) {
  auto it = response.find("ok");
  return it != response.end() && it->is_boolean() && it->get<bool>();
}

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

struct ControlServer::Shared {
  std::string path;
  Handler handler;
  std::string stream_command;
  StreamLimits limits;
  std::list<std::shared_ptr<Session>> subscribers;
};

// One connection: a request and its response, and for a subscriber the events after it. Everything it
// writes goes through one queue, so a subscriber's first line is its response and events follow in order.
class ControlServer::Session : public std::enable_shared_from_this<Session> {
 public:
  Session(stream_protocol::socket socket, std::weak_ptr<Shared> shared)
      : socket_(std::move(socket)),
        buffer_(kMaxRequestBytes),
        shared_(std::move(shared)),
        grace_timer_(socket_.get_executor()) {}

  void start() {
    // The request is read even from a peer that will be refused, so that its writer sees the refusal rather
    // than a broken pipe.
    trusted_ = peer_is_trusted(socket_);
    asio::async_read_until(
        socket_, buffer_, '\n',
        [self = shared_from_this()](std::error_code error, size_t size) { self->on_request(error, size); });
  }

  void send(std::string line) {
    if (ending_ || closed_) return;
    auto shared = shared_.lock();
    if (!shared) return;
    const StreamLimits& limits = shared->limits;
    if (queue_.size() + 1 > limits.max_lines || queued_bytes_ + line.size() > limits.max_bytes) {
      spdlog::warn("control socket {}: a subscriber fell {} events ({} bytes) behind; disconnecting it",
                   shared->path, queue_.size(), queued_bytes_);
      drop(limits.grace);
      return;
    }
    enqueue(std::move(line));
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    forget();
    grace_timer_.cancel();
    std::error_code ignored;
    socket_.shutdown(stream_protocol::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

 private:
  void on_request(std::error_code error, size_t size) {
    if (!trusted_) {
      enqueue(line_of(error_response("request: permission denied (the control socket is for root)")));
      return;
    }
    if (error) {
      if (error == asio::error::not_found)  // read_until hit the buffer's limit without a newline
        enqueue(line_of(error_response("request: longer than " + std::to_string(kMaxRequestBytes / 1024) +
                                       " KiB (send one JSON object on one line)")));
      else if (error != asio::error::eof)
        enqueue(line_of(error_response("request: not read: " + error.message())));
      return;
    }
    auto shared = shared_.lock();
    if (!shared) return;  // the server is gone; closing the connection is the answer
    std::string line(asio::buffers_begin(buffer_.data()),
                     asio::buffers_begin(buffer_.data()) + static_cast<long>(size));
    nlohmann::json request = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (request.is_discarded() || !request.is_object()) {
      enqueue(line_of(error_response("request: not a JSON object on one line")));
      return;
    }
    nlohmann::json response = shared->handler(request);
    // Subscribed before anything else can run on the loop, so no event published after the response is
    // missed.
    if (asks_for(request, shared->stream_command) && succeeded(response)) {
      subscribed_ = true;
      shared->subscribers.push_back(shared_from_this());
      watch_for_close();
    }
    enqueue(line_of(response));
  }

  // A subscriber sends nothing after its request, so a read that ends means it has gone away (or, after a
  // half close, that a failed write will tell).
  void watch_for_close() {
    socket_.async_read_some(
        asio::buffer(discard_), [self = shared_from_this()](std::error_code error, size_t) {
          if (!error)
            self->watch_for_close();
          else if (error != asio::error::eof || peer_hung_up(self->socket_.native_handle()))
            self->close();
        });
  }

  void enqueue(std::string line) {
    queued_bytes_ += line.size();
    queue_.push_back(std::move(line));
    if (!writing_) write_next();
  }

  // What is already being written must be finished, or the reader would see half a line before the notice.
  void drop(std::chrono::milliseconds grace) {
    forget();
    ending_ = true;
    size_t keep = writing_ ? 1 : 0;
    while (queue_.size() > keep) {
      queued_bytes_ -= queue_.back().size();
      queue_.pop_back();
    }
    enqueue(line_of(nlohmann::json{{"event", "dropped"}, {"reason", "too slow"}}));
    // A reader that has stopped for good would keep the socket open forever.
    grace_timer_.expires_after(grace);
    grace_timer_.async_wait([self = shared_from_this()](std::error_code error) {
      if (!error) self->close();
    });
  }

  // The deque keeps the front string in place while later lines are pushed behind it.
  void write_next() {
    writing_ = true;
    asio::async_write(
        socket_, asio::buffer(queue_.front()),
        [self = shared_from_this()](std::error_code error, size_t) { self->on_written(error); });
  }

  void on_written(std::error_code error) {
    writing_ = false;
    if (error) {
      close();
      return;
    }
    queued_bytes_ -= queue_.front().size();
    queue_.pop_front();
    if (!queue_.empty())
      write_next();
    else if (ending_)
      close();
    // A one-shot connection ends here: nothing holds the session any more, and its socket closes with it.
  }

  void forget() {
    if (!subscribed_) return;
    subscribed_ = false;
    if (auto shared = shared_.lock()) shared->subscribers.remove(shared_from_this());
  }

  stream_protocol::socket socket_;
  asio::streambuf buffer_;
  std::weak_ptr<Shared> shared_;
  asio::steady_timer grace_timer_;
  std::deque<std::string> queue_;
  size_t queued_bytes_ = 0;
  char discard_[256];
  bool trusted_ = false;
  bool subscribed_ = false;
  bool writing_ = false;
  bool ending_ = false;  // dropped: only the queued lines are still written
  bool closed_ = false;
};

ControlServer::ControlServer(asio::io_context& io, std::string path, Handler handler)
    : path_(std::move(path)), shared_(std::make_shared<Shared>()), acceptor_(io) {
  shared_->path = path_;
  shared_->handler = std::move(handler);
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
  // A copy: close() removes each session from the list.
  std::vector<std::shared_ptr<Session>> subscribers(shared_->subscribers.begin(), shared_->subscribers.end());
  for (auto& subscriber : subscribers) subscriber->close();
  ::unlink(path_.c_str());
}

void ControlServer::set_stream_command(std::string command, StreamLimits limits) {
  shared_->stream_command = std::move(command);
  shared_->limits = limits;
}

void ControlServer::publish(const nlohmann::json& event) {
  if (shared_->subscribers.empty()) return;
  std::string line = line_of(event);
  // A copy: a subscriber that is dropped leaves the list while it is walked.
  std::vector<std::shared_ptr<Session>> subscribers(shared_->subscribers.begin(), shared_->subscribers.end());
  for (auto& subscriber : subscribers) subscriber->send(line);
}

size_t ControlServer::subscribers() const {
  return shared_->subscribers.size();
}

void ControlServer::accept() {
  acceptor_.async_accept([this](std::error_code error, stream_protocol::socket socket) {
    if (error == asio::error::operation_aborted) return;
    if (error)
      spdlog::warn("control socket {}: accept failed: {}", path_, error.message());
    else
      std::make_shared<Session>(std::move(socket), shared_)->start();
    accept();
  });
}

}  // namespace uplinkd
