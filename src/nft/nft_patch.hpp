// SPDX-License-Identifier: GPL-2.0-or-later
// A change of uplinkd's nftables table, as the applier's diff computes it (apply/nft_diff.hpp), and its
// rendering into one nft transaction. The value is plain data; only render_patch knows nft's syntax.
#pragma once

#include <string>
#include <vector>

#include "plan/nft_objects.hpp"

namespace uplinkd {

// One transaction on uplinkd's nftables table. Chains are replaced one by one and the table's maps are left
// alone, so the sticky sources the packet path put in them stay, however many: no listing, no re-add. Only a
// change of a map's definition (its timeout) replaces the whole table, since a map cannot be redefined in
// place; its elements go with it then.
//
// A chain whose hook stays is emptied and refilled in place (`flushed_chains`), not deleted and created
// again: the kernel hooks a re-created base chain in *before* the old one at the same priority, so a packet
// that passed the new chain just before the commit and reaches the old one just after it would meet no rule
// at all (the pin chain's mark missing from a live connection). In place, a chain's rules change at the
// commit at once for every packet.
struct NftPatch {
  std::string family = "inet";
  std::string table;
  bool remove_table = false;                // nothing is wanted any more
  bool whole_table = false;                 // delete the table and create it as `maps` and `chains` say
  std::vector<std::string> deleted_chains;  // before `chains` are created: the unwanted, and changed hooks
  std::vector<std::string> flushed_chains;  // emptied before `chains` refills them: the changed rules
  std::vector<nft::Map> maps;               // to declare
  std::vector<nft::Chain> chains;           // to create or refill, with their rules
  // Masquerading changes (start, reload, a repair after a flush) before the routing changes, so that no
  // uplink carries traffic before its masquerade exists; everything else (a failover's pin map, weights)
  // after them, so that the netlink batch that moves traffic is not delayed by nftables.
  bool before_routing = false;

  bool operator==(const NftPatch&) const = default;
};

}  // namespace uplinkd

namespace uplinkd::nft {

// The transaction, in nft's script syntax: one call to libnftables, which the kernel commits or rejects as
// a whole. `add table` first, so that the deletes that follow cannot fail on a table someone removed.
std::string render_patch(const NftPatch& patch);

}  // namespace uplinkd::nft
