// SPDX-License-Identifier: GPL-2.0-or-later
// Fault isolation: which uplink a change the kernel refused belongs to. An uplink's own objects are its
// nexthop, the routes of its table and the rules that lead to its table; when the kernel refuses one of them
// (a gateway it will not take, say), that uplink alone becomes unusable, and the group and every other
// uplink's objects are planned without it. Pure.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "apply/applier.hpp"
#include "config/config.hpp"

namespace uplinkd {

// By interface: the first refusal of an add or replace of one of that uplink's objects (the first is the
// cause: a route via a nexthop the kernel refused is refused too). Failed removals and shared objects (the
// group, the balance table, the policy rules) are nobody's: the daemon retries those with a back-off.
// An uplink's IPv4 and IPv6 objects are refused apart: a router the kernel will not take for one family
// leaves the other family's objects (and the uplink in that family's group) as they are.
struct UplinkFamily {
  std::string interface;
  Family family;
  auto operator<=>(const UplinkFamily&) const = default;
};
std::map<UplinkFamily, std::string> refused_uplinks(const Config& config,
                                                    const std::vector<FailedChange>& failed);

// The uplink whose own object this is, if any.
const UplinkConfig* owner_uplink(const Config& config, const KernelObject& object);
// The family of a routing object; nftables and sysctl changes have none (nullopt).
std::optional<Family> object_family(const KernelObject& object);

}  // namespace uplinkd
