// SPDX-License-Identifier: GPL-2.0-or-later
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "apply/plan_commands.hpp"
#include "fakes/world.hpp"
#include "plan/ownership.hpp"
#include "plan/plan.hpp"

namespace uplinkd {
namespace {

using testing::bring_up;
using testing::config_with;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::ip;
using testing::prefix;
using testing::uplink;

const netlink::Nexthop* group_of(const Plan& plan) {
  for (const auto& nexthop : plan.nexthops)
    if (nexthop.is_group()) return &nexthop;
  return nullptr;
}

std::vector<std::pair<uint32_t, uint16_t>> members(const Plan& plan) {
  std::vector<std::pair<uint32_t, uint16_t>> result;
  if (const auto* group = group_of(plan))
    for (const auto& member : group->group) result.emplace_back(member.id, member.weight);
  return result;
}

const netlink::Route* route_in(const Plan& plan, uint32_t table, const std::string& destination) {
  for (const auto& route : plan.routes)
    if (route.table == table && route.destination == prefix(destination)) return &route;
  return nullptr;
}

uint32_t nh(uint32_t table) {
  return ownership::uplink_nexthop_id(table);
}

TEST(Planner, TwoWeightedUplinks) {
  auto config = config_with({uplink("wan1", 200, 1), uplink("wan2", 201, 2)});
  State state(config);
  bring_up(state, "wan1", 1);
  bring_up(state, "wan2", 2);
  Plan plan = make_plan(config, state);

  EXPECT_THAT(members(plan), ElementsAre(std::pair{nh(200), uint16_t{1}}, std::pair{nh(201), uint16_t{2}}));
  const auto* balanced = route_in(plan, config.balance_table, "default");
  ASSERT_NE(balanced, nullptr);
  EXPECT_EQ(balanced->nexthop_id, ownership::kGroupIdMultipathV4);
  EXPECT_EQ(balanced->protocol, ownership::kProtocol);

  for (int n : {1, 2}) {
    uint32_t table = 199 + static_cast<uint32_t>(n);
    const auto* own_default = route_in(plan, table, "default");
    ASSERT_NE(own_default, nullptr);
    EXPECT_EQ(own_default->nexthop_id, nh(table));
    const auto* connected = route_in(plan, table, "100.64." + std::to_string(n) + ".0/24");
    ASSERT_NE(connected, nullptr);
    EXPECT_EQ(connected->scope, 253);
    EXPECT_EQ(connected->prefsrc, ip("100.64." + std::to_string(n) + ".10"));
    EXPECT_EQ(connected->oif, 10u + static_cast<uint32_t>(n));
  }
  auto single =
      std::find_if(plan.nexthops.begin(), plan.nexthops.end(), [](auto& n) { return n.id == nh(201); });
  ASSERT_NE(single, plan.nexthops.end());
  EXPECT_EQ(single->gateway, ip("100.64.2.1"));
  EXPECT_EQ(single->ifindex, 12u);
  EXPECT_FALSE(single->onlink);

  ASSERT_EQ(plan.rules.size(), 4u);
  int source_rules = 0, suppress = 0, balance = 0;
  for (const auto& rule : plan.rules) {
    EXPECT_TRUE(ownership::owns_rule_priority(rule.priority));
    EXPECT_EQ(rule.protocol, ownership::kProtocol);
    if (rule.source) ++source_rules;
    if (rule.suppress_prefixlength == 0u && rule.table == 254) ++suppress;
    if (rule.table == config.balance_table) ++balance;
  }
  EXPECT_EQ(source_rules, 2);
  EXPECT_EQ(suppress, 1);
  EXPECT_EQ(balance, 1);
  EXPECT_TRUE(plan.notes.empty());
}

TEST(Planner, UnusableUplinkKeepsNothing) {
  auto config = config_with({uplink("wan1", 200), uplink("wan2", 201)});
  State state(config);
  bring_up(state, "wan1", 1);
  state.on_link(netlink::Link{12, "wan2", true, false}, false);
  Plan plan = make_plan(config, state);
  EXPECT_THAT(members(plan), ElementsAre(std::pair{nh(200), uint16_t{1}}));
  EXPECT_EQ(route_in(plan, 201, "default"), nullptr);
  EXPECT_FALSE(plan.uplinks[1].in_group);
  EXPECT_EQ(plan.uplinks[1].status.why, "no carrier on wan2");
}

TEST(Planner, OnlyTheBestTierIsBalanced) {
  auto config =
      config_with({uplink("fiber", 200, 1, 1), uplink("cable", 201, 3, 1), uplink("lte", 202, 1, 2)});
  State state(config);
  bring_up(state, "fiber", 1);
  bring_up(state, "cable", 2);
  bring_up(state, "lte", 3);
  EXPECT_THAT(members(make_plan(config, state)),
              ElementsAre(std::pair{nh(200), uint16_t{1}}, std::pair{nh(201), uint16_t{3}}));

  state.on_link(netlink::Link{11, "fiber", true, false}, false);
  EXPECT_THAT(members(make_plan(config, state)), ElementsAre(std::pair{nh(201), uint16_t{3}}));

  state.on_link(netlink::Link{12, "cable", false, false}, false);
  Plan backup = make_plan(config, state);
  EXPECT_THAT(members(backup), ElementsAre(std::pair{nh(202), uint16_t{1}}));
  EXPECT_NE(route_in(backup, 202, "default"), nullptr) << "the backup's own table exists while it is used";
}

TEST(Planner, BackupTierKeepsItsOwnTableWhileIdle) {
  auto config = config_with({uplink("fiber", 200, 1, 1), uplink("lte", 202, 1, 2)});
  State state(config);
  bring_up(state, "fiber", 1);
  bring_up(state, "lte", 3);
  Plan plan = make_plan(config, state);
  EXPECT_NE(route_in(plan, 202, "default"), nullptr)
      << "replies to the backup's address must still leave by it";
  EXPECT_FALSE(plan.uplinks[1].in_group);
}

TEST(Planner, NoUsableUplinkLeavesMainAsFallback) {
  auto config = config_with({uplink("wan1", 200)});
  State state(config);
  Plan plan = make_plan(config, state);
  EXPECT_EQ(group_of(plan), nullptr);
  EXPECT_TRUE(plan.routes.empty());
  EXPECT_EQ(plan.rules.size(), 2u)
      << "the suppress and balance rules stay; an empty balance table falls through";
  EXPECT_THAT(plan.notes, ElementsAre(HasSubstr("no uplink is usable")));
}

TEST(Planner, DirectLinkUsesADeviceNexthop) {
  auto direct = uplink("eth1", 200);
  direct.gateway_kind = GatewayKind::none;
  auto config = config_with({direct});
  State state(config);
  state.on_link(netlink::Link{11, "eth1", true, true}, false);
  state.on_address(netlink::Address{11, prefix("192.168.1.1/24"), 0}, false);
  Plan plan = make_plan(config, state);
  ASSERT_TRUE(plan.uplinks[0].status.usable);
  auto single =
      std::find_if(plan.nexthops.begin(), plan.nexthops.end(), [](auto& n) { return !n.is_group(); });
  ASSERT_NE(single, plan.nexthops.end());
  EXPECT_FALSE(single->gateway);
  EXPECT_EQ(single->ifindex, 11u);
}

TEST(Planner, GatewayOutsideTheSubnetIsOnlink) {
  auto config = config_with({uplink("wan1", 200)});
  config.uplinks[0].gateway_kind = GatewayKind::fixed;
  config.uplinks[0].gateway = ip("10.255.0.1");
  State state(config);
  state.on_link(netlink::Link{11, "wan1", true, true}, false);
  state.on_address(netlink::Address{11, prefix("100.64.1.10/32"), 0}, false);
  Plan plan = make_plan(config, state);
  ASSERT_FALSE(plan.nexthops.empty());
  EXPECT_TRUE(plan.nexthops[0].onlink);
  EXPECT_EQ(route_in(plan, 200, "100.64.1.10/32"), nullptr) << "a /32 has no connected route";
}

TEST(Planner, ResilientModeUsesAResilientGroup) {
  auto config = config_with({uplink("wan1", 200), uplink("wan2", 201)});
  config.mode = Mode::resilient;
  config.resilient_buckets = 64;
  config.resilient_idle_timer_s = 30;
  State state(config);
  bring_up(state, "wan1", 1);
  bring_up(state, "wan2", 2);
  Plan plan = make_plan(config, state);
  const auto* group = group_of(plan);
  ASSERT_NE(group, nullptr);
  EXPECT_EQ(group->id, ownership::kGroupIdResilientV4);
  EXPECT_EQ(group->group_type, netlink::NexthopGroupType::resilient);
  ASSERT_TRUE(group->resilient);
  EXPECT_EQ(group->resilient->buckets, 64);
  EXPECT_EQ(group->resilient->idle_timer_s, 30u);
}

TEST(Planner, SeveralDestinationsShareTheGroup) {
  auto config = config_with({uplink("wan1", 200)});
  config.destinations = {prefix("10.0.0.0/8"), prefix("172.16.5.9/12"), prefix("2001:db8::/32")};
  State state(config);
  bring_up(state, "wan1", 1);
  Plan plan = make_plan(config, state);
  EXPECT_NE(route_in(plan, config.balance_table, "10.0.0.0/8"), nullptr);
  EXPECT_NE(route_in(plan, config.balance_table, "172.16.0.0/12"), nullptr) << "host bits are cleared";
  EXPECT_EQ(route_in(plan, config.balance_table, "default"), nullptr);
  // No uplink has IPv6: nothing IPv6 is planned, and nothing said about it (planner_ipv6_test.cpp).
  EXPECT_EQ(route_in(plan, config.balance_table, "2001:db8::/32"), nullptr);
  EXPECT_THAT(plan.notes, ::testing::IsEmpty());
}

TEST(Planner, MasqueradeSysctlsAndTableNames) {
  auto config = config_with({uplink("wan1", 200), uplink("wan2", 201)});
  config.uplinks[1].masquerade = true;
  config.multipath_hash_policy = 1;
  State state(config);
  Plan plan = make_plan(config, state);
  EXPECT_THAT(plan.nat.masquerade_interfaces, ElementsAre("wan2"));
  EXPECT_THAT(plan.sysctls, ElementsAre(Sysctl{"net.ipv4.fib_multipath_hash_policy", "1"}));
  EXPECT_THAT(plan.table_names, ElementsAre(TableName{200, "uplinkd-wan1"}, TableName{201, "uplinkd-wan2"},
                                            TableName{1000, "uplinkd-balance"}));
}

TEST(Planner, HashPolicyIsLeftAloneUnlessConfigured) {
  auto config = config_with({uplink("wan1", 200)});
  EXPECT_TRUE(make_plan(config, State(config)).sysctls.empty());
}

TEST(Planner, IsAPureFunction) {
  auto config = config_with({uplink("wan1", 200, 5), uplink("wan2", 201, 7)});
  State state(config);
  bring_up(state, "wan1", 1);
  bring_up(state, "wan2", 2, false);
  Plan first = make_plan(config, state);
  Plan second = make_plan(config, state);
  EXPECT_EQ(first.nexthops, second.nexthops);
  EXPECT_EQ(first.routes, second.routes);
  EXPECT_EQ(first.rules, second.rules);
}

TEST(PlanCommands, ReadLikeWhatAnAdminWouldType) {
  auto config = config_with({uplink("wan1", 200, 1), uplink("wan2", 201, 2)});
  State state(config);
  bring_up(state, "wan1", 1);
  bring_up(state, "wan2", 2);
  auto commands = plan_commands(make_plan(config, state), {{11, "wan1"}, {12, "wan2"}});
  std::string all;
  for (const auto& command : commands) all += command + "\n";
  EXPECT_THAT(all, HasSubstr("ip nexthop replace id " + std::to_string(nh(200)) +
                             " via 100.64.1.1 dev wan1 proto 117\n"));
  EXPECT_THAT(
      all, HasSubstr("group " + std::to_string(nh(200)) + ",1/" + std::to_string(nh(201)) + ",2 proto 117"));
  EXPECT_THAT(
      all,
      HasSubstr("ip route replace 100.64.2.0/24 table 201 dev wan2 scope link src 100.64.2.10 proto 117"));
  EXPECT_THAT(all, HasSubstr("ip rule add priority 20020 lookup 254 suppress_prefixlength 0 protocol 117"));
  EXPECT_THAT(all, HasSubstr("ip rule add priority 20100 from 100.64.1.10/32 lookup 200 protocol 117"));
  EXPECT_LT(all.find("via 100.64.2.1"), all.find(" group ")) << "members before the group";
}

// IPv6 objects are printed with `ip -6`: a rule without addresses (the suppress rule) would be IPv4's without
// it. default6 is a multipath route, one `nexthop` per uplink.
TEST(PlanCommands, Ipv6ObjectsAreIpDash6Commands) {
  auto config = config_with({uplink("wan1", 200, 1), uplink("wan2", 201, 2)});
  State state(config);
  bring_up(state, "wan1", 1);
  bring_up(state, "wan2", 2);
  testing::bring_up6(state, 1);
  testing::bring_up6(state, 2);
  auto commands = plan_commands(make_plan(config, state), {{11, "wan1"}, {12, "wan2"}});
  std::string all;
  for (const auto& command : commands) all += command + "\n";
  EXPECT_THAT(all, HasSubstr("ip -6 nexthop replace id " +
                             std::to_string(ownership::uplink_nexthop_id(200, Family::v6)) +
                             " via fe80::1 dev wan1 proto 117\n"));
  EXPECT_THAT(all, HasSubstr("ip -6 route replace default table 1000 proto 117 nexthop via fe80::1 dev wan1 "
                             "weight 1 nexthop via fe80::1 dev wan2 weight 2\n"));
  EXPECT_THAT(all, HasSubstr("ip -6 route replace 2001:db8:1::/64 table 200 dev wan1 proto 117\n"));
  EXPECT_THAT(all,
              HasSubstr("ip -6 rule add priority 20020 lookup 254 suppress_prefixlength 0 protocol 117"));
  EXPECT_THAT(all, HasSubstr("ip -6 rule add priority 20100 from 2001:db8:1::/64 lookup 200 protocol 117"));
  EXPECT_THAT(all, HasSubstr("\nip rule add priority 20020 lookup 254 suppress_prefixlength 0 protocol 117"))
      << "IPv4's rules stay `ip rule`";
}

// `uplinkctl plan` for the modes that mark: the routing rules and the whole nftables table, as one
// transaction that replaces it.
TEST(PlanCommands, MarkingModesShowRulesAndTheTable) {
  auto config = config_with({uplink("wan1", 200, 1), uplink("wan2", 201, 3)});
  config.mode = Mode::connection;
  config.exclude = {*Prefix::parse("192.168.77.0/24")};
  TrafficRule voip;
  voip.exclude = true;
  voip.match.protocol = 17;
  voip.match.dport = PortRange{5060, 5061};
  config.rules.push_back(voip);
  State state(config);
  bring_up(state, "wan1", 1);
  bring_up(state, "wan2", 2);
  auto commands = plan_commands(make_plan(config, state), {{11, "wan1"}, {12, "wan2"}});
  std::string all;
  for (const auto& command : commands) all += command + "\n";
  EXPECT_THAT(all, HasSubstr("ip rule add priority 20000 to 192.168.77.0/24 lookup 254 protocol 117\n"));
  EXPECT_THAT(all, HasSubstr("ip rule add priority 20001 to 192.168.77.0/24 unreachable protocol 117\n"));
  EXPECT_THAT(all, HasSubstr("ip rule add priority 20000 ipproto 17 dport 5060-5061 fwmark 0x0/0xffffffff "
                             "lookup 254 protocol 117\n"));
  EXPECT_THAT(all,
              HasSubstr("ip rule add priority 20050 fwmark 0x750000c8/0xffffffff lookup 200 protocol 117\n"));
  EXPECT_THAT(all, HasSubstr("nft -f - <<'EOF'\nadd table inet uplinkd\ndelete table inet uplinkd\n"));
  EXPECT_THAT(all, HasSubstr("numgen inc mod 4 map { 0 : 0x750000c8, 1-3 : 0x750000c9 }"));
}

}  // namespace
}  // namespace uplinkd
