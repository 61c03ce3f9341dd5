// SPDX-License-Identifier: GPL-2.0-or-later
// The sticky sources in uplinkd's `sticky` and `sticky6` maps, as `nft -j list map` prints them: for tests
// and for an operator's look. The applier never reads the map: a table change keeps it (apply/nft_diff.hpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "common/ip.hpp"
#include "nft/nft_script.hpp"
#include "plan/nft_plan.hpp"

namespace uplinkd::nft {

struct StickySource {
  IpAddress address;
  uint32_t mark = 0;
  uint64_t expires_s = 0;  // left of its timeout
  bool operator==(const StickySource&) const = default;
};

// The elements of a sticky map in `nft -j list map inet uplinkd sticky` (or `sticky6`) output. Throws
// InputError for JSON that is not such a listing (a libnftables that changed its schema).
std::vector<StickySource> parse_sticky_listing(const std::string& json);

}  // namespace uplinkd::nft
