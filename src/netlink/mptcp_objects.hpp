// SPDX-License-Identifier: GPL-2.0-or-later
// Typed objects of the kernel's in-kernel MPTCP path manager, as `ip mptcp endpoint` and `ip mptcp limits`
// show them. An endpoint is a local address the kernel may open extra subflows from (subflow) or announce to
// the peer (signal); the limits cap how many of either one connection gets. Both are per network namespace.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "common/ip.hpp"

namespace uplinkd::netlink {

struct MptcpEndpoint {
  uint8_t id = 0;  // 1..255; 0 in an add request lets the kernel pick one (the next free id after the last)
  IpAddress address;
  // 0: none. The kernel checks neither that it exists nor that it holds `address`, and keeps the endpoint
  // when the interface goes (`ip mptcp endpoint show` then says "dev if7").
  uint32_t ifindex = 0;
  bool signal = false;    // announced to the peer (ADD_ADDR)
  bool subflow = false;   // used for subflows this host opens
  bool backup = false;    // its subflows carry traffic only when no other subflow can (MP_PRIO)
  bool fullmesh = false;  // a subflow to every address the peer announced, not only the first
  // Made by the kernel itself for a subflow's address that no endpoint had; never by a request (the kernel
  // refuses one). Adding an endpoint with an explicit id for such an address fails with EINVAL (so says
  // pm_kernel.c; not seen here, as it takes a live MPTCP connection).
  bool implicit = false;
  std::optional<uint16_t> port;  // only with signal and without subflow; the kernel then listens on it
  bool operator==(const MptcpEndpoint&) const = default;
};

// Per-connection caps. A new namespace starts at subflows 2, add_addr_accepted 0.
struct MptcpLimits {
  uint32_t subflows = 2;           // extra subflows per connection, whichever side opens them
  uint32_t add_addr_accepted = 0;  // peer announcements (ADD_ADDR) acted on per connection
  bool operator==(const MptcpLimits&) const = default;
};

// MPTCP_PM_ADDR_MAX in the kernel (net/mptcp/pm_kernel.c, pm_netlink.c before 6.15): a limit above it is
// refused with EINVAL, and a namespace holds at most this many endpoints (the next add fails with ERANGE).
inline constexpr uint32_t kMptcpMaxLimit = 8;
inline constexpr size_t kMptcpMaxEndpoints = 8;

}  // namespace uplinkd::netlink
