// SPDX-License-Identifier: GPL-2.0-or-later
#include "nft/nft_patch.hpp"

#include "nft/nft_script.hpp"

namespace uplinkd::nft {

std::string render_patch(const NftPatch& patch) {
  const Table table{patch.family, patch.table, patch.chains, patch.maps};
  if (patch.remove_table) return render_replace(Table{patch.family, patch.table, {}, {}});
  if (patch.whole_table) return render_replace(table);
  const std::string id = patch.family + " " + patch.table;
  std::string text = "add table " + id + "\n";
  for (const auto& chain : patch.deleted_chains) text += "delete chain " + id + " " + chain + "\n";
  for (const auto& chain : patch.flushed_chains) text += "flush chain " + id + " " + chain + "\n";
  if (!patch.chains.empty() || !patch.maps.empty()) text += render_table(table);
  return text;
}

}  // namespace uplinkd::nft
