// SPDX-License-Identifier: GPL-2.0-or-later
// uplinkd's whole nftables table: packet marking (mark_chains.hpp), pinning and masquerading
// (nat_table.hpp). It is replaced as a whole on every change, never edited rule by rule.
#pragma once

#include "plan/nft_objects.hpp"
#include "plan/nft_plan.hpp"

namespace uplinkd::nft {

// A table without chains when nothing is needed; NftTable::replace then removes it.
Table uplinkd_table(const NatPlan& nat, const MarkPlan& marks);

}  // namespace uplinkd::nft
