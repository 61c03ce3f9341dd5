// SPDX-License-Identifier: GPL-2.0-or-later
#include "apply/nft_diff.hpp"

#include <algorithm>

namespace uplinkd {
namespace {

bool masquerades(const nft::Chain& chain) {
  return chain.hook && chain.hook->type == "nat";
}

bool same_map(const nft::Map& map, const netlink::NftSetDump& set) {
  // The type and flags of uplinkd's maps are fixed by its code; what a config can change is the timeout.
  return set.name == map.name && set.timeout_ms == uint64_t{map.timeout_s} * 1000;
}

bool maps_match(const std::vector<nft::Map>& wanted, const std::vector<netlink::NftSetDump>& sets) {
  if (wanted.size() != sets.size()) return false;
  return std::all_of(wanted.begin(), wanted.end(), [&](const nft::Map& map) {
    return std::any_of(sets.begin(), sets.end(), [&](const auto& set) { return same_map(map, set); });
  });
}

const netlink::NftChainDump* dumped_chain(const netlink::NftTableDump& table, const std::string& name) {
  for (const auto& chain : table.chains)
    if (chain.name == name) return &chain;
  return nullptr;
}

NftPatch empty_patch(const nft::Table& wanted) {
  NftPatch patch;
  patch.family = wanted.family;
  patch.table = wanted.name;
  return patch;
}

NftPatch whole(const nft::Table& wanted) {
  NftPatch patch = empty_patch(wanted);
  patch.whole_table = true;
  patch.maps = wanted.maps;
  patch.chains = wanted.chains;
  patch.before_routing = std::any_of(wanted.chains.begin(), wanted.chains.end(), masquerades);
  return patch;
}

}  // namespace

std::optional<NftPatch> diff_nftables(const nft::Table& wanted,
                                      const std::optional<netlink::NftTableDump>& have,
                                      const NftKnown& known) {
  const bool nothing_wanted = wanted.chains.empty() && wanted.maps.empty();
  if (!have) return nothing_wanted ? std::nullopt : std::optional<NftPatch>(whole(wanted));
  if (nothing_wanted) {
    NftPatch patch = empty_patch(wanted);
    patch.remove_table = true;
    return patch;
  }
  if (!maps_match(wanted.maps, have->sets)) return whole(wanted);

  NftPatch patch = empty_patch(wanted);
  for (const auto& chain : wanted.chains) {
    const auto* dumped = dumped_chain(*have, chain.name);
    const auto written = known.chains.find(chain.name);
    const bool same = dumped && written != known.chains.end() && written->second.planned == chain &&
                      written->second.dumped == *dumped;
    if (same) continue;
    // In place only when this process wrote the chain with the same hook and the kernel still has that
    // hook: declaring a base chain again with another hook or priority is refused (EOPNOTSUPP). After a
    // restart nothing is known, and the chain is re-created once.
    const bool same_hook = dumped && written != known.chains.end() &&
                           written->second.planned.hook == chain.hook &&
                           written->second.dumped.definition == dumped->definition;
    if (same_hook)
      patch.flushed_chains.push_back(chain.name);
    else if (dumped)
      patch.deleted_chains.push_back(chain.name);
    patch.chains.push_back(chain);
    patch.before_routing |= masquerades(chain);
  }
  for (const auto& chain : have->chains) {
    const bool wanted_chain = std::any_of(wanted.chains.begin(), wanted.chains.end(),
                                          [&](const nft::Chain& c) { return c.name == chain.name; });
    if (!wanted_chain) patch.deleted_chains.push_back(chain.name);
  }
  if (patch.deleted_chains.empty() && patch.chains.empty()) return std::nullopt;  // flushed are in chains
  return patch;
}

void learn_nftables(NftKnown& known, const NftPatch& patch,
                    const std::optional<netlink::NftTableDump>& have) {
  if (patch.remove_table || patch.whole_table || !have) known.chains.clear();
  for (const auto& name : patch.deleted_chains) known.chains.erase(name);
  if (!have) return;
  for (const auto& chain : patch.chains)
    if (const auto* dumped = dumped_chain(*have, chain.name)) known.chains[chain.name] = {chain, *dumped};
}

}  // namespace uplinkd
