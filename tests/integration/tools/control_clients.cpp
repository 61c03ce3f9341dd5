// SPDX-License-Identifier: GPL-2.0-or-later
// Misbehaving clients of uplinkd's control socket, for control_socket_test.sh and bench/control_latency.sh.
//
//   control_clients stall SOCKET COUNT SECONDS [--subscribe]
//     Opens COUNT connections, each sending half a request (no newline) — or with --subscribe a whole
//     {"command":"events"} — and never reading. Prints "connected C refused R" (R: the connect found the
//     listen backlog full), holds them for SECONDS, and prints "closed-by-peer K" (how many the daemon had
//     closed by then).
//   control_clients latency SOCKET COUNT
//     COUNT {"command":"status"} round trips one after the other (connect, request, whole answer); prints
//     each one's microseconds on a line of its own.
//   control_clients half-close SOCKET TEXT
//     Sends TEXT as it is (no newline added), shuts down its sending side, and prints what comes back.
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

int connect_to(const std::string& path, bool& refused) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    refused = errno == EAGAIN;
    if (!refused)
      std::fprintf(stderr, "control_clients: connect %s: %s\n", path.c_str(), std::strerror(errno));
    ::close(fd);
    return -1;
  }
  return fd;
}

int stall(const std::string& path, int count, int seconds, bool subscribe) {
  const std::string text = subscribe ? "{\"command\":\"events\"}\n" : "{\"command\":\"sta";
  std::vector<int> fds;
  int refused = 0;
  for (int i = 0; i < count; ++i) {
    bool full = false;
    int fd = connect_to(path, full);
    if (fd < 0) {
      if (!full) return 1;
      ++refused;
      continue;
    }
    if (::send(fd, text.data(), text.size(), MSG_NOSIGNAL) < 0) {
      std::fprintf(stderr, "control_clients: send: %s\n", std::strerror(errno));
    }
    fds.push_back(fd);
  }
  std::printf("connected %zu refused %d\n", fds.size(), refused);
  std::fflush(stdout);
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  int closed = 0;
  for (int fd : fds) {
    pollfd entry{fd, POLLIN | POLLRDHUP, 0};
    if (::poll(&entry, 1, 0) == 1 && (entry.revents & (POLLHUP | POLLRDHUP | POLLERR))) ++closed;
    ::close(fd);
  }
  std::printf("closed-by-peer %d\n", closed);
  return 0;
}

int half_close(const std::string& path, const std::string& text) {
  bool full = false;
  int fd = connect_to(path, full);
  if (fd < 0) return 1;
  int flags = ::fcntl(fd, F_GETFL);
  ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  timeval limit{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  if (::send(fd, text.data(), text.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(text.size())) return 1;
  ::shutdown(fd, SHUT_WR);
  std::string answer;
  char chunk[4096];
  ssize_t got;
  while ((got = ::read(fd, chunk, sizeof chunk)) > 0) answer.append(chunk, static_cast<size_t>(got));
  ::close(fd);
  std::fputs(answer.c_str(), stdout);
  return answer.empty() ? 1 : 0;
}

int latency(const std::string& path, int count) {
  const std::string request = "{\"command\":\"status\"}\n";
  for (int i = 0; i < count; ++i) {
    const auto started = std::chrono::steady_clock::now();
    bool full = false;
    int fd = -1;
    while ((fd = connect_to(path, full)) < 0) {
      if (!full) return 1;
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
    int flags = ::fcntl(fd, F_GETFL);
    ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    timeval limit{10, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
    if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size()))
      return 1;
    std::string answer;
    char chunk[65536];
    ssize_t got;
    while (answer.find('\n') == std::string::npos && (got = ::read(fd, chunk, sizeof chunk)) > 0)
      answer.append(chunk, static_cast<size_t>(got));
    ::close(fd);
    if (answer.find("\"ok\":true") == std::string::npos) {
      std::fprintf(stderr, "control_clients: status %d not answered: %s\n", i, answer.c_str());
      return 1;
    }
    const auto took = std::chrono::steady_clock::now() - started;
    std::printf("%lld\n",
                static_cast<long long>(std::chrono::duration_cast<std::chrono::microseconds>(took).count()));
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "stall" && (argc == 5 || argc == 6))
    return stall(argv[2], std::stoi(argv[3]), std::stoi(argv[4]),
                 argc == 6 && std::string(argv[5]) == "--subscribe");
  if (mode == "latency" && argc == 4) return latency(argv[2], std::stoi(argv[3]));
  if (mode == "half-close" && argc == 4) return half_close(argv[2], argv[3]);
  std::fprintf(stderr,
               "usage: control_clients stall SOCKET COUNT SECONDS [--subscribe] | latency SOCKET COUNT | "
               "half-close SOCKET TEXT\n");
  return 2;
}
