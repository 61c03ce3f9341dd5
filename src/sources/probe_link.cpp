// SPDX-License-Identifier: GPL-2.0-or-later
#include "sources/probe_link.hpp"

#include <net/if.h>
#include <net/if_arp.h>
#include <sys/ioctl.h>

#include <cerrno>
#include <cstring>

namespace uplinkd {

Expected<EthernetLink> find_ethernet_link(int fd, const ProbeSource& source, const std::string& prefix,
                                          const std::string& consequence) {
  ifreq request{};
  if (source.interface.empty() || source.interface.size() >= sizeof request.ifr_name) {
    return errno_error(prefix + "find interface", ENODEV);
  }
  std::memcpy(request.ifr_name, source.interface.data(), source.interface.size());
  if (::ioctl(fd, SIOCGIFINDEX, &request) != 0) return errno_error(prefix + "find interface", errno);
  EthernetLink found;
  found.index = request.ifr_ifindex;
  if (::ioctl(fd, SIOCGIFHWADDR, &request) != 0) return errno_error(prefix + "read its MAC", errno);
  if (request.ifr_hwaddr.sa_family != ARPHRD_ETHER) {
    return KernelError{prefix + "not an Ethernet link (hardware type " +
                           std::to_string(request.ifr_hwaddr.sa_family) + "), " + consequence,
                       EAFNOSUPPORT,
                       {}};
  }
  std::memcpy(found.mac.data(), request.ifr_hwaddr.sa_data, found.mac.size());
  return found;
}

}  // namespace uplinkd
