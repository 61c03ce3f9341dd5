// SPDX-License-Identifier: GPL-2.0-or-later
// What every health probe shares: the uplink it tests, and a socket tied to that uplink.
//
// A probe must leave by the uplink it tests and count only answers that come back by it. Binding to the
// uplink's address makes uplinkd's rule `from ADDRESS lookup UPLINK-TABLE` (priority 20100) route it by the
// uplink's own table; SO_BINDTODEVICE makes the kernel both send it out of that interface only (never by
// another uplink, even if main's default route points elsewhere) and deliver to the socket only what arrives
// on that interface for that address. So a target that answers through the wrong uplink cannot make a dead
// uplink look alive.
//
// Either family: the socket's family is source.address's. An IPv6 source must be the uplink's global address,
// never its link-local one: a probe from fe80:: cannot leave the link, so it would prove nothing beyond the
// router (mwan3 #9861 marked working links down that way). Neighbour discovery (probe_ndp.hpp) is the one
// probe that must come from the link-local address; it binds to the interface only.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "common/error.hpp"
#include "common/ip.hpp"

namespace uplinkd {

struct ProbeSource {
  std::string interface;  // e.g. "wan1"
  IpAddress address;      // the uplink's own address on it
  uint32_t mark = 0;      // SO_MARK, 0 = none: the uplink's own mark (plan/ownership.hpp), see below

  std::string to_string() const;  // "wan1 100.64.1.23", for error messages
};

// SO_MARK to source.mark when set: packet marking (modes packet and connection, rules) never re-marks a
// packet that has a mark, and the mark routes the probe by its uplink's table where uplinkd has a rule for
// it, so no balancing can send a probe anywhere but its uplink. SO_BINDTODEVICE to source.interface, then
// bind() to source.address (port 0 for TCP; for a ping socket the kernel picks the echo identifier). The
// address must be on the interface already (else EADDRNOTAVAIL; for IPv6 also while it is tentative, until
// duplicate address detection ends): make probers when an uplink becomes routable and again when its address
// changes. An IPv6 link-local, multicast or unspecified source is refused (EINVAL). The error names the step.
std::optional<KernelError> bind_to_uplink(int fd, const ProbeSource& source);

// bind_to_uplink's first half, SO_MARK and SO_BINDTODEVICE, for a socket whose source address the kernel
// chooses (neighbour discovery's link-local).
std::optional<KernelError> bind_to_interface(int fd, const ProbeSource& source);

// A sockaddr_in or sockaddr_in6 for `address` (by its family), ready for bind(), sendto() or connect().
// scope_id is for a link-local IPv6 address: its interface's index.
struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;
  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
};
SocketAddress socket_address(const IpAddress& address, uint16_t port = 0, uint32_t scope_id = 0);

// The address in a sockaddr_in or sockaddr_in6 (as recvfrom() fills it), nothing for another family.
std::optional<IpAddress> address_of(const sockaddr_storage& storage);

// Reads every datagram waiting on the non-blocking socket `fd` and hands each to handle(bytes, sender), with
// the sender's address as an `Address` (sockaddr_in, sockaddr_ll...). Stops when none is left, as soon as
// stop() is true (a handler may close the prober), or at an error other than EINTR, whose errno it returns.
template <class Address, class Stop, class Handle>
std::optional<int> read_datagrams(int fd, Stop stop, Handle handle) {
  std::array<uint8_t, 1500> buffer;
  while (!stop()) {
    Address from{};
    socklen_t from_length = sizeof from;
    const ssize_t n = ::recvfrom(fd, buffer.data(), buffer.size(), MSG_DONTWAIT,
                                 reinterpret_cast<sockaddr*>(&from), &from_length);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return std::nullopt;
      if (errno == EINTR) continue;
      return errno;
    }
    handle(std::span<const uint8_t>(buffer.data(), static_cast<size_t>(n)), from);
  }
  return std::nullopt;
}

// errno as a KernelError about `what` ("icmp probe wan1 100.64.1.23 -> 198.51.100.1: send").
KernelError errno_error(std::string what, int code);

}  // namespace uplinkd
