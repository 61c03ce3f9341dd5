// SPDX-License-Identifier: GPL-2.0-or-later
// The paths that start with a fact in the kernel (docs/benchmarks.md says what each starts and ends with).
#include <linux/rtnetlink.h>

#include <map>

#include "changes.hpp"
#include "paths.hpp"
#include "plan/ownership.hpp"

namespace uplinkd::bench {

namespace {

netlink::Request address_request(netlink::Operation operation, uint32_t ifindex, const Prefix& address) {
  return {operation, netlink::Address{ifindex, address, 0}, "address " + address.to_string()};
}

// What the kernel installs for an RA's router (RTPROT_RA), except for the metric (see ra_metric).
netlink::Request router_request(netlink::Operation operation, uint32_t ifindex, int uplink) {
  netlink::Route route;
  route.destination = Prefix::default_route(Family::v6);
  route.protocol = RTPROT_RA;
  route.priority = ra_metric(uplink);
  route.gateway = ra_router();
  route.oif = ifindex;
  return {operation, route, "route default via fe80::1 dev " + interface_of(uplink) + " proto ra"};
}

bool ipv6_active(const nlohmann::json& uplink) {
  return uplink["ipv6"]["state"] == "active";
}

}  // namespace

int address_path(const std::string& socket_path, int uplinks, int iterations) {
  TimedChanges run(socket_path, uplinks);
  // Untimed: drop the hook leases (a lease names the old address and would mask the change); the gateway
  // is then the one learned from the default route in main via each wanK.
  for (int k = 1; k <= uplinks; ++k)
    call(socket_path, {{"command", "hook"},
                       {"event",
                        {{"client", "dhclient"},
                         {"interface", interface_of(k)},
                         {"reason", "RELEASE"},
                         {"change", "down"}}}});
  wait_all_uplinks(
      socket_path, uplinks,
      [](const nlohmann::json& uplink) {
        return uplink["state"] == "active" && uplink["gateway_source"] == "route";
      },
      "active with gateway source route");
  std::map<int, int> current;  // uplink -> last octet of its address
  for (int k = 1; k <= uplinks; ++k) current[k] = 10;
  for (int i = 0; i < iterations; ++i) {
    int k = i % uplinks + 1;
    int old_octet = current[k], new_octet = old_octet == 10 ? 11 : 10;
    uint32_t table = table_of(k);
    // uplinkd keeps the oldest address while both exist, so its plan changes when the old one goes: the
    // connected route gets the new source, the source rule moves.
    run.step({address_request(netlink::Operation::add, run.ifindex(k), lease_prefix(k, new_octet)),
              address_request(netlink::Operation::remove, run.ifindex(k), lease_prefix(k, old_octet))},
             {"address change, add ack to applied", "address change, delete ack to applied"},
             {rule_key(Change::added, Family::v4, ownership::kRulePrioritySource, table,
                       Prefix::host(host(k, new_octet))),
              rule_key(Change::removed, Family::v4, ownership::kRulePrioritySource, table,
                       Prefix::host(host(k, old_octet))),
              route_key(Change::added, lease_prefix(k, new_octet).network(), table, host(k, new_octet))},
             "uplinkd's rule and connected route for " + host(k, new_octet).to_string());
    current[k] = new_octet;
  }
  run.report_all();
  return 0;
}

int prefix6_path(const std::string& socket_path, int uplinks, int iterations) {
  TimedChanges run(socket_path, uplinks);
  wait_all_uplinks(socket_path, uplinks, ipv6_active, "active for IPv6");
  std::map<int, int> subnet;  // uplink -> which of its two /64s it is numbered from
  for (int k = 1; k <= uplinks; ++k) subnet[k] = 0;
  for (int i = 0; i < iterations; ++i) {
    int k = i % uplinks + 1, old_subnet = subnet[k], new_subnet = 1 - old_subnet;
    uint32_t table = table_of(k);
    Prefix added = slaac_prefix(k, new_subnet), gone = slaac_prefix(k, old_subnet);
    // Unlike IPv4, every global prefix of an uplink has its own connected route and source rule, so each half
    // of a renumbering changes the kernel by itself: timed apart.
    run.step({address_request(netlink::Operation::add, run.ifindex(k), slaac_address(k, new_subnet))},
             {"IPv6 new SLAAC prefix, address ack to applied"},
             {route_key(Change::added, added, table),
              rule_key(Change::added, Family::v6, ownership::kRulePrioritySource, table, added)},
             "uplinkd's rule and connected route for " + added.to_string());
    run.step({address_request(netlink::Operation::remove, run.ifindex(k), slaac_address(k, old_subnet))},
             {"IPv6 old prefix gone, delete ack to applied"},
             {route_key(Change::removed, gone, table),
              rule_key(Change::removed, Family::v6, ownership::kRulePrioritySource, table, gone)},
             "uplinkd's rule and connected route for " + gone.to_string() + " to go");
    subnet[k] = new_subnet;
  }
  run.report_all();
  return 0;
}

int router6_path(const std::string& socket_path, int uplinks, int iterations) {
  TimedChanges run(socket_path, uplinks);
  wait_all_uplinks(socket_path, uplinks, ipv6_active, "active for IPv6");
  // The prefixes the uplinks have now (the prefix path may have renumbered them).
  std::map<int, Prefix> prefix;
  auto status = call(socket_path, {{"command", "status"}});
  for (int k = 1; k <= uplinks; ++k)
    prefix[k] = *Prefix::parse(status["uplinks"][k - 1]["ipv6"]["prefixes"][0].get<std::string>());
  // IPv6 is balanced by a multipath route (planner.cpp, plan_balance_legs6): a member leaving or returning
  // replaces it, with the legs (or the one nexthop) left.
  const std::string balance_replaced =
      route_key(Change::added, Prefix::default_route(Family::v6), kBalanceTable);
  for (int i = 0; i < iterations; ++i) {
    int k = i % uplinks + 1;
    uint32_t table = table_of(k), id = ownership::uplink_nexthop_id(table, Family::v6);
    // Without a router the uplink's IPv6 side is not routable: it leaves the group, and its table and
    // source rule go; they return with the router.
    auto uplink_objects = [&](Change change) {
      std::set<std::string> keys{
          route_key(change, Prefix::default_route(Family::v6), table), route_key(change, prefix[k], table),
          rule_key(change, Family::v6, ownership::kRulePrioritySource, table, prefix[k]),
          nexthop_key(change, id, ra_router()), balance_replaced};
      return keys;
    };
    run.step({router_request(netlink::Operation::remove, run.ifindex(k), k)},
             {"IPv6 RA router leaves, route delete ack to applied"}, uplink_objects(Change::removed),
             "wan" + std::to_string(k) + "'s IPv6 out of the group");
    run.step({router_request(netlink::Operation::add, run.ifindex(k), k)},
             {"IPv6 RA router appears, route add ack to applied"}, uplink_objects(Change::added),
             "wan" + std::to_string(k) + "'s IPv6 back in the group");
  }
  run.report_all();
  return 0;
}

}  // namespace uplinkd::bench
