// Packet marking for modes "packet" and "connection" and for [[rule]]s: the `balance` (prerouting, forwarded
// traffic) and `balance_local` (output, the machine's own traffic) chains of uplinkd's table, built from the
// planner's MarkPlan. docs/modes.md walks through the rules they contain.
#pragma once

#include "nft/nft_plan.hpp"
#include "nft/nft_script.hpp"

namespace uplinkd::nft {

// Adds nothing when the plan marks nothing (modes flow and resilient without rules).
void add_mark_chains(Table& table, const MarkPlan& plan);

}  // namespace uplinkd::nft
