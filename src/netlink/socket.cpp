// SPDX-License-Identifier: GPL-2.0-or-later
#include "netlink/socket.hpp"

#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <ctime>

#include "netlink/attributes.hpp"

namespace uplinkd::netlink {

namespace {

// The kernel sizes a dump's skbs after the largest buffer a reader has offered, capped near 32 KiB.
constexpr size_t kReceiveBufferSize = 65536;
// Acks of a large batch queue up on our socket before we read them; a bigger buffer keeps them from being
// dropped (ENOBUFS). SO_RCVBUFFORCE needs CAP_NET_ADMIN, which the daemon has anyway.
constexpr int kSocketReceiveBuffer = 4 << 20;
// A kernel that never answers is a bug, but waiting forever on it would freeze the daemon's one loop.
constexpr int kReplyTimeoutSeconds = 10;
// A dump flagged NLM_F_DUMP_INTR saw the tables change under it; try again a few times.
constexpr int kDumpAttempts = 5;

void enable(mnl_socket* socket, int option) {
  int one = 1;
  mnl_socket_setsockopt(socket, option, &one, sizeof one);
}

}  // namespace

std::string extended_ack_message(const nlmsghdr* message) {
  if (!(message->nlmsg_flags & NLM_F_ACK_TLVS)) return "";
  size_t offset = MNL_NLMSG_HDRLEN;
  if (message->nlmsg_type == NLMSG_ERROR) {
    if (message->nlmsg_len < MNL_NLMSG_HDRLEN + sizeof(nlmsgerr)) return "";
    const auto* error = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(message));
    offset += sizeof(nlmsgerr);
    // Unless the ack is capped, the kernel echoes our whole request before the TLVs.
    if (!(message->nlmsg_flags & NLM_F_CAPPED)) offset += error->msg.nlmsg_len - sizeof(nlmsghdr);
  } else {
    offset += sizeof(int);
  }
  offset = MNL_ALIGN(offset);
  if (offset >= message->nlmsg_len) return "";
  std::array<const nlattr*, NLMSGERR_ATTR_MAX + 1> table{};
  if (!index_attributes(reinterpret_cast<const char*>(message) + offset, message->nlmsg_len - offset,
                        table)) {
    return "";
  }
  return attr_string(table[NLMSGERR_ATTR_MSG]).value_or("");
}

Expected<Socket> Socket::open() {
  mnl_socket* socket = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
  if (!socket) return KernelError{"open rtnetlink socket", errno, ""};
  if (mnl_socket_bind(socket, 0, MNL_SOCKET_AUTOPID) < 0) {
    const int error = errno;
    mnl_socket_close(socket);
    return KernelError{"bind rtnetlink socket", error, ""};
  }
  return Socket(socket);
}

Socket::Socket(mnl_socket* socket) : socket_(socket), port_(mnl_socket_get_portid(socket)) {
  buffer_.resize(kReceiveBufferSize);
  // Each is an improvement the kernel may lack (strict checking came in 4.20); without it we still work.
  enable(socket_, NETLINK_CAP_ACK);
  enable(socket_, NETLINK_EXT_ACK);
  int one = 1;
  strict_ = mnl_socket_setsockopt(socket_, NETLINK_GET_STRICT_CHK, &one, sizeof one) == 0;
  const int fd = mnl_socket_get_fd(socket_);
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &kSocketReceiveBuffer, sizeof kSocketReceiveBuffer) < 0) {
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &kSocketReceiveBuffer, sizeof kSocketReceiveBuffer);
  }
  const timeval timeout{kReplyTimeoutSeconds, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  sequence_ = static_cast<uint32_t>(time(nullptr));
}

Socket::Socket(Socket&& other) noexcept {
  *this = std::move(other);
}

Socket& Socket::operator=(Socket&& other) noexcept {
  if (this != &other) {
    if (socket_) mnl_socket_close(socket_);
    socket_ = std::exchange(other.socket_, nullptr);
    port_ = other.port_;
    sequence_ = other.sequence_;
    strict_ = other.strict_;
    buffer_ = std::move(other.buffer_);
  }
  return *this;
}

Socket::~Socket() {
  if (socket_) mnl_socket_close(socket_);
}

std::optional<int> Socket::send(const void* data, size_t length) {
  while (mnl_socket_sendto(socket_, data, length) < 0) {
    if (errno != EINTR) return errno;
  }
  return std::nullopt;
}

Expected<size_t> Socket::receive(const std::string& what) {
  for (;;) {
    const ssize_t received = mnl_socket_recvfrom(socket_, buffer_.data(), buffer_.size());
    if (received >= 0) return static_cast<size_t>(received);
    if (errno == EINTR) continue;
    const int error = errno == EAGAIN || errno == EWOULDBLOCK ? ETIMEDOUT : errno;
    return KernelError{what, error, error == ETIMEDOUT ? "no reply from the kernel" : ""};
  }
}

Expected<bool> Socket::run_dump(nlmsghdr* request, const std::string& what,
                                const std::function<void(const nlmsghdr*)>& each) {
  request->nlmsg_seq = ++sequence_;
  if (const auto error = send(request, request->nlmsg_len)) return KernelError{what, *error, ""};
  bool interrupted = false;
  for (;;) {
    const auto received = receive(what);
    if (!received) return received.error();
    int left = static_cast<int>(*received);
    for (auto* message = reinterpret_cast<const nlmsghdr*>(buffer_.data()); mnl_nlmsg_ok(message, left);
         message = mnl_nlmsg_next(message, &left)) {
      // Replies to an earlier request that timed out can still arrive; they are not ours to read.
      if (message->nlmsg_seq != request->nlmsg_seq || message->nlmsg_pid != port_) continue;
      if (message->nlmsg_flags & NLM_F_DUMP_INTR) interrupted = true;
      if (message->nlmsg_type == NLMSG_DONE) {
        int status = 0;
        if (message->nlmsg_len >= MNL_NLMSG_HDRLEN + sizeof status) {
          std::memcpy(&status, mnl_nlmsg_get_payload(message), sizeof status);
        }
        if (status < 0) return KernelError{what, -status, extended_ack_message(message)};
        return interrupted;
      }
      if (message->nlmsg_type == NLMSG_ERROR) {
        if (message->nlmsg_len < MNL_NLMSG_HDRLEN + sizeof(nlmsgerr)) return KernelError{what, EBADMSG, ""};
        const auto* error = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(message));
        if (error->error == 0) continue;
        return KernelError{what, -error->error, extended_ack_message(message)};
      }
      each(message);
    }
  }
}

template <class T>
Expected<std::vector<T>> Socket::dump(nlmsghdr* request, const std::string& what,
                                      std::optional<T> (*decode)(const nlmsghdr*)) {
  for (int attempt = 0; attempt < kDumpAttempts; ++attempt) {
    std::vector<T> objects;
    const auto interrupted = run_dump(request, what, [&](const nlmsghdr* message) {
      if (auto object = decode(message)) objects.push_back(std::move(*object));
    });
    if (!interrupted) return interrupted.error();
    if (!*interrupted) return objects;
  }
  return KernelError{what, EINTR, "the dump was interrupted by changes every time"};
}

Expected<std::vector<Link>> Socket::dump_links() {
  std::array<char, 256> request;
  return dump<Link>(encode_link_dump(request), "dump links", decode_link);
}

Expected<std::vector<LinkTraffic>> Socket::dump_link_traffic() {
  std::array<char, 256> request;
  return dump<LinkTraffic>(encode_link_dump(request), "dump link counters", decode_link_traffic);
}

Expected<std::vector<Address>> Socket::dump_addresses(Family family) {
  std::array<char, 256> request;
  return dump<Address>(encode_address_dump(request, family),
                       "dump " + std::string(family_name(family)) + " addresses", decode_address);
}

Expected<std::vector<Route>> Socket::dump_routes(Family family, RouteFilter filter) {
  std::array<char, 256> request;
  const std::string what = "dump " + std::string(family_name(family)) + " routes";
  // A kernel without strict checking ignores the filter in the request; the erase below is then all of it.
  nlmsghdr* message = encode_route_dump(request, family, filter.table, filter.protocol);
  auto routes = dump<Route>(message, what, decode_route);
  // A table filter naming a table that does not exist yet is an empty answer, not a failure.
  if (!routes && routes.error().code == ENOENT && filter.table) return std::vector<Route>{};
  if (!routes) return routes;
  std::erase_if(*routes, [&](const Route& route) {
    return (filter.table && route.table != filter.table) ||
           (filter.protocol && route.protocol != filter.protocol);
  });
  return routes;
}

Expected<std::vector<Rule>> Socket::dump_rules(Family family) {
  std::array<char, 256> request;
  return dump<Rule>(encode_rule_dump(request, family), "dump " + std::string(family_name(family)) + " rules",
                    decode_rule);
}

Expected<std::vector<Nexthop>> Socket::dump_nexthops() {
  std::array<char, 256> request;
  auto nexthops = dump<Nexthop>(encode_nexthop_dump(request), "dump nexthops", decode_nexthop);
  // Kernels before 5.3 have no nexthop objects, hence none of uplinkd's.
  if (!nexthops && nexthops.error().code == EOPNOTSUPP) {
    return std::vector<Nexthop>{};
  }
  return nexthops;
}

}  // namespace uplinkd::netlink
