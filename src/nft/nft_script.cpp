// SPDX-License-Identifier: GPL-2.0-or-later
#include "nft/nft_script.hpp"

namespace uplinkd::nft {

std::string render_table(const Table& table) {
  std::string text = "table " + table.family + " " + table.name + " {\n";
  for (const auto& map : table.maps) {
    text += "\tmap " + map.name + " {\n";
    text += "\t\ttype " + map.type + "\n";
    if (!map.flags.empty()) text += "\t\tflags " + map.flags + "\n";
    if (map.timeout_s) text += "\t\ttimeout " + std::to_string(map.timeout_s) + "s\n";
    text += "\t}\n\n";
  }
  for (size_t i = 0; i < table.chains.size(); ++i) {
    const auto& chain = table.chains[i];
    if (i > 0) text += "\n";  // nft separates chains by an empty line when listing
    text += "\tchain " + chain.name + " {\n";
    if (chain.hook)
      text += "\t\ttype " + chain.hook->type + " hook " + chain.hook->hook + " priority " +
              chain.hook->priority + "; policy " + chain.hook->policy + ";\n";
    for (const auto& rule : chain.rules) text += "\t\t" + rule + "\n";
    text += "\t}\n";
  }
  text += "}\n";
  return text;
}

std::string render_replace(const Table& table) {
  std::string id = table.family + " " + table.name;
  std::string text = "add table " + id + "\ndelete table " + id + "\n";
  if (!table.chains.empty() || !table.maps.empty()) text += render_table(table);
  return text;
}

}  // namespace uplinkd::nft

namespace uplinkd {

std::string render_nat_table(const NatPlan& plan) {
  return nft::render_replace(nft::nat_table(plan));
}

}  // namespace uplinkd
