#include "plan/destinations.hpp"
#include "plan/mark_planner.hpp"
#include "plan/members.hpp"
#include "plan/owned_rule.hpp"
#include "plan/ownership.hpp"
#include "plan/plan.hpp"
#include "plan/uplinkd_table.hpp"

namespace uplinkd {
namespace {

using netlink::Nexthop;
using netlink::NexthopGroupMember;
using netlink::Route;
using netlink::Rule;

constexpr uint8_t kScopeLink = 253;  // RT_SCOPE_LINK

netlink::Nexthop uplink_nexthop(const UplinkConfig& uplink, uint32_t ifindex, const UplinkStatus& status) {
  Nexthop nexthop;
  nexthop.id = ownership::uplink_nexthop_id(uplink.table);
  nexthop.family = Family::v4;
  nexthop.protocol = ownership::kProtocol;
  nexthop.ifindex = ifindex;
  nexthop.gateway = status.gateway;
  // A gateway outside the uplink's own subnet (a /32 lease, a static gateway elsewhere) is still on the link;
  // the kernel would refuse it as unreachable without onlink.
  if (status.gateway) nexthop.onlink = !status.address->network().contains(*status.gateway);
  return nexthop;
}

// The uplink's own table (connected route + default) and the rule that sends its address's traffic there:
// the LARTC split-access recipe, so replies and locally bound sockets leave by the uplink they belong to.
void plan_uplink_table(const UplinkConfig& uplink, uint32_t ifindex, const UplinkStatus& status, Plan& plan) {
  const Prefix& address = *status.address;
  plan.nexthops.push_back(uplink_nexthop(uplink, ifindex, status));
  if (address.length < address.max_length()) {
    Route connected;
    connected.destination = address.network();
    connected.table = uplink.table;
    connected.protocol = ownership::kProtocol;
    connected.scope = kScopeLink;
    connected.oif = ifindex;
    connected.prefsrc = address.address;
    plan.routes.push_back(connected);
  }
  Route fallback;
  fallback.destination = Prefix::default_route(Family::v4);
  fallback.table = uplink.table;
  fallback.protocol = ownership::kProtocol;
  fallback.nexthop_id = ownership::uplink_nexthop_id(uplink.table);
  plan.routes.push_back(fallback);

  Rule from_address;
  from_address.family = Family::v4;
  from_address.priority = ownership::kRulePrioritySource;
  from_address.table = uplink.table;
  from_address.protocol = ownership::kProtocol;
  from_address.source = Prefix::host(address.address);
  plan.rules.push_back(from_address);
}

// Main's own routes keep winning except its default routes (those of DHCP clients), which uplinkd balances
// instead; main is still consulted in full at 32766, so a client's default route is the fallback when no
// uplink is usable.
void plan_policy_rules(const Config& config, Plan& plan) {
  Rule suppress_main = owned_rule(ownership::kRulePrioritySuppressMain, kMainTable);
  suppress_main.suppress_prefixlength = 0;
  plan.rules.push_back(suppress_main);
  plan.rules.push_back(owned_rule(ownership::kRulePriorityBalance, config.balance_table));
}

void plan_balance(const Config& config, Plan& plan, const std::vector<const UplinkConfig*>& members) {
  Nexthop group;
  group.family = Family::v4;
  group.protocol = ownership::kProtocol;
  if (config.mode == Mode::resilient) {
    group.id = ownership::kGroupIdResilientV4;
    group.group_type = netlink::NexthopGroupType::resilient;
    group.resilient =
        netlink::ResilientGroupParams{config.resilient_buckets, config.resilient_idle_timer_s, 0};
  } else {
    group.id = ownership::kGroupIdMultipathV4;
  }
  for (const auto* uplink : members)
    group.group.push_back(NexthopGroupMember{ownership::uplink_nexthop_id(uplink->table), uplink->weight});
  plan.nexthops.push_back(group);

  for (const auto& destination : config.destinations) {
    if (destination.family() != Family::v4) {
      plan.notes.push_back("destination " + destination.to_string() +
                           " is IPv6: not balanced yet (IPv4 only)");
      continue;
    }
    Route route;
    route.destination = destination.network();
    route.table = config.balance_table;
    route.protocol = ownership::kProtocol;
    route.nexthop_id = group.id;
    plan.routes.push_back(route);
  }
}

// Established connections masqueraded to a usable uplink stay on it, whatever the group does (NatPlan's
// PinnedUplink says why). A dead uplink is not pinned: its connections must move (and the daemon deletes
// their conntrack entries so that they can).
void plan_pinning(const UplinkConfig& uplink, const UplinkStatus& status, Plan& plan) {
  plan.nat.pinned.push_back({status.address->address, ownership::uplink_mark(uplink.table)});
}

// Unmarked traffic to a contested destination (plan/destinations.hpp) is balanced before main is asked.
void plan_destination_rules(const Config& config, Plan& plan) {
  for (const auto& destination : contested_destinations(config, plan.uplinks)) {
    Rule rule = owned_rule(ownership::kRulePriorityDestination, config.balance_table);
    rule.destination = destination;
    plan.rules.push_back(rule);
  }
}

}  // namespace

Plan make_plan(const Config& config, const State& state) {
  Plan plan;
  for (const auto& uplink : config.uplinks) {
    const UplinkFacts& facts = state.facts(uplink.interface);
    PlannedUplink planned{uplink.name, evaluate(uplink, facts), false};
    if (planned.status.routable) plan_uplink_table(uplink, *facts.ifindex, planned.status, plan);
    plan.uplinks.push_back(std::move(planned));
  }
  const Members members = choose_members(config, plan.uplinks, [](size_t) { return true; });
  if (members.only_drained)
    plan.notes.push_back("only drained uplinks are usable: they carry new connections until another returns");
  std::vector<const UplinkConfig*> group;
  for (size_t i : members.indices) {
    group.push_back(&config.uplinks[i]);
    plan.uplinks[i].in_group = true;
  }
  plan_policy_rules(config, plan);
  plan_destination_rules(config, plan);
  if (!group.empty())
    plan_balance(config, plan, group);
  else
    plan.notes.push_back("no uplink is usable: balanced destinations fall back to the main table");

  for (size_t i = 0; i < config.uplinks.size(); ++i) {
    const UplinkConfig& uplink = config.uplinks[i];
    if (uplink.masquerade) plan.nat.masquerade_interfaces.push_back(uplink.interface);
    if (uplink.masquerade && plan.uplinks[i].status.usable)
      plan_pinning(uplink, plan.uplinks[i].status, plan);
    if (!uplink.table_name.empty()) plan.table_names.push_back({uplink.table, uplink.table_name});
  }
  plan_marks(config, members, plan);
  if (!config.balance_table_name.empty())
    plan.table_names.push_back({config.balance_table, config.balance_table_name});
  if (config.multipath_hash_policy)
    plan.sysctls.push_back(
        {"net.ipv4.fib_multipath_hash_policy", std::to_string(*config.multipath_hash_policy)});
  if (config.tcp_max_reordering)
    plan.sysctls.push_back({"net.ipv4.tcp_max_reordering", std::to_string(*config.tcp_max_reordering)});
  plan.nftables = nft::uplinkd_table(plan.nat, plan.marks);
  return plan;
}

}  // namespace uplinkd
