#include "sources/probe_socket.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace uplinkd {

std::string ProbeSource::to_string() const {
  return interface + " " + address.to_string();
}

KernelError errno_error(std::string what, int code) {
  return KernelError{std::move(what), code, {}};
}

std::optional<KernelError> bind_to_uplink(int fd, const ProbeSource& source) {
  // Needs CAP_NET_ADMIN, like the rest of what the daemon does.
  if (source.mark && ::setsockopt(fd, SOL_SOCKET, SO_MARK, &source.mark, sizeof source.mark) != 0)
    return errno_error("probe socket on " + source.to_string() + ": set mark", errno);
  // Needs CAP_NET_RAW (the daemon has it); the device must exist, else ENODEV.
  if (::setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, source.interface.c_str(),
                   static_cast<socklen_t>(source.interface.size())) != 0) {
    return errno_error("probe socket on " + source.to_string() + ": bind to device", errno);
  }
  if (source.address.family() != Family::v4) {
    return errno_error("probe socket on " + source.to_string() + ": only IPv4 probes exist yet",
                       EAFNOSUPPORT);
  }
  sockaddr_in local{};
  local.sin_family = AF_INET;
  std::memcpy(&local.sin_addr, source.address.data(), 4);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&local), sizeof local) != 0) {
    return errno_error("probe socket on " + source.to_string() + ": bind to address", errno);
  }
  return std::nullopt;
}

}  // namespace uplinkd
