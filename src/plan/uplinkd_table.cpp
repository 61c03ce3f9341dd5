// SPDX-License-Identifier: GPL-2.0-or-later
#include "plan/uplinkd_table.hpp"

#include "plan/mark_chains.hpp"
#include "plan/nat_chains.hpp"
#include "plan/ownership.hpp"

namespace uplinkd::nft {

Table uplinkd_table(const NatPlan& nat, const MarkPlan& marks) {
  Table table{"inet", ownership::kNftTable, {}, {}};
  add_mark_chains(table, marks);
  add_nat_chains(table, nat, unpinned_traffic(marks));
  return table;
}

}  // namespace uplinkd::nft
