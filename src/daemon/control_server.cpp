// SPDX-License-Identifier: GPL-2.0-or-later
#include "daemon/control_server.hpp"

#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <deque>
#include <filesystem>
#include <list>
#include <optional>
#include <vector>

#include "daemon/request.hpp"

namespace uplinkd {
namespace {

using asio::local::stream_protocol;
using Clock = std::chrono::steady_clock;

bool peer_is_trusted(stream_protocol::socket& socket) {
  ucred credentials{};
  socklen_t length = sizeof credentials;
  if (getsockopt(socket.native_handle(), SOL_SOCKET, SO_PEERCRED, &credentials, &length) != 0) return false;
  return credentials.uid == 0 || credentials.uid == geteuid();
}

bool asks_for(const nlohmann::json& request, const std::string& command) {
  auto it = request.find("command");
  return !command.empty() && it != request.end() && it->is_string() && it->get<std::string>() == command;
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

// A warning that may repeat as fast as clients misbehave: logged at most once per interval, with how many
// were held back, so that a flood of clients cannot become a flood of log lines.
class RateLimitedWarning {
 public:
  explicit RateLimitedWarning(std::chrono::seconds interval) : interval_(interval) {}

  void warn(const std::string& text) {
    const auto now = Clock::now();
    if (logged_ && now - last_ < interval_) {
      ++held_back_;
      return;
    }
    if (held_back_ > 0)
      spdlog::warn("{} ({} more like it in the last {} s)", text, held_back_, interval_.count());
    else
      spdlog::warn("{}", text);
    logged_ = true;
    last_ = now;
    held_back_ = 0;
  }

 private:
  std::chrono::seconds interval_;
  Clock::time_point last_{};
  bool logged_ = false;
  size_t held_back_ = 0;
};

// Half of the descriptors still free under the soft limit, for the control socket's connections.
size_t descriptors_to_spare() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return SIZE_MAX;
  size_t open = 0;
  std::error_code error;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", error);
       !error && it != std::filesystem::directory_iterator(); it.increment(error))
    ++open;
  const size_t soft = static_cast<size_t>(limit.rlim_cur);
  return soft > open ? (soft - open) / 2 : 0;
}

// accept() fails like this until a descriptor or some memory is free again; retrying at once spins.
bool out_of_resources(std::error_code error) {
  if (error.category() != asio::error::get_system_category()) return false;
  const int code = error.value();
  return code == EMFILE || code == ENFILE || code == ENOBUFS || code == ENOMEM;
}

}  // namespace

struct ControlServer::Shared {
  std::string path;
  Handler handler;
  std::string stream_command;
  StreamLimits limits;
  ConnectionLimits connection_limits;
  std::list<std::shared_ptr<Session>> subscribers;
  // Connections that have not sent a complete request yet, oldest first: the ones dropped to make room.
  std::list<std::shared_ptr<Session>> waiting;
  size_t open = 0;
  RateLimitedWarning accept_warning{std::chrono::seconds(10)};
  RateLimitedWarning drop_warning{std::chrono::seconds(10)};

  // Closes the oldest connection without a complete request; false when there is none.
  bool drop_oldest_waiting(const std::string& why);
};

// One connection: a request and its response, and for a subscriber the events after it. Everything it
// writes goes through one queue, so a subscriber's first line is its response and events follow in order.
class ControlServer::Session : public std::enable_shared_from_this<Session> {
 public:
  Session(stream_protocol::socket socket, std::weak_ptr<Shared> shared)
      : socket_(std::move(socket)),
        buffer_(kMaxRequestBytes),
        shared_(std::move(shared)),
        deadline_(socket_.get_executor()),
        grace_timer_(socket_.get_executor()) {
    if (auto owner = shared_.lock()) ++owner->open;
  }

  ~Session() { release(); }

  void start() {
    auto shared = shared_.lock();
    if (!shared) return;
    shared->waiting.push_back(shared_from_this());
    waiting_ = std::prev(shared->waiting.end());
    // The request is read even from a peer that will be refused, so that its writer sees the refusal rather
    // than a broken pipe.
    trusted_ = peer_is_trusted(socket_);
    deadline_.expires_after(shared->connection_limits.read_timeout);
    deadline_.async_wait([self = shared_from_this()](std::error_code error) {
      if (!error && self->waiting_) {
        if (auto shared = self->shared_.lock())
          shared->drop_warning.warn("control socket " + shared->path +
                                    ": closed a connection that sent no complete request within " +
                                    std::to_string(shared->connection_limits.read_timeout.count()) + " ms");
        self->close();
      }
    });
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
    stop_waiting();
    deadline_.cancel();
    grace_timer_.cancel();
    std::error_code ignored;
    socket_.shutdown(stream_protocol::socket::shutdown_both, ignored);
    socket_.close(ignored);
    release();
  }

  // Refuses the connection with one line, without reading its request.
  void refuse(const std::string& message) {
    stop_waiting();
    ending_ = true;
    enqueue(response_line(error_response(message)));
  }

 private:
  void on_request(std::error_code error, size_t size) {
    if (closed_ || ending_) return;
    stop_waiting();
    deadline_.cancel();
    if (!trusted_) {
      enqueue(response_line(error_response("request: permission denied (the control socket is for root)")));
      return;
    }
    // A last line without its newline, then a half close (shutdown(SHUT_WR), as `printf … | socat` does):
    // the request is complete, and the client still reads the answer.
    if (error == asio::error::eof && buffer_.size() > 0) {
      size = buffer_.size();
      error = {};
    }
    if (error) {
      if (error == asio::error::not_found)  // read_until hit the buffer's limit without a newline
        enqueue(
            response_line(error_response("request: longer than " + std::to_string(kMaxRequestBytes / 1024) +
                                         " KiB (send one JSON object on one line)")));
      else if (error != asio::error::eof)
        enqueue(response_line(error_response("request: not read: " + error.message())));
      return;
    }
    auto shared = shared_.lock();
    if (!shared) return;  // the server is gone; closing the connection is the answer
    std::string line(asio::buffers_begin(buffer_.data()),
                     asio::buffers_begin(buffer_.data()) + static_cast<long>(size));
    ParsedRequest parsed = parse_request(line);
    if (!parsed.ok()) {
      enqueue(response_line(parsed.refusal));
      return;
    }
    const bool subscribing = asks_for(parsed.request, shared->stream_command);
    if (subscribing && shared->subscribers.size() >= shared->connection_limits.max_subscribers) {
      enqueue(response_line(
          error_response("request: uplinkd has " + std::to_string(shared->subscribers.size()) +
                         " event subscribers, the limit; close one (uplinkctl events) and try again")));
      return;
    }
    nlohmann::json response = shared->handler(parsed.request);
    // Subscribed before anything else can run on the loop, so no event published after the response is
    // missed.
    if (subscribing && succeeded(response)) {
      subscribed_ = true;
      streamed_ = true;
      shared->subscribers.push_back(shared_from_this());
      watch_for_close();
    }
    enqueue(response_line(response));
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
    if (closed_) return;
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
    enqueue(response_line(nlohmann::json{{"event", "dropped"}, {"reason", "too slow"}}));
    // A reader that has stopped for good would keep the socket open forever.
    grace_timer_.expires_after(grace);
    grace_timer_.async_wait([self = shared_from_this()](std::error_code error) {
      if (!error) self->close();
    });
  }

  // The deque keeps the front string in place while later lines are pushed behind it.
  void write_next() {
    writing_ = true;
    // A subscriber's writes have no deadline of their own: its queue's limits and the grace after a drop
    // (StreamLimits) decide when it goes, and a deadline would close it before it could read the notice.
    auto shared = streamed_ ? nullptr : shared_.lock();
    if (shared) {
      deadline_.expires_after(shared->connection_limits.write_timeout);
      deadline_.async_wait([self = shared_from_this()](std::error_code error) {
        if (!error && self->writing_) self->close();
      });
    }
    asio::async_write(
        socket_, asio::buffer(queue_.front()),
        [self = shared_from_this()](std::error_code error, size_t) { self->on_written(error); });
  }

  void on_written(std::error_code error) {
    writing_ = false;
    deadline_.cancel();
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

  void stop_waiting() {
    if (!waiting_) return;
    // The list holds a reference to this session: keep one until the erase is done.
    auto keep = shared_from_this();
    if (auto shared = shared_.lock()) shared->waiting.erase(*waiting_);
    waiting_.reset();
  }

  // Once per connection, when its descriptor goes: at close(), or when the last handler lets it go.
  void release() {
    if (released_) return;
    released_ = true;
    if (auto shared = shared_.lock()) --shared->open;
  }

  stream_protocol::socket socket_;
  asio::streambuf buffer_;
  std::weak_ptr<Shared> shared_;
  asio::steady_timer deadline_;  // the read deadline until the request is in, then each write's
  asio::steady_timer grace_timer_;
  std::deque<std::string> queue_;
  size_t queued_bytes_ = 0;
  std::optional<std::list<std::shared_ptr<Session>>::iterator> waiting_;
  char discard_[256];
  bool trusted_ = false;
  bool subscribed_ = false;
  bool streamed_ = false;  // it subscribed once (it stays so after a drop, through its grace)
  bool writing_ = false;
  bool ending_ = false;  // dropped or refused: only the queued lines are still written
  bool closed_ = false;
  bool released_ = false;
};

bool ControlServer::Shared::drop_oldest_waiting(const std::string& why) {
  if (waiting.empty()) return false;
  auto oldest = waiting.front();  // a copy: close() erases it from the list
  drop_warning.warn("control socket " + path + ": " + why +
                    "; closed the oldest connection that had sent no complete request");
  oldest->close();
  return true;
}

ControlServer::ControlServer(asio::io_context& io, std::string path, Handler handler, ConnectionLimits limits)
    : path_(std::move(path)), shared_(std::make_shared<Shared>()), acceptor_(io), accept_timer_(io) {
  shared_->path = path_;
  shared_->handler = std::move(handler);
  const size_t spare = descriptors_to_spare();
  if (limits.max_connections > spare) {
    limits.max_connections = std::max<size_t>(spare, 4);
    spdlog::info("control socket {}: at most {} connections, for the file descriptor limit", path_,
                 limits.max_connections);
  }
  limits.max_subscribers = std::min(limits.max_subscribers, limits.max_connections / 2);
  shared_->connection_limits = limits;
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
  accept_timer_.cancel();
  // Copies: close() removes each session from its list. A connection without a request gets no answer now.
  std::vector<std::shared_ptr<Session>> sessions(shared_->subscribers.begin(), shared_->subscribers.end());
  sessions.insert(sessions.end(), shared_->waiting.begin(), shared_->waiting.end());
  for (auto& session : sessions) session->close();
  ::unlink(path_.c_str());
}

void ControlServer::set_stream_command(std::string command, StreamLimits limits) {
  shared_->stream_command = std::move(command);
  shared_->limits = limits;
}

void ControlServer::publish(const nlohmann::json& event) {
  if (shared_->subscribers.empty()) return;
  std::string line = response_line(event);
  // A copy: a subscriber that is dropped leaves the list while it is walked.
  std::vector<std::shared_ptr<Session>> subscribers(shared_->subscribers.begin(), shared_->subscribers.end());
  for (auto& subscriber : subscribers) subscriber->send(line);
}

size_t ControlServer::subscribers() const {
  return shared_->subscribers.size();
}

size_t ControlServer::connections() const {
  return shared_->open;
}

// Handlers test `error` before touching `this`: after the destructor they run with operation_aborted.
void ControlServer::accept() {
  acceptor_.async_accept([this](std::error_code error, stream_protocol::socket socket) {
    if (error == asio::error::operation_aborted) return;
    if (error) {
      on_accept_error(error);
      return;
    }
    accept_backoff_ = std::chrono::milliseconds(0);
    auto session = std::make_shared<Session>(std::move(socket), shared_);
    const size_t limit = shared_->connection_limits.max_connections;
    if (shared_->open > limit &&
        !shared_->drop_oldest_waiting(std::to_string(limit) + " connections are open, the limit"))
      session->refuse("request: uplinkd has " + std::to_string(limit) +
                      " control connections open, the limit; try again later");
    else
      session->start();
    accept();
  });
}

void ControlServer::on_accept_error(std::error_code error) {
  // Out of descriptors, a stalled client's is worth less than the next one in the backlog, which may be a
  // hook: free one and accept again at once.
  if (out_of_resources(error) && shared_->drop_oldest_waiting("accept failed: " + error.message())) {
    accept();
    return;
  }
  const ConnectionLimits& limits = shared_->connection_limits;
  accept_backoff_ = accept_backoff_.count() == 0 ? limits.accept_backoff_min
                                                 : std::min(accept_backoff_ * 2, limits.accept_backoff_max);
  shared_->accept_warning.warn("control socket " + path_ + ": accept failed: " + error.message() +
                               "; trying again in " + std::to_string(accept_backoff_.count()) + " ms");
  accept_timer_.expires_after(accept_backoff_);
  accept_timer_.async_wait([this](std::error_code timer_error) {
    if (!timer_error) accept();
  });
}

}  // namespace uplinkd
