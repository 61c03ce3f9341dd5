// SPDX-License-Identifier: GPL-2.0-or-later
// Numbers that bound a valid configuration, with where each comes from.
#pragma once

#include <cstddef>
#include <cstdint>

namespace uplinkd::config_limits {

// Uplinks without a `table` get the lowest free id from here up: 200 is what the LARTC recipe and dhcp-lb's
// examples use, clear of the ids distributions ship in /etc/iproute2/rt_tables.
inline constexpr uint32_t kFirstDefaultTable = 200;

// The kernel's own tables: 0 (unspec, "all" in a dump), 253 (default), 254 (main), 255 (local).
inline constexpr uint32_t kReservedTables[] = {0, 253, 254, 255};

// An uplink's nexthop id is 0x75000000 + its table id, and the nexthop range ends in groups at 0x75f00000, so
// uplink tables must stay at or below 0x00efffff. Equal to ownership::kMaxUplinkTable in src/plan; repeated
// here rather than included because config must not depend on the planner.
inline constexpr uint32_t kMaxUplinkTable = 0x00efffff;

// Nexthop group weights go to the kernel as a u8 holding weight - 1.
inline constexpr int64_t kMaxWeight = 256;

inline constexpr size_t kMaxUplinkName = 32;
inline constexpr size_t kMaxInterfaceName = 15;  // IFNAMSIZ - 1: the kernel's limit, not ours

// The kernel takes the resilient group's idle timer in clock_t (1/100 s) in a u32.
inline constexpr int64_t kMaxIdleTimer = UINT32_MAX / 100;

// on_change_timeout, in seconds: an hour is far beyond any notification script, so a larger value is more
// likely milliseconds written by mistake than a wish.
inline constexpr double kMaxOnChangeTimeout = 3600;

// tcp_max_reordering, in packets: the kernel takes any int, but beyond this TCP would wait out reordering for
// longer than any link pair uplinkd balances could cause.
inline constexpr int64_t kMaxTcpReordering = 65535;

// sticky_timeout, in seconds: a week; nft keeps the time in milliseconds in a u64, so the bound is ours.
inline constexpr int64_t kMaxStickyTimeout = 7 * 24 * 3600;

}  // namespace uplinkd::config_limits
