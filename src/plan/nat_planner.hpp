// SPDX-License-Identifier: GPL-2.0-or-later
// Address translation for routers (plan.nat): masquerade per uplink for both families, the IPv6 prefixes
// that stay untranslated, `nptv6` prefix translation, and the pinning of masqueraded connections.
#pragma once

#include <optional>

#include "config/config.hpp"
#include "plan/plan.hpp"
#include "state/state.hpp"

namespace uplinkd {

// After plan.uplinks is filled (the pinning follows their usability).
void plan_nat(const Config& config, const State& state, Plan& plan);

// The prefix `lan` is translated to on an uplink with `delegated` prefixes: the last subnet of lan's length
// in the first delegated prefix at least that wide. The last, because a router numbers its LAN from the first
// (dhcpcd's and OpenWrt's default subnet 0), and a translated address must never be a LAN host's own.
// Nullopt when no delegated prefix is wide enough.
std::optional<Prefix> translation_target(const Prefix& lan, const std::vector<Prefix>& delegated);

}  // namespace uplinkd
