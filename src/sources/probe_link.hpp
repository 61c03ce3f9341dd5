// SPDX-License-Identifier: GPL-2.0-or-later
// The uplink's Ethernet link as the link-layer probers (ARP, neighbour discovery) need it: its index, to
// address frames and multicasts to it, and its MAC, to say who asks.
#pragma once

#include <string>

#include "common/error.hpp"
#include "sources/probe_arp_codec.hpp"
#include "sources/probe_socket.hpp"

namespace uplinkd {

struct EthernetLink {
  int index = 0;
  arp::MacAddress mac{};
};

// source.interface's index and MAC, read through any socket `fd`. A link that is not Ethernet-like
// (ARPHRD_ETHER) is refused with EAFNOSUPPORT: PPP, WireGuard, tun and raw-IP LTE links have no MAC. Errors
// read "<prefix>find interface: ...", "<prefix>read its MAC: ..." and "<prefix>not an Ethernet link (hardware
// type N), <consequence>".
Expected<EthernetLink> find_ethernet_link(int fd, const ProbeSource& source, const std::string& prefix,
                                          const std::string& consequence);

}  // namespace uplinkd
