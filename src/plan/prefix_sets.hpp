// SPDX-License-Identifier: GPL-2.0-or-later
// Sets of IPv6 prefixes that nftables matches as intervals: the uplinks' own and delegated prefixes, which
// the NAT leaves untranslated, the marks leave unmarked and the pin chain maps to their uplinks.
#pragma once

#include <vector>

#include "config/config.hpp"
#include "state/state.hpp"

namespace uplinkd {

// fe80::/10. Link-local sources (a DHCPv6 client's solicitations, the router's own neighbour discovery) are
// never translated or marked: their scope is the link.
Prefix link_local6();

// True when `inner` lies inside `outer` (or is it).
bool inside(const Prefix& inner, const Prefix& outer);

// True when one of the two lies inside the other.
bool overlapping(const Prefix& a, const Prefix& b);

// Sorted, without duplicates and without prefixes inside another: an nft interval set refuses overlapping
// elements.
std::vector<Prefix> outermost(std::vector<Prefix> prefixes);

// Each uplink's IPv6 prefixes (indexed like config.uplinks): the prefixes of its global addresses and those
// delegated to it, from the kernel's facts and the DHCPv6 client's hook whatever the uplink's state. A host
// numbered from one of them may only leave by that uplink (BCP 38).
std::vector<std::vector<Prefix>> uplink_prefixes6(const Config& config, const State& state);

}  // namespace uplinkd
