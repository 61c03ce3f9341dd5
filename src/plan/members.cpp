// SPDX-License-Identifier: GPL-2.0-or-later
#include "plan/members.hpp"

#include <algorithm>
#include <limits>

namespace uplinkd {

Members choose_members(const Config& config, const std::vector<PlannedUplink>& planned,
                       const std::function<bool(size_t)>& candidate, Family family) {
  Members members;
  const size_t count = config.uplinks.size();
  auto status = [&](size_t i) -> const UplinkStatus& { return planned[i].of(family); };
  auto usable = [&](size_t i) { return candidate(i) && status(i).usable; };
  members.only_drained = true;
  for (size_t i = 0; i < count; ++i)
    if (usable(i) && !status(i).drained) members.only_drained = false;
  auto eligible = [&](size_t i) { return usable(i) && (members.only_drained || !status(i).drained); };

  uint32_t best_tier = std::numeric_limits<uint32_t>::max();
  for (size_t i = 0; i < count; ++i)
    if (eligible(i)) best_tier = std::min(best_tier, config.uplinks[i].tier);
  auto in_best_tier = [&](size_t i, bool degraded) {
    return eligible(i) && config.uplinks[i].tier == best_tier &&
           (status(i).health == Health::degraded) == degraded;
  };
  bool healthy_left = false;
  for (size_t i = 0; i < count; ++i) healthy_left = healthy_left || in_best_tier(i, false);
  for (size_t i = 0; i < count; ++i)
    if (in_best_tier(i, !healthy_left)) members.indices.push_back(i);
  if (members.indices.empty()) members.only_drained = false;
  return members;
}

}  // namespace uplinkd
