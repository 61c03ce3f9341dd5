#include "plan/destinations.hpp"

#include <algorithm>

namespace uplinkd {
namespace {

// The longer of two prefixes when one holds the other; nullopt when they are disjoint.
std::optional<Prefix> overlap(const Prefix& a, const Prefix& b) {
  const Prefix wide = a.length <= b.length ? a.network() : b.network();
  const Prefix narrow = a.length <= b.length ? b.network() : a.network();
  if (wide.family() != narrow.family() || !wide.contains(narrow.address)) return std::nullopt;
  return narrow;
}

}  // namespace

std::vector<Prefix> contested_destinations(const Config& config, const std::vector<PlannedUplink>& uplinks) {
  std::vector<Prefix> contested;
  for (const auto& destination : config.destinations) {
    if (destination.is_default() || destination.family() != Family::v4) continue;
    for (const auto& uplink : uplinks) {
      const auto& address = uplink.status.address;
      // A /32 (PPP, a lease without a subnet) puts no connected route into main.
      if (!uplink.status.routable || !address || address->length == address->max_length()) continue;
      auto part = overlap(destination, address->network());
      if (part && std::find(contested.begin(), contested.end(), *part) == contested.end())
        contested.push_back(*part);
    }
  }
  return contested;
}

}  // namespace uplinkd
