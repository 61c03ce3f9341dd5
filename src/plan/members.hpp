// SPDX-License-Identifier: GPL-2.0-or-later
// Which uplinks take new traffic: the one rule shared by the kernel's nexthop group and every nftables
// choice (mode packet or connection, [[rule]] uplinks), so that all of them agree on tiers, health and
// drains.
#pragma once

#include <functional>
#include <vector>

#include "config/config.hpp"
#include "plan/plan.hpp"

namespace uplinkd {

struct Members {
  std::vector<size_t> indices;  // into config.uplinks, in config order
  bool only_drained = false;    // no undrained candidate is usable, so drained ones carry new traffic
};

// Among the uplinks for which `candidate` holds: the usable ones of the best tier, healthy before degraded
// (a lossy link beats the next tier's backup, but not a clean link beside it), drained ones only when no
// other candidate is usable (the operator asked for a graceful exit, not for an outage).
// Each family chooses apart: an uplink whose IPv6 is down stays in the IPv4 group.
Members choose_members(const Config& config, const std::vector<PlannedUplink>& planned,
                       const std::function<bool(size_t)>& candidate, Family family = Family::v4);

}  // namespace uplinkd
