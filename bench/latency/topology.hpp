// SPDX-License-Identifier: GPL-2.0-or-later
// The addressing of the namespaces bench/run.sh builds, in one place for every latency path: uplink K
// (1-based) is wanK in table 300 + K (200 + K would reach the kernel's 253 with 64 uplinks), dual stack:
//   IPv4  100.64.K.10/24 (or .11 after an address change), gateways 100.64.K.1 and .2 in the ISP namespace;
//   IPv6  2001:db8:K::10/64 (or 2001:db8:K:1::10/64 after a prefix change, as SLAAC after a renumbering),
//         router fe80::1 announced as `default via fe80::1 dev wanK proto ra metric 1024 + K`.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

#include "common/ip.hpp"

namespace uplinkd::bench {

inline constexpr uint32_t kFirstTable = 301;
inline constexpr uint32_t kBalanceTable = 1000;

inline uint32_t table_of(int uplink) {
  return kFirstTable + static_cast<uint32_t>(uplink) - 1;
}
inline std::string interface_of(int uplink) {
  return "wan" + std::to_string(uplink);
}
inline IpAddress parse_address(const std::string& text) {
  auto address = IpAddress::parse(text);
  if (!address) throw std::invalid_argument("not an address: " + text);
  return *address;
}

// IPv4: 100.64.K.<last_octet>, on a /24.
inline IpAddress host(int uplink, int last_octet) {
  return parse_address("100.64." + std::to_string(uplink) + "." + std::to_string(last_octet));
}
inline Prefix lease_prefix(int uplink, int last_octet) {
  return Prefix{host(uplink, last_octet), 24};
}

// IPv6: the /64 that SLAAC numbered wanK from; `subnet` 0 is the first prefix, 1 the one after a
// renumbering. K goes in as written (decimal digits read as a hex group), as run.sh writes it.
inline Prefix slaac_prefix(int uplink, int subnet) {
  std::string text = "2001:db8:" + std::to_string(uplink) + ":" + std::to_string(subnet) + "::";
  return Prefix{parse_address(text), 64};
}
inline Prefix slaac_address(int uplink, int subnet) {
  Prefix prefix = slaac_prefix(uplink, subnet);
  prefix.address = parse_address(prefix.address.to_string() + "10");
  return prefix;
}
inline IpAddress ra_router() {
  return parse_address("fe80::1");
}
// Userspace cannot add two default routes of one metric (the kernel's own RA routes can: RTF_ADDRCONF), so
// each uplink's router route has a metric of its own.
inline uint32_t ra_metric(int uplink) {
  return 1024 + static_cast<uint32_t>(uplink);
}

}  // namespace uplinkd::bench
