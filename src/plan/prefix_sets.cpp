// SPDX-License-Identifier: GPL-2.0-or-later
#include "plan/prefix_sets.hpp"

#include <algorithm>

namespace uplinkd {

Prefix link_local6() {
  return Prefix{*IpAddress::parse("fe80::"), 10};
}

bool inside(const Prefix& inner, const Prefix& outer) {
  return inner.family() == outer.family() && outer.length <= inner.length && outer.contains(inner.address);
}

bool overlapping(const Prefix& a, const Prefix& b) {
  return inside(a, b) || inside(b, a);
}

std::vector<Prefix> outermost(std::vector<Prefix> prefixes) {
  for (auto& prefix : prefixes) prefix = prefix.network();
  std::sort(prefixes.begin(), prefixes.end());
  prefixes.erase(std::unique(prefixes.begin(), prefixes.end()), prefixes.end());
  std::vector<Prefix> kept;
  for (const auto& prefix : prefixes)
    if (std::none_of(prefixes.begin(), prefixes.end(),
                     [&](const Prefix& other) { return other != prefix && inside(prefix, other); }))
      kept.push_back(prefix);
  return kept;
}

std::vector<std::vector<Prefix>> uplink_prefixes6(const Config& config, const State& state) {
  std::vector<std::vector<Prefix>> prefixes;
  for (const auto& uplink : config.uplinks) {
    const UplinkFacts& facts = state.facts(uplink.interface);
    auto& own = prefixes.emplace_back();
    for (const auto& address : facts.addresses6) own.push_back(address.prefix.network());
    for (const auto& delegated : facts.delegated) own.push_back(delegated.network());
  }
  return prefixes;
}

}  // namespace uplinkd
