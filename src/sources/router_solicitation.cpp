// SPDX-License-Identifier: GPL-2.0-or-later
#include "sources/router_solicitation.hpp"

#include <arpa/inet.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "sources/probe_socket.hpp"

namespace uplinkd {

std::optional<KernelError> solicit_routers(const std::string& interface, uint32_t ifindex) {
  const std::string what = "router solicitation on " + interface;
  const int fd = ::socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMPV6);
  if (fd < 0) return errno_error(what + ": open a raw ICMPv6 socket", errno);
  // RFC 4861 6.1.1: routers drop a solicitation whose hop limit is not 255 (the multicast default is 1).
  const int hops = 255;
  const int index = static_cast<int>(ifindex);
  std::optional<KernelError> error;
  if (::setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof hops) != 0 ||
      ::setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &index, sizeof index) != 0) {
    error = errno_error(what + ": set hop limit and interface", errno);
  } else {
    // Type, code, checksum (the kernel computes it for ICMPv6), 4 reserved bytes; no options: the source
    // link-layer address option is optional, and routers learn it by neighbour discovery when they answer
    // by unicast.
    nd_router_solicit message{};
    message.nd_rs_type = ND_ROUTER_SOLICIT;
    sockaddr_in6 all_routers{};
    all_routers.sin6_family = AF_INET6;
    all_routers.sin6_scope_id = ifindex;
    ::inet_pton(AF_INET6, "ff02::2", &all_routers.sin6_addr);
    if (::sendto(fd, &message, sizeof message, 0, reinterpret_cast<const sockaddr*>(&all_routers),
                 sizeof all_routers) < 0)
      error = errno_error(what + ": send to ff02::2", errno);
  }
  ::close(fd);
  return error;
}

}  // namespace uplinkd
