// SPDX-License-Identifier: GPL-2.0-or-later
// diff(plan, kernel) → the ordered changes that turn what the kernel has into what the plan wants.
// Pure. The order is what keeps a default route at every moment while one uplink is usable:
//   1. add/replace, in dependency order: single nexthops, groups, routes, rules;
//   2. remove, in reverse: rules, routes, groups, single nexthops.
// So a group loses a dead member (one atomic replace) before that member's nexthop goes, a route moves to a
// new group before the old group is deleted, and a new source rule exists before the old one is removed.
#pragma once

#include <string>
#include <vector>

#include "apply/kernel.hpp"

namespace uplinkd {

struct WantedObjects {
  const std::vector<netlink::Nexthop>& nexthops;
  const std::vector<netlink::Route>& routes;
  const std::vector<netlink::Rule>& rules;
};

// Others' objects (KernelObjects::foreign_*) are left alone unless they collide with uplinkd's own: a route
// at the same table and prefix as a wanted one (same metric: uplinkd's replaces it; another metric: it is
// removed) and a rule in uplinkd's priority range (removed). Those tables and that range are uplinkd's by
// config; the rest is reported, never deleted.
std::vector<Change> diff(const WantedObjects& wanted, const KernelObjects& have);

enum class ForeignFate { replaced, removed, left_alone };
struct ForeignObject {
  KernelObject object;
  ForeignFate fate;
  uint8_t protocol;  // the other program's (RTPROT_*; 0 when it set none)
};
std::vector<ForeignObject> classify_foreign(const WantedObjects& wanted, const KernelObjects& have);

// "boot", "static", "dhcp", "kernel", … or the number: how `ip` names a route or rule protocol.
std::string protocol_name(uint8_t protocol);

// The kernel reports more than it was given (a route via nhid comes back with the nexthop's gateway and
// device, groups come back without a family); these compare only what uplinkd sets.
bool same_nexthop(const netlink::Nexthop& a, const netlink::Nexthop& b);
bool same_route(const netlink::Route& a, const netlink::Route& b);

// Whether the plan wants an object the kernel reports removed. If it does, someone else removed it (or the
// kernel flushed it with its link) and the applier must put it back; if not, the removal is the echo of
// uplinkd's own batch and needs no new converge.
bool wants(const WantedObjects& wanted, const netlink::Route& route);
bool wants(const WantedObjects& wanted, const netlink::Rule& rule);
bool wants(const WantedObjects& wanted, const netlink::Nexthop& nexthop);

}  // namespace uplinkd
