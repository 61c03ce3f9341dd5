// SPDX-License-Identifier: GPL-2.0-or-later
// Masquerading for routers: the nat part of uplinkd's table, built from the planner's NatPlan.
#pragma once

#include <string>
#include <vector>

#include "plan/nft_objects.hpp"
#include "plan/nft_plan.hpp"

namespace uplinkd::nft {

// `unpinned`: `MATCH return` rules that come first in the pin chain.
// The `postrouting` nat chain with one `oifname "IF" masquerade` per interface; no chain when none.
void add_nat_chains(Table& table, const NatPlan& plan, const std::vector<std::string>& unpinned = {});

// uplinkd's whole table (`inet uplinkd`) when NAT is all it holds.
Table nat_table(const NatPlan& plan);

}  // namespace uplinkd::nft
