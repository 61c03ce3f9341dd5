// SPDX-License-Identifier: GPL-2.0-or-later
// Packet marking for modes "packet" and "connection" and for [[rule]]s: the `balance` (prerouting, forwarded
// traffic) and `balance_local` (output, the machine's own traffic) chains of uplinkd's table, built from the
// planner's MarkPlan. docs/modes.md walks through the rules they contain.
#pragma once

#include <string>
#include <vector>

#include "plan/nft_objects.hpp"
#include "plan/nft_plan.hpp"

namespace uplinkd::nft {

// The maps of sticky sources (`sticky_timeout`): source address → the mark of its uplink, one per family.
inline constexpr const char* kStickyMap = "sticky";
inline constexpr const char* kStickyMap6 = "sticky6";

// What the pin chain (nat_table.hpp) must leave alone, as `MATCH return` rules: excluded traffic is never
// marked, and traffic a [[rule]] matched is its rule's (kept by its ct mark, or spread per packet).
std::vector<std::string> unpinned_traffic(const MarkPlan& plan);

// Adds nothing when the plan marks nothing (modes flow and resilient without rules).
void add_mark_chains(Table& table, const MarkPlan& plan);

}  // namespace uplinkd::nft
