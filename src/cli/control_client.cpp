// SPDX-License-Identifier: GPL-2.0-or-later
#include "cli/control_client.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <thread>

namespace uplinkd {
namespace {

using Clock = ControlConnection::Clock;

// A response larger than this is not uplinkd's (status of a few hundred uplinks is well under 1 MiB).
constexpr size_t kMaxLineBytes = 16 * 1024 * 1024;

// What poll() may wait for, rounded up so that a wait never ends just before the deadline and spins.
int milliseconds_until(Clock::time_point deadline) {
  auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left <= 0 ? 0 : static_cast<int>(std::min<int64_t>(left, 60 * 60 * 1000));
}

// Waits until `fd` is ready for `events`; false when the deadline came first. No deadline: forever.
bool wait_for(int fd, short events, std::optional<Clock::time_point> deadline) {
  for (;;) {
    pollfd entry{fd, events, 0};
    int timeout = deadline ? milliseconds_until(*deadline) : -1;
    int ready = ::poll(&entry, 1, timeout);
    if (ready > 0) return true;
    if (ready == 0) return false;
    if (errno != EINTR) return false;
  }
}

std::string seconds_text(Clock::duration duration) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f", std::chrono::duration<double>(duration).count());
  return text;
}

}  // namespace

ControlConnection::ControlConnection(std::string socket_path, Clock::time_point deadline)
    : path_(std::move(socket_path)) {
  const auto fail = [this](const std::string& why) {
    throw std::runtime_error("cannot reach uplinkd at " + path_ + ": " + why);
  };
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path_.empty() || path_.size() >= sizeof address.sun_path) fail("not a socket path (too long or empty)");
  std::memcpy(address.sun_path, path_.data(), path_.size());
  fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) fail(std::strerror(errno));
  const auto started = Clock::now();
  for (;;) {
    if (::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0) return;
    const int error = errno;
    if (error == EINTR) continue;
    if (error == EINPROGRESS) {
      if (!wait_for(fd_, POLLOUT, deadline))
        fail("no connection within " + seconds_text(Clock::now() - started) + " s");
      int result = 0;
      socklen_t length = sizeof result;
      ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &result, &length);
      if (result != 0) fail(std::strerror(result));
      return;
    }
    // A Unix socket's full listen backlog: the daemon is not accepting (stopped, or far behind). Nothing
    // wakes a waiting connect for it, so the connect is tried again every few milliseconds.
    if (error != EAGAIN) fail(std::strerror(error));
    if (Clock::now() >= deadline)
      fail("its listen backlog stayed full for " + seconds_text(Clock::now() - started) + " s");
    std::this_thread::sleep_for(
        std::min<Clock::duration>(std::chrono::milliseconds(10), deadline - Clock::now()));
  }
}

ControlConnection::~ControlConnection() {
  if (fd_ >= 0) ::close(fd_);
}

void ControlConnection::send_line(const std::string& line, Clock::time_point deadline) {
  const std::string data = line + "\n";
  size_t sent = 0;
  while (sent < data.size()) {
    // MSG_NOSIGNAL: a daemon that closes early must be an error message, not SIGPIPE.
    ssize_t count = ::send(fd_, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (count > 0) {
      sent += static_cast<size_t>(count);
      continue;
    }
    if (count < 0 && errno == EINTR) continue;
    if (count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!wait_for(fd_, POLLOUT, deadline))
        throw std::runtime_error("cannot send to uplinkd at " + path_ + ": it takes no request (timed out)");
      continue;
    }
    throw std::runtime_error("cannot send to uplinkd at " + path_ + ": " + std::strerror(errno));
  }
}

std::optional<std::string> ControlConnection::read_line(std::optional<Clock::time_point> deadline) {
  for (;;) {
    if (auto end = pending_.find('\n'); end != std::string::npos) {
      std::string line = pending_.substr(0, end);
      pending_.erase(0, end + 1);
      return line;
    }
    if (ended_) return std::nullopt;
    if (pending_.size() > kMaxLineBytes)
      throw std::runtime_error("uplinkd at " + path_ + " sent a line longer than 16 MiB");
    char chunk[65536];
    ssize_t count = ::recv(fd_, chunk, sizeof chunk, 0);
    if (count > 0) {
      pending_.append(chunk, static_cast<size_t>(count));
    } else if (count == 0) {
      ended_ = true;
    } else if (errno == EINTR) {
      continue;
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (!wait_for(fd_, POLLIN, deadline))
        throw std::runtime_error("no answer from uplinkd at " + path_ + " (timed out)");
    } else {
      throw std::runtime_error("reading from uplinkd at " + path_ + ": " + std::strerror(errno));
    }
  }
}

nlohmann::json call_daemon(const std::string& socket_path, const nlohmann::json& request,
                           std::chrono::milliseconds timeout) {
  return call_daemon_raw(socket_path, request.dump(), timeout);
}

nlohmann::json call_daemon_raw(const std::string& socket_path, const std::string& request_line,
                               std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  ControlConnection connection(socket_path, deadline);
  connection.send_line(request_line, deadline);
  auto line = connection.read_line(deadline);
  if (!line)
    throw std::runtime_error("no answer from uplinkd at " + socket_path + ": it closed the connection");
  auto response = nlohmann::json::parse(*line, nullptr, /*allow_exceptions=*/false);
  if (response.is_discarded() || !response.is_object())
    throw std::runtime_error("uplinkd at " + socket_path + " sent something that is not JSON");
  return response;
}

std::optional<std::chrono::milliseconds> parse_timeout(const std::string& seconds) {
  char* end = nullptr;
  errno = 0;
  double value = std::strtod(seconds.c_str(), &end);
  if (seconds.empty() || errno != 0 || *end != '\0' || !std::isfinite(value) || value <= 0 || value > 3600)
    return std::nullopt;
  return std::chrono::milliseconds(std::max<int64_t>(1, std::llround(value * 1000)));
}

}  // namespace uplinkd
