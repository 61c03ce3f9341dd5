// SPDX-License-Identifier: GPL-2.0-or-later
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
  auto contest = [&](const Prefix& destination, const Prefix& on_link) {
    auto part = overlap(destination, on_link.network());
    if (part && std::find(contested.begin(), contested.end(), *part) == contested.end())
      contested.push_back(*part);
  };
  for (const auto& destination : config.destinations) {
    if (destination.is_default()) continue;
    for (const auto& uplink : uplinks) {
      const UplinkStatus& status = uplink.of(destination.family());
      if (!status.routable) continue;
      // A host prefix (a /32 of PPP or a lease without a subnet, DHCPv6's /128) puts no connected route
      // into main.
      auto on_link = [](const Prefix& prefix) { return prefix.length != prefix.max_length(); };
      if (destination.family() == Family::v6) {
        for (const auto& prefix : status.prefixes)
          if (on_link(prefix)) contest(destination, prefix);
        continue;
      }
      if (status.address && on_link(*status.address)) contest(destination, *status.address);
    }
  }
  return contested;
}

}  // namespace uplinkd
