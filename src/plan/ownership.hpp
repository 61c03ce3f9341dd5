// SPDX-License-Identifier: GPL-2.0-or-later
// What marks a kernel object as uplinkd's. Nothing outside these marks is ever changed, so uplinkd coexists
// with DHCP clients, NetworkManager, firewalls and a human with `ip`.
#pragma once

#include <cstdint>

#include "common/ip.hpp"

namespace uplinkd::ownership {

// Route (and rule) protocol. Unassigned in iproute2's rt_protos; docs/install.md shows the rt_protos.d line
// that makes `ip route` print "proto uplinkd".
inline constexpr uint8_t kProtocol = 117;

// Rules: all of uplinkd's sit in [20000, 20999], before main (32766), and carry kProtocol.
inline constexpr uint32_t kRulePriorityFirst = 20000;
inline constexpr uint32_t kRulePriorityLast = 20999;
inline constexpr uint32_t kRulePriorityExclude = 20000;  // to X lookup main (exclude, [[rule]] exclude)
inline constexpr uint32_t kRulePriorityExcludeUnreachable = 20001;  // the same, unreachable: never balanced
inline constexpr uint32_t kRulePriorityMarkedDestination =
    20010;  // to D fwmark <uplink mark> lookup <uplink table>
inline constexpr uint32_t kRulePriorityDestination = 20015;   // to D lookup <balance table>
inline constexpr uint32_t kRulePrioritySuppressMain = 20020;  // lookup main suppress_prefixlength 0
inline constexpr uint32_t kRulePriorityPinned = 20050;        // fwmark <uplink mark> lookup <uplink table>
inline constexpr uint32_t kRulePrioritySource = 20100;        // from ADDR lookup <uplink table>
inline constexpr uint32_t kRulePriorityBalance = 20900;       // lookup <balance table>

// Nexthop ids: [0x75000000, 0x75ffffff]. An uplink's nexthop is kNexthopIdFirst + its table id, so the id is
// stable across reloads and restarts; groups sit at the top of the range.
inline constexpr uint32_t kNexthopIdFirst = 0x75000000;
inline constexpr uint32_t kNexthopIdLast = 0x75ffffff;
inline constexpr uint32_t kMaxUplinkTable = 0x00efffff;
inline constexpr uint32_t kGroupIdMultipathV4 = 0x75f00000;
inline constexpr uint32_t kGroupIdMultipathV6 = 0x75f00001;
inline constexpr uint32_t kGroupIdResilientV4 = 0x75f00010;
inline constexpr uint32_t kGroupIdResilientV6 = 0x75f00011;

// An uplink's IPv6 nexthop: a range of its own beside the IPv4 one, same offset (a nexthop has one family).
inline constexpr uint32_t kNexthop6IdFirst = 0x76000000;
inline constexpr uint32_t kNexthop6IdLast = 0x76ffffff;

inline constexpr uint32_t uplink_nexthop_id(uint32_t table, Family family = Family::v4) {
  return (family == Family::v4 ? kNexthopIdFirst : kNexthop6IdFirst) + table;
}
inline constexpr bool owns_nexthop_id(uint32_t id) {
  return (id >= kNexthopIdFirst && id <= kNexthopIdLast) || (id >= kNexthop6IdFirst && id <= kNexthop6IdLast);
}
inline constexpr bool owns_rule_priority(uint32_t priority) {
  return priority >= kRulePriorityFirst && priority <= kRulePriorityLast;
}

// Packet marks: an uplink's is kMarkFirst + its table id (stable, like its nexthop id). nftables sets it on
// packets that must keep using that uplink; a rule at kRulePriorityPinned routes them by its table.
inline constexpr uint32_t kMarkFirst = 0x75000000;
inline constexpr uint32_t uplink_mark(uint32_t table) {
  return kMarkFirst + table;
}

// uplinkd's nftables table (family inet), replaced as a whole.
inline constexpr const char* kNftTable = "uplinkd";

}  // namespace uplinkd::ownership
