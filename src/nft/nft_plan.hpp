// What uplinkd wants in its nftables table, as the planner computes it. Kept free of libnftables so that
// src/plan/ can include it and stay pure; src/nft/ turns it into a table and the kernel.
#pragma once

#include <string>
#include <vector>

namespace uplinkd {

struct NatPlan {
  // Traffic leaving by one of these interfaces is masqueraded to that interface's address. Names are
  // validated by the config; the order is kept, so the rendered table is stable from run to run.
  std::vector<std::string> masquerade_interfaces;

  bool operator==(const NatPlan&) const = default;
};

}  // namespace uplinkd
