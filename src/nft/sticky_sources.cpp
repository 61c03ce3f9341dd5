// SPDX-License-Identifier: GPL-2.0-or-later
#include "nft/sticky_sources.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace uplinkd::nft {

std::vector<StickySource> parse_sticky_listing(const std::string& json) {
  std::vector<StickySource> sources;
  try {
    const auto listing = nlohmann::json::parse(json);
    for (const auto& object : listing.at("nftables")) {
      if (!object.contains("map")) continue;
      const auto& map = object.at("map");
      if (!map.contains("elem")) continue;
      // Each element is [{"elem": {"val": ADDRESS, "expires": SECONDS, ...}}, MARK]; without a timeout of
      // its own it is [ADDRESS, MARK], which never happens in a map with `flags timeout` but costs nothing.
      for (const auto& pair : map.at("elem")) {
        const auto& key = pair.at(0);
        const auto& element = key.is_object() ? key.at("elem") : nlohmann::json{{"val", key}};
        auto address = IpAddress::parse(element.at("val").get<std::string>());
        if (!address) continue;
        sources.push_back({*address, pair.at(1).get<uint32_t>(), element.value("expires", uint64_t{0})});
      }
    }
  } catch (const nlohmann::json::exception& error) {
    throw InputError({"nft -j list map"},
                     std::string("unexpected listing of the sticky map: ") + error.what());
  }
  return sources;
}

}  // namespace uplinkd::nft
