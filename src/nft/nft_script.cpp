#include "nft/nft_script.hpp"

#include <algorithm>
#include <cstdio>

#include "common/error.hpp"

namespace uplinkd::nft {

std::string render_table(const Table& table) {
  std::string text = "table " + table.family + " " + table.name + " {\n";
  for (const auto& map : table.maps) {
    text += "\tmap " + map.name + " {\n";
    for (const auto& line : map.lines) text += "\t\t" + line + "\n";
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

std::string hex_mark(uint32_t mark) {
  char text[16];
  std::snprintf(text, sizeof text, "0x%08x", mark);
  return text;
}

std::string quoted_interface(std::string_view name) {
  // Same alphabet as sources/hook_fields.hpp's is_plain_interface_name(): nothing nft would read as syntax.
  bool plain = !name.empty() && name.size() <= 15 && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
  });
  UPLINKD_ASSERT(plain, "an interface name that is not plain reached the nftables renderer");
  return "\"" + std::string(name) + "\"";
}

}  // namespace uplinkd::nft
