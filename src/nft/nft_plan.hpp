// What uplinkd wants in its nftables table, as the planner computes it. Kept free of libnftables so that
// src/plan/ can include it and stay pure; src/nft/ turns it into a table and the kernel.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/ip.hpp"

namespace uplinkd {

// Connections masqueraded to `address` keep leaving by its uplink: packets of theirs get `mark`, which a
// rule routes by the uplink's table. So a change of the balanced group (a failure, a recovery, a drain, a
// weight) never moves an established connection to an uplink that would send it out with the wrong source
// address, where the ISP drops it.
struct PinnedUplink {
  IpAddress address;
  uint32_t mark = 0;
  bool operator==(const PinnedUplink&) const = default;
};

struct NatPlan {
  // Traffic leaving by one of these interfaces is masqueraded to that interface's address. Names are
  // validated by the config; the order is kept, so the rendered table is stable from run to run.
  std::vector<std::string> masquerade_interfaces;
  std::vector<PinnedUplink> pinned;  // usable (or drained) masquerading uplinks, in config order

  bool operator==(const NatPlan&) const = default;
};

}  // namespace uplinkd
