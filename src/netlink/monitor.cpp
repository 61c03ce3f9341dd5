// SPDX-License-Identifier: GPL-2.0-or-later
#include "netlink/monitor.hpp"

#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <utility>

#include "netlink/codec.hpp"

namespace uplinkd::netlink {

namespace {

// Groups above 31 (RTNLGRP_NEXTHOP is 32) cannot go in bind()'s bitmask, so every group is joined with
// NETLINK_ADD_MEMBERSHIP.
constexpr rtnetlink_groups kGroups[] = {
    RTNLGRP_LINK,       RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR, RTNLGRP_IPV4_ROUTE,
    RTNLGRP_IPV6_ROUTE, RTNLGRP_IPV4_RULE,   RTNLGRP_IPV6_RULE,   RTNLGRP_NEXTHOP,
};

// One multicast skb can hold several messages; the kernel never sends one larger than 32 KiB.
constexpr size_t kReceiveBufferSize = 65536;

template <class T>
void add(std::vector<Event>& events, uint16_t type, uint16_t removed_type, std::optional<T> object) {
  if (object)
    events.push_back(ObjectEvent<T>{type == removed_type ? EventKind::removed : EventKind::added, *object});
}

}  // namespace

std::vector<Event> decode_events(const void* data, size_t length) {
  std::vector<Event> events;
  // Walked by hand rather than with mnl_nlmsg_ok/next: libmnl 1.0.4 compares nlmsg_len as a signed int, so a
  // length of 2^31 or more passes its check (found by fuzz/netlink_events_fuzz). The kernel never sends one,
  // but this function promises to skip whatever does not decode.
  const auto* bytes = static_cast<const char*>(data);
  for (size_t offset = 0; length - offset >= sizeof(nlmsghdr);) {
    const auto* message = reinterpret_cast<const nlmsghdr*>(bytes + offset);
    const size_t size = message->nlmsg_len;
    if (size < sizeof(nlmsghdr) || size > length - offset) break;
    offset += std::min<size_t>(NLMSG_ALIGN(size), length - offset);
    const uint16_t type = message->nlmsg_type;
    switch (type) {
      case RTM_NEWLINK:
      case RTM_DELLINK:
        add(events, type, RTM_DELLINK, decode_link(message));
        break;
      case RTM_NEWADDR:
      case RTM_DELADDR:
        add(events, type, RTM_DELADDR, decode_address(message));
        break;
      case RTM_NEWROUTE:
      case RTM_DELROUTE:
        add(events, type, RTM_DELROUTE, decode_route(message));
        break;
      case RTM_NEWRULE:
      case RTM_DELRULE:
        add(events, type, RTM_DELRULE, decode_rule(message));
        break;
      case RTM_NEWNEXTHOP:
      case RTM_DELNEXTHOP:
        add(events, type, RTM_DELNEXTHOP, decode_nexthop(message));
        break;
      default:
        break;
    }
  }
  return events;
}

Expected<Monitor> Monitor::open(MonitorOptions options) {
  mnl_socket* socket = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC | SOCK_NONBLOCK);
  if (!socket) return KernelError{"open rtnetlink monitor", errno, ""};
  Monitor monitor(socket);
  if (mnl_socket_bind(socket, 0, MNL_SOCKET_AUTOPID) < 0)
    return KernelError{"bind rtnetlink monitor", errno, ""};
  for (int group : kGroups) {
    if (mnl_socket_setsockopt(socket, NETLINK_ADD_MEMBERSHIP, &group, sizeof group) < 0) {
      // RTNLGRP_NEXTHOP is missing before 5.3; everything else is decades old.
      if (group == RTNLGRP_NEXTHOP) continue;
      return KernelError{"join rtnetlink group " + std::to_string(group), errno, ""};
    }
  }
  const int fd = mnl_socket_get_fd(socket);
  const int bytes = options.receive_buffer_bytes;
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof bytes) < 0) {
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
  }
  return monitor;
}

Monitor::Monitor(mnl_socket* socket) : socket_(socket), buffer_(kReceiveBufferSize) {}

Monitor::Monitor(Monitor&& other) noexcept {
  *this = std::move(other);
}

Monitor& Monitor::operator=(Monitor&& other) noexcept {
  if (this != &other) {
    if (socket_) mnl_socket_close(socket_);
    socket_ = std::exchange(other.socket_, nullptr);
    buffer_ = std::move(other.buffer_);
  }
  return *this;
}

Monitor::~Monitor() {
  if (socket_) mnl_socket_close(socket_);
}

int Monitor::fd() const {
  return mnl_socket_get_fd(socket_);
}

Expected<MonitorBatch> Monitor::read_pending() {
  MonitorBatch batch;
  for (;;) {
    const ssize_t received = mnl_socket_recvfrom(socket_, buffer_.data(), buffer_.size());
    if (received < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return batch;
      // The kernel reports a dropped message once, then the socket carries on; keep draining what is queued.
      if (errno == ENOBUFS) {
        batch.overrun = true;
        continue;
      }
      return KernelError{"read rtnetlink events", errno, ""};
    }
    auto events = decode_events(buffer_.data(), static_cast<size_t>(received));
    batch.events.insert(batch.events.end(), std::make_move_iterator(events.begin()),
                        std::make_move_iterator(events.end()));
  }
}

}  // namespace uplinkd::netlink
