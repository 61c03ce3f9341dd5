// Sticky sources survive a table replacement. The `sticky` map lives in uplinkd's table, and the table is
// replaced as a whole on every change (a weight, a drain, another uplink's failure), which would otherwise
// forget every source and move sites that tie a login to the client's address. So the applier reads the map
// first and writes back, with their remaining time, the sources whose uplink still takes new connections.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "common/ip.hpp"
#include "plan/nft_plan.hpp"
#include "nft/nft_script.hpp"

namespace uplinkd::nft {

struct StickySource {
  IpAddress address;
  uint32_t mark = 0;
  uint64_t expires_s = 0;  // left of its timeout
  bool operator==(const StickySource&) const = default;
};

// The elements of the sticky map in `nft -j list map inet uplinkd sticky` output. Throws InputError for
// JSON that is not such a listing (a libnftables that changed its schema).
std::vector<StickySource> parse_sticky_listing(const std::string& json);

// Adds to `table`'s sticky map (if it has one) the sources whose mark is one of `shares`: a source whose
// uplink died, was drained or left the best tier picks again.
void keep_sticky_sources(Table& table, const std::vector<StickySource>& sources,
                         const std::vector<MarkShare>& shares);

}  // namespace uplinkd::nft
