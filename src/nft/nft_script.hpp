// SPDX-License-Identifier: GPL-2.0-or-later
// uplinkd's nftables table rendered as nft script text: the listing form (render_table) and the
// transactions that change the kernel's table (render_replace here, render_patch in nft/nft_patch.hpp).
#pragma once

#include <string>

#include "plan/nat_chains.hpp"
#include "plan/nft_objects.hpp"

namespace uplinkd::nft {

// The table's definition, formatted as `nft list table` prints it, so that a listing can be compared.
std::string render_table(const Table& table);

// One transaction that makes the kernel's table exactly `table`: `add` (so that `delete` cannot fail on a
// missing table), `delete`, then the new definition. A table without chains is only removed.
std::string render_replace(const Table& table);

}  // namespace uplinkd::nft

namespace uplinkd {

// The replacing transaction for a table that holds only `plan`'s NAT: the table with its postrouting chain,
// or, for an empty plan, the table's removal.
std::string render_nat_table(const NatPlan& plan);

}  // namespace uplinkd
