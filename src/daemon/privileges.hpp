// SPDX-License-Identifier: GPL-2.0-or-later
// Least privilege: once started, uplinkd keeps only CAP_NET_ADMIN and CAP_NET_RAW, whoever started it
// (systemd with AmbientCapabilities, or root by hand with every capability). What each is needed for, and
// why no other is, is in docs/operations.md ("Privileges").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace uplinkd {

// A capability set as the kernel shows it in /proc/PID/status: bit N is capability N (linux/capability.h).
using CapabilityMask = uint64_t;

// CAP_NET_ADMIN (12): routes, rules, nexthops, nftables, conntrack deletion, SO_MARK, and writing
// /proc/sys/net (net_ctl_permissions lets CAP_NET_ADMIN write a netns's sysctls).
// CAP_NET_RAW (13): raw ICMP and packet (ARP) probe sockets, and SO_BINDTODEVICE on them.
inline constexpr CapabilityMask kKeptCapabilities = (CapabilityMask{1} << 12) | (CapabilityMask{1} << 13);

struct CapabilitySets {
  CapabilityMask inheritable = 0;
  CapabilityMask permitted = 0;
  CapabilityMask effective = 0;
  CapabilityMask bounding = 0;
  CapabilityMask ambient = 0;
  bool no_new_privs = false;
  bool operator==(const CapabilitySets&) const = default;
};

// What the sets must become from `now`: the kept capabilities that are permitted now in permitted and
// effective (a process can never add to its permitted set), none inheritable or ambient, the bounding set
// narrowed to the kept ones, and no_new_privs.
CapabilitySets least_privilege(const CapabilitySets& now);

// The Cap* and NoNewPrivs lines of a /proc/PID/status text; nullopt when one of the Cap* lines is missing
// or is not hexadecimal.
std::optional<CapabilitySets> parse_status_capabilities(std::string_view status);

// "CAP_NET_ADMIN, CAP_NET_RAW"; "none" for an empty mask; an unknown bit as "cap_40".
std::string capability_names(CapabilityMask mask);

// Applies least_privilege() to this process (libcap-ng), then reads /proc/self/status back and checks.
// Must run while the process has one thread: capabilities belong to a thread, and one started earlier
// would keep everything. Returns what the process has now, or why the drop failed (the caller stops).
struct DropOutcome {
  CapabilitySets before;
  CapabilitySets after;
  CapabilityMask missing = 0;  // kept capabilities the process never had (it will fail where it needs them)
};
DropOutcome drop_to_least_privilege();  // throws std::runtime_error naming the step that failed

}  // namespace uplinkd
