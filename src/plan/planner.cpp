// SPDX-License-Identifier: GPL-2.0-or-later
#include <algorithm>
#include <optional>

#include "plan/destinations.hpp"
#include "plan/mark_planner.hpp"
#include "plan/members.hpp"
#include "plan/mptcp_endpoints.hpp"
#include "plan/nat_planner.hpp"
#include "plan/owned_rule.hpp"
#include "plan/ownership.hpp"
#include "plan/plan.hpp"
#include "plan/sysctl.hpp"
#include "plan/uplinkd_table.hpp"

namespace uplinkd {
namespace {

using netlink::Nexthop;
using netlink::NexthopGroupMember;
using netlink::Route;
using netlink::Rule;

constexpr uint8_t kScopeLink = 253;  // RT_SCOPE_LINK
// The kernel gives an IPv6 route without a metric this one (IP6_RT_PRIO_USER) and reports it so: planning it
// keeps the diff with the kernel's dump empty.
constexpr uint32_t kIpv6DefaultMetric = 1024;

// Every route uplinkd plans starts from this one.
Route owned_route(const Prefix& destination, uint32_t table) {
  Route route;
  route.destination = destination.network();
  route.table = table;
  route.protocol = ownership::kProtocol;
  if (destination.family() == Family::v6) route.priority = kIpv6DefaultMetric;
  return route;
}

netlink::Nexthop uplink_nexthop(const UplinkConfig& uplink, uint32_t ifindex, const UplinkStatus& status,
                                Family family) {
  Nexthop nexthop;
  nexthop.id = ownership::uplink_nexthop_id(uplink.table, family);
  nexthop.family = family;
  nexthop.protocol = ownership::kProtocol;
  nexthop.ifindex = ifindex;
  nexthop.gateway = status.gateway;
  // A gateway outside the uplink's own subnet (a /32 lease, a static gateway elsewhere) is still on the link;
  // the kernel would refuse it as unreachable without onlink. An IPv6 router is link-local, always on link.
  if (status.gateway && family == Family::v4)
    nexthop.onlink = !status.address->network().contains(*status.gateway);
  return nexthop;
}

// The uplink's own table (connected routes + default) and the rules that send its addresses' traffic there:
// the LARTC split-access recipe, so replies and locally bound sockets leave by the uplink they belong to.
// IPv4 has one address; IPv6 a rule per prefix of its global addresses and per prefix delegated to it, so
// that every address of the uplink, and a LAN host numbered from its prefixes, leaves by it (BCP 38: no ISP
// sees another's source).
void plan_uplink_table(const UplinkConfig& uplink, uint32_t ifindex, const UplinkStatus& status,
                       Family family, Plan& plan) {
  plan.nexthops.push_back(uplink_nexthop(uplink, ifindex, status, family));
  std::vector<Prefix> sources;
  if (family == Family::v4) {
    const Prefix& address = *status.address;
    if (address.length < address.max_length()) {
      Route connected = owned_route(address, uplink.table);
      connected.scope = kScopeLink;
      connected.oif = ifindex;
      connected.prefsrc = address.address;
      plan.routes.push_back(connected);
    }
    sources.push_back(Prefix::host(address.address));
  } else {
    for (const auto& prefix : status.prefixes) {
      Route connected = owned_route(prefix, uplink.table);  // IPv6 routes have no scope
      connected.oif = ifindex;
      plan.routes.push_back(connected);
      sources.push_back(prefix);
    }
    // Delegated prefixes are routed to the LAN (a host there is numbered from one), never on the uplink's
    // link: a rule, no connected route. One equal to an address prefix already has its rule.
    for (const auto& prefix : status.delegated)
      if (std::find(sources.begin(), sources.end(), prefix) == sources.end()) sources.push_back(prefix);
  }
  Route fallback = owned_route(Prefix::default_route(family), uplink.table);
  fallback.nexthop_id = ownership::uplink_nexthop_id(uplink.table, family);
  plan.routes.push_back(fallback);

  for (const auto& source : sources) {
    Rule from_address = owned_rule(ownership::kRulePrioritySource, uplink.table, family);
    from_address.source = source;
    plan.rules.push_back(from_address);
  }
}

// Main's own routes keep winning except its default routes (those of DHCP clients and router
// advertisements), which uplinkd balances instead; main is still consulted in full at 32766, so a client's
// default route is the fallback when no uplink is usable.
void plan_policy_rules(const Config& config, Family family, Plan& plan) {
  Rule suppress_main = owned_rule(ownership::kRulePrioritySuppressMain, kMainTable, family);
  suppress_main.suppress_prefixlength = 0;
  plan.rules.push_back(suppress_main);
  plan.rules.push_back(owned_rule(ownership::kRulePriorityBalance, config.balance_table, family));
}

void plan_balance(const Config& config, Family family, const std::vector<const UplinkConfig*>& members,
                  Plan& plan) {
  const bool v4 = family == Family::v4;
  Nexthop group;
  group.family = Family::v4;  // a group has no family (objects.hpp): its members have
  group.protocol = ownership::kProtocol;
  if (config.mode == Mode::resilient) {
    group.id = v4 ? ownership::kGroupIdResilientV4 : ownership::kGroupIdResilientV6;
    group.group_type = netlink::NexthopGroupType::resilient;
    group.resilient =
        netlink::ResilientGroupParams{config.resilient_buckets, config.resilient_idle_timer_s, 0};
  } else {
    group.id = v4 ? ownership::kGroupIdMultipathV4 : ownership::kGroupIdMultipathV6;
  }
  for (const auto* uplink : members)
    group.group.push_back(
        NexthopGroupMember{ownership::uplink_nexthop_id(uplink->table, family), uplink->weight});
  plan.nexthops.push_back(group);

  for (const auto& destination : config.destinations) {
    if (destination.family() != family) continue;
    Route route = owned_route(destination, config.balance_table);
    route.nexthop_id = group.id;
    plan.routes.push_back(route);
  }
}

// IPv6 per flow without a group. For a socket that binds no source the kernel takes the source address from
// the route's nexthop device (ip6_route_get_saddr), and a nexthop group answers with its first member's
// whatever path the flow hashes to: the router's own connections would leave by one ISP with another's
// source, which that ISP drops (BCP 38). A legacy multipath route is one kernel route per leg, and the leg
// the flow hashes to gives both the path and the source. Resilient balancing exists only as a group, so that
// mode keeps it (docs/design-choices.md, IPv6).
void plan_balance_legs6(const Config& config, const std::vector<const UplinkConfig*>& members, Plan& plan) {
  Route route;
  if (members.size() == 1) {
    route.nexthop_id = ownership::uplink_nexthop_id(members.front()->table, Family::v6);
  } else {
    for (const auto* uplink : members) {
      const uint32_t id = ownership::uplink_nexthop_id(uplink->table, Family::v6);
      auto nexthop = std::find_if(plan.nexthops.begin(), plan.nexthops.end(),
                                  [id](const Nexthop& planned) { return planned.id == id; });
      if (nexthop == plan.nexthops.end()) continue;  // a member is usable, so routable: never
      // The kernel takes no leg without a gateway in an IPv6 multipath route ("Device only routes can not
      // be added for IPv6 using the multipath API"). Links without a router (gateway6 = "none": the seed's
      // direct links) are balanced by the group, whose first member gives unbound sockets their source.
      if (!nexthop->gateway) return plan_balance(config, Family::v6, members, plan);
      route.multipath.push_back(
          netlink::RouteNexthop{nexthop->gateway, nexthop->ifindex, uplink->weight, false});
    }
  }
  for (const auto& destination : config.destinations) {
    if (destination.family() != Family::v6) continue;
    Route balanced = owned_route(destination, config.balance_table);
    balanced.nexthop_id = route.nexthop_id;
    balanced.multipath = route.multipath;
    plan.routes.push_back(balanced);
  }
}

// One family's group and balanced destinations, and which uplinks are in it.
Members plan_family(const Config& config, Family family, Plan& plan) {
  Members members = choose_members(
      config, plan.uplinks, [](size_t) { return true; }, family);
  const std::string for_family = family == Family::v4 ? "" : " for IPv6";
  if (members.only_drained)
    plan.notes.push_back("only drained uplinks are usable" + for_family +
                         ": they carry new connections until another returns");
  std::vector<const UplinkConfig*> group;
  for (size_t i : members.indices) {
    group.push_back(&config.uplinks[i]);
    plan.uplinks[i].in_group_of(family) = true;
  }
  plan_policy_rules(config, family, plan);
  if (!group.empty() && family == Family::v6 && config.mode != Mode::resilient)
    plan_balance_legs6(config, group, plan);
  else if (!group.empty())
    plan_balance(config, family, group, plan);
  else
    plan.notes.push_back("no uplink is usable" + for_family +
                         ": balanced destinations fall back to the main table");
  return members;
}

// Unmarked traffic to a contested destination (plan/destinations.hpp) is balanced before main is asked.
void plan_destination_rules(const Config& config, Plan& plan) {
  for (const auto& destination : contested_destinations(config, plan.uplinks)) {
    Rule rule = owned_rule(ownership::kRulePriorityDestination, config.balance_table, destination.family());
    rule.destination = destination;
    plan.rules.push_back(rule);
  }
}

}  // namespace

bool plans_ipv6(const Plan& plan) {
  return std::any_of(plan.uplinks.begin(), plan.uplinks.end(),
                     [](const PlannedUplink& uplink) { return uplink.status6.address.has_value(); });
}

Plan make_plan(const Config& config, const State& state) {
  Plan plan;
  for (const auto& uplink : config.uplinks) {
    const UplinkFacts& facts = state.facts(uplink.interface);
    PlannedUplink planned{uplink.name, evaluate(uplink, facts, Family::v4), false,
                          evaluate(uplink, facts, Family::v6), false};
    if (planned.status.routable) plan_uplink_table(uplink, *facts.ifindex, planned.status, Family::v4, plan);
    if (planned.status6.routable)
      plan_uplink_table(uplink, *facts.ifindex, planned.status6, Family::v6, plan);
    plan.uplinks.push_back(std::move(planned));
  }
  const Members members = plan_family(config, Family::v4, plan);
  plan_destination_rules(config, plan);
  std::optional<Members> members6;
  if (plans_ipv6(plan)) members6 = plan_family(config, Family::v6, plan);

  plan_nat(config, state, plan);
  for (const auto& uplink : config.uplinks)
    if (!uplink.table_name.empty()) plan.table_names.push_back({uplink.table, uplink.table_name});
  plan_marks(config, state, members, members6, plan);
  if (!config.balance_table_name.empty())
    plan.table_names.push_back({config.balance_table, config.balance_table_name});
  if (config.multipath_hash_policy) {
    plan.sysctls.push_back(
        {"net.ipv4.fib_multipath_hash_policy", std::to_string(*config.multipath_hash_policy)});
    if (plans_ipv6(plan))
      plan.sysctls.push_back(
          {"net.ipv6.fib_multipath_hash_policy", std::to_string(*config.multipath_hash_policy)});
  }
  for (const auto& uplink : config.uplinks)
    if (uplink.accept_ra && state.facts(uplink.interface).ifindex)
      plan.sysctls.push_back(
          {ipv6_interface_sysctl(uplink.interface, "accept_ra"), std::to_string(*uplink.accept_ra)});
  if (config.tcp_max_reordering)
    plan.sysctls.push_back({"net.ipv4.tcp_max_reordering", std::to_string(*config.tcp_max_reordering)});
  for (auto& sysctl : mptcp_sysctls(config, state.mptcp_other_manager().has_value()))
    plan.sysctls.push_back(std::move(sysctl));
  plan.nftables = nft::uplinkd_table(plan.nat, plan.marks);
  return plan;
}

}  // namespace uplinkd
