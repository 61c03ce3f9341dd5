// SPDX-License-Identifier: GPL-2.0-or-later
// Where a listed destination and main's routes disagree. main keeps winning for its specific routes (the LAN,
// a VPN), as it does for "default", except for the uplinks' own connected routes: with the seed's two NICs
// sharing one address, main holds a connected route per NIC to the very prefix to be balanced, and it would
// take all of that traffic down the first NIC.
#pragma once

#include <vector>

#include "config/config.hpp"
#include "plan/plan.hpp"

namespace uplinkd {

// The parts of listed (non-default) destinations that an uplink's connected subnet covers (IPv4: its
// address's subnet; IPv6: each of its global prefixes): for each, uplinkd adds rules before main's. Without
// duplicates, in config order.
std::vector<Prefix> contested_destinations(const Config& config, const std::vector<PlannedUplink>& uplinks);

}  // namespace uplinkd
