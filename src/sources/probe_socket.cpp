// SPDX-License-Identifier: GPL-2.0-or-later
#include "sources/probe_socket.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "sources/probe_ndp_codec.hpp"

namespace uplinkd {

std::string ProbeSource::to_string() const {
  return interface + " " + address.to_string();
}

KernelError errno_error(std::string what, int code) {
  return KernelError{std::move(what), code, {}};
}

SocketAddress socket_address(const IpAddress& address, uint16_t port, uint32_t scope_id) {
  SocketAddress result;
  if (address.family() == Family::v4) {
    auto* in = reinterpret_cast<sockaddr_in*>(&result.storage);
    in->sin_family = AF_INET;
    in->sin_port = htons(port);
    std::memcpy(&in->sin_addr, address.data(), 4);
    result.length = sizeof(sockaddr_in);
  } else {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&result.storage);
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(port);
    in6->sin6_scope_id = scope_id;
    std::memcpy(&in6->sin6_addr, address.data(), 16);
    result.length = sizeof(sockaddr_in6);
  }
  return result;
}

std::optional<IpAddress> address_of(const sockaddr_storage& storage) {
  if (storage.ss_family == AF_INET) {
    return IpAddress::from_bytes(Family::v4, &reinterpret_cast<const sockaddr_in*>(&storage)->sin_addr);
  }
  if (storage.ss_family == AF_INET6) {
    return IpAddress::from_bytes(Family::v6, &reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_addr);
  }
  return std::nullopt;
}

std::optional<KernelError> bind_to_interface(int fd, const ProbeSource& source) {
  // Needs CAP_NET_ADMIN, like the rest of what the daemon does.
  if (source.mark && ::setsockopt(fd, SOL_SOCKET, SO_MARK, &source.mark, sizeof source.mark) != 0)
    return errno_error("probe socket on " + source.to_string() + ": set mark", errno);
  // Needs CAP_NET_RAW (the daemon has it); the device must exist, else ENODEV.
  if (::setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, source.interface.c_str(),
                   static_cast<socklen_t>(source.interface.size())) != 0) {
    return errno_error("probe socket on " + source.to_string() + ": bind to device", errno);
  }
  return std::nullopt;
}

std::optional<KernelError> bind_to_uplink(int fd, const ProbeSource& source) {
  const IpAddress& address = source.address;
  if (address.family() == Family::v6 &&
      (ndp::is_link_local(address) || ndp::is_multicast(address) || address.is_unspecified())) {
    // The header says why. The kernel would take a link-local one (the socket has its device), and with ::
    // it would choose a source per packet, fe80:: for a link-local target.
    return errno_error("probe socket on " + source.to_string() +
                           ": not a source for probes (use the uplink's global IPv6 address)",
                       EINVAL);
  }
  if (auto error = bind_to_interface(fd, source)) return error;
  const SocketAddress local = socket_address(address);
  if (::bind(fd, local.get(), local.length) != 0) {
    return errno_error("probe socket on " + source.to_string() + ": bind to address", errno);
  }
  return std::nullopt;
}

}  // namespace uplinkd
