// SPDX-License-Identifier: GPL-2.0-or-later
// IPv6 beside IPv4: each family of an uplink has its own table routes, source rules, nexthop and group
// membership, so that one family's outage leaves the other's balancing as it was.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "fakes/world.hpp"
#include "plan/ownership.hpp"
#include "plan/plan.hpp"

namespace uplinkd {
namespace {

using testing::bring_up;
using testing::bring_up6;
using testing::config_with;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::ip;
using ::testing::IsEmpty;
using testing::prefix;
using testing::uplink;

constexpr uint32_t kRa = 9;
constexpr uint32_t kTentative = 0x40, kDeprecated = 0x20, kTemporary = 0x01, kDadFailed = 0x08;

const netlink::Nexthop* nexthop(const Plan& plan, uint32_t id) {
  for (const auto& nexthop : plan.nexthops)
    if (nexthop.id == id) return &nexthop;
  return nullptr;
}

std::vector<uint32_t> member_ids(const Plan& plan, uint32_t group_id) {
  std::vector<uint32_t> ids;
  if (const auto* group = nexthop(plan, group_id))
    for (const auto& member : group->group) ids.push_back(member.id);
  return ids;
}

const netlink::Route* route_in(const Plan& plan, uint32_t table, const std::string& destination) {
  for (const auto& route : plan.routes)
    if (route.table == table && route.destination == prefix(destination)) return &route;
  return nullptr;
}

std::vector<netlink::Rule> rules_of(const Plan& plan, Family family) {
  std::vector<netlink::Rule> rules;
  for (const auto& rule : plan.rules)
    if (rule.family == family) rules.push_back(rule);
  return rules;
}

uint32_t nh6(uint32_t table) {
  return ownership::uplink_nexthop_id(table, Family::v6);
}

// The uplinks that balance default6, as their IPv6 nexthop ids: a multipath route's legs (flow mode) or the
// group, or the one nexthop, its route names.
std::vector<uint32_t> balanced6(const Plan& plan, uint32_t balance_table = 1000) {
  const auto* route = route_in(plan, balance_table, "default6");
  if (!route) return {};
  if (route->nexthop_id) {
    const auto* named = nexthop(plan, route->nexthop_id);
    return named && named->is_group() ? member_ids(plan, route->nexthop_id)
                                      : std::vector<uint32_t>{route->nexthop_id};
  }
  std::vector<uint32_t> ids;
  for (const auto& leg : route->multipath)
    for (const auto& planned : plan.nexthops)
      if (!planned.is_group() && planned.family == Family::v6 && planned.ifindex == leg.ifindex &&
          planned.gateway == leg.gateway)
        ids.push_back(planned.id);
  return ids;
}

struct DualStack : ::testing::Test {
  Config config = config_with({uplink("wan1", 200, 1), uplink("wan2", 201, 3)});
  State state{config};
  void SetUp() override {
    bring_up(state, "wan1", 1);
    bring_up(state, "wan2", 2);
    bring_up6(state, 1);
    bring_up6(state, 2);
  }
};

TEST_F(DualStack, EachUplinkHasAnIpv6TableRuleAndNexthopBesideItsIpv4Ones) {
  Plan plan = make_plan(config, state);
  const auto* own = nexthop(plan, nh6(200));
  ASSERT_NE(own, nullptr);
  EXPECT_EQ(own->family, Family::v6);
  EXPECT_EQ(own->gateway, ip("fe80::1"));
  EXPECT_EQ(own->ifindex, 11u);
  EXPECT_FALSE(own->onlink);
  EXPECT_NE(nexthop(plan, ownership::uplink_nexthop_id(200)), nullptr) << "the IPv4 nexthop stays";

  const auto* connected = route_in(plan, 200, "2001:db8:1::/64");
  ASSERT_NE(connected, nullptr);
  EXPECT_EQ(connected->oif, 11u);
  EXPECT_EQ(connected->priority, 1024u) << "the metric the kernel gives an IPv6 route without one";
  EXPECT_EQ(connected->scope, 0) << "IPv6 routes have no scope";
  const auto* fallback = route_in(plan, 200, "default6");
  ASSERT_NE(fallback, nullptr);
  EXPECT_EQ(fallback->nexthop_id, nh6(200));
  EXPECT_EQ(fallback->priority, 1024u);

  int from_prefix = 0, suppress = 0, balance = 0;
  for (const auto& rule : rules_of(plan, Family::v6)) {
    EXPECT_EQ(rule.protocol, ownership::kProtocol);
    if (rule.source == prefix("2001:db8:1::/64") && rule.table == 200) ++from_prefix;
    if (rule.source == prefix("2001:db8:2::/64") && rule.table == 201) ++from_prefix;
    if (rule.suppress_prefixlength == 0u && rule.table == 254) ++suppress;
    if (rule.table == config.balance_table && rule.priority == ownership::kRulePriorityBalance) ++balance;
  }
  EXPECT_EQ(from_prefix, 2);
  EXPECT_EQ(suppress, 1);
  EXPECT_EQ(balance, 1);
}

// A nexthop group would give the router's own unbound sockets its first member's source whatever leg they
// hash to (planner.cpp, plan_balance_legs6): a multipath route's legs give their own.
TEST_F(DualStack, AWeightedMultipathRouteCarriesDefault6) {
  Plan plan = make_plan(config, state);
  EXPECT_EQ(nexthop(plan, ownership::kGroupIdMultipathV6), nullptr) << "no IPv6 group in flow mode";
  const auto* balanced = route_in(plan, config.balance_table, "default6");
  ASSERT_NE(balanced, nullptr);
  EXPECT_EQ(balanced->nexthop_id, 0u);
  ASSERT_EQ(balanced->multipath.size(), 2u);
  EXPECT_EQ(balanced->multipath[0].gateway, ip("fe80::1"));
  EXPECT_EQ(balanced->multipath[0].ifindex, nexthop(plan, nh6(200))->ifindex);
  EXPECT_EQ(balanced->multipath[0].weight, 1);
  EXPECT_EQ(balanced->multipath[1].ifindex, nexthop(plan, nh6(201))->ifindex);
  EXPECT_EQ(balanced->multipath[1].weight, 3);
  EXPECT_THAT(balanced6(plan), ElementsAre(nh6(200), nh6(201)));
  EXPECT_NE(nexthop(plan, ownership::kGroupIdMultipathV4), nullptr) << "IPv4 keeps its group";
  EXPECT_TRUE(plan.uplinks[0].in_group6);
  EXPECT_EQ(plan.uplinks[0].status6.why, "usable");
  EXPECT_THAT(plan.notes, IsEmpty());
}

TEST_F(DualStack, OneUsableUplinkCarriesDefault6ByItsNexthop) {
  state.on_link(netlink::Link{11, "wan1", true, false}, false);
  Plan plan = make_plan(config, state);
  const auto* balanced = route_in(plan, config.balance_table, "default6");
  ASSERT_NE(balanced, nullptr);
  EXPECT_EQ(balanced->nexthop_id, nh6(201));
  EXPECT_THAT(balanced->multipath, IsEmpty());
}

TEST_F(DualStack, ResilientModeGivesIpv6ItsOwnResilientGroup) {
  config.mode = Mode::resilient;
  Plan plan = make_plan(config, state);
  const auto* group = nexthop(plan, ownership::kGroupIdResilientV6);
  ASSERT_NE(group, nullptr);
  EXPECT_EQ(group->group_type, netlink::NexthopGroupType::resilient);
  EXPECT_NE(nexthop(plan, ownership::kGroupIdResilientV4), nullptr);
}

TEST_F(DualStack, ARouterThatLeavesTakesOnlyTheIpv6SideOut) {
  netlink::Route gone;
  gone.destination = Prefix::default_route(Family::v6);
  gone.gateway = ip("fe80::1");
  gone.oif = 11;
  gone.protocol = kRa;
  gone.priority = 1024;
  EXPECT_TRUE(state.on_route(gone, true));  // an RA with router lifetime 0
  Plan plan = make_plan(config, state);
  EXPECT_THAT(balanced6(plan), ElementsAre(nh6(201)));
  EXPECT_THAT(member_ids(plan, ownership::kGroupIdMultipathV4),
              ElementsAre(ownership::uplink_nexthop_id(200), ownership::uplink_nexthop_id(201)));
  EXPECT_FALSE(plan.uplinks[0].status6.routable);
  EXPECT_THAT(plan.uplinks[0].status6.why, HasSubstr("no IPv6 router known for wan1"));
  EXPECT_EQ(nexthop(plan, nh6(200)), nullptr);
  EXPECT_EQ(route_in(plan, 200, "default6"), nullptr);
}

TEST_F(DualStack, ABrokenIpv6UpstreamTakesOnlyTheIpv6SideOut) {
  EXPECT_TRUE(state.on_health("wan1", Family::v6, {Health::down, "3 rounds failed"}));
  Plan plan = make_plan(config, state);
  EXPECT_THAT(balanced6(plan), ElementsAre(nh6(201)));
  EXPECT_THAT(member_ids(plan, ownership::kGroupIdMultipathV4),
              ElementsAre(ownership::uplink_nexthop_id(200), ownership::uplink_nexthop_id(201)));
  EXPECT_EQ(plan.uplinks[0].status6.why, "down: health (3 rounds failed)");
  EXPECT_TRUE(plan.uplinks[0].status6.routable);  // its table and source rules stay for replies
  EXPECT_NE(route_in(plan, 200, "default6"), nullptr);
  EXPECT_EQ(plan.uplinks[0].status.why, "usable");
}

TEST_F(DualStack, AFamilyWithoutTargetsFollowsTheOthersVerdict) {
  const HealthVerdict v4_down{Health::down, "3 rounds failed"};
  EXPECT_TRUE(state.on_health("wan1", Family::v4, v4_down));
  EXPECT_TRUE(state.on_health("wan1", Family::v6, followed_verdict(v4_down, Family::v4)));
  Plan plan = make_plan(config, state);
  EXPECT_THAT(balanced6(plan), ElementsAre(nh6(201)));
  EXPECT_EQ(plan.uplinks[0].status6.why, "down: health (as IPv4: 3 rounds failed)");
  EXPECT_EQ(followed_verdict(HealthVerdict{}, Family::v6), HealthVerdict{});
}

TEST_F(DualStack, CarrierLossTakesBothFamiliesOut) {
  state.on_link(netlink::Link{11, "wan1", true, false}, false);
  Plan plan = make_plan(config, state);
  EXPECT_THAT(balanced6(plan), ElementsAre(nh6(201)));
  EXPECT_THAT(member_ids(plan, ownership::kGroupIdMultipathV4),
              ElementsAre(ownership::uplink_nexthop_id(201)));
  EXPECT_EQ(plan.uplinks[0].status6.why, "no carrier on wan1");
}

TEST_F(DualStack, NoIpv6UplinkLeavesTheIpv6DestinationsToMain) {
  for (uint32_t ifindex : {11u, 12u}) {
    netlink::Route gone;
    gone.destination = Prefix::default_route(Family::v6);
    gone.gateway = ip("fe80::1");
    gone.oif = ifindex;
    state.on_route(gone, true);
  }
  Plan plan = make_plan(config, state);
  EXPECT_EQ(nexthop(plan, ownership::kGroupIdMultipathV6), nullptr);
  EXPECT_EQ(route_in(plan, config.balance_table, "default6"), nullptr);
  EXPECT_THAT(plan.notes,
              ElementsAre("no uplink is usable for IPv6: balanced destinations fall back to the main "
                          "table"));
  EXPECT_EQ(rules_of(plan, Family::v6).size(), 2u) << "the policy rules only: no uplink has an IPv6 table";
}

TEST_F(DualStack, TentativeFailedAndLinkLocalAddressesAreNoSource) {
  state.on_address(netlink::Address{11, prefix("2001:db8:1::10/64"), 0, 0}, true);
  state.on_address(netlink::Address{11, prefix("2001:db8:7::10/64"), 0, kTentative}, false);
  state.on_address(netlink::Address{11, prefix("2001:db8:8::10/64"), 0, kDadFailed}, false);
  state.on_address(netlink::Address{11, prefix("fe80::10/64"), 253, 0}, false);
  Plan plan = make_plan(config, state);
  EXPECT_FALSE(plan.uplinks[0].status6.routable);
  EXPECT_EQ(plan.uplinks[0].status6.why, "no global IPv6 address on wan1");
  // DAD ends: the kernel announces the address again without the flag.
  EXPECT_TRUE(state.on_address(netlink::Address{11, prefix("2001:db8:7::10/64"), 0, 0}, false));
  plan = make_plan(config, state);
  EXPECT_TRUE(plan.uplinks[0].status6.usable);
  EXPECT_EQ(plan.uplinks[0].status6.address, prefix("2001:db8:7::10/64"));
}

TEST_F(DualStack, EveryPrefixGetsARuleAndTheSourceIsAStablePreferredAddress) {
  state.on_address(netlink::Address{11, prefix("2001:db8:1::10/64"), 0, kDeprecated}, false);
  state.on_address(netlink::Address{11, prefix("2001:db8:5::99/64"), 0, kTemporary}, false);
  state.on_address(netlink::Address{11, prefix("2001:db8:5::10/64"), 0, 0}, false);
  Plan plan = make_plan(config, state);
  const auto& status = plan.uplinks[0].status6;
  EXPECT_EQ(status.address, prefix("2001:db8:5::10/64"));
  EXPECT_THAT(status.prefixes, ElementsAre(prefix("2001:db8:1::/64"), prefix("2001:db8:5::/64")));
  int rules = 0;
  for (const auto& rule : rules_of(plan, Family::v6))
    if (rule.table == 200 && rule.source) ++rules;
  EXPECT_EQ(rules, 2) << "a deprecated prefix keeps its rule: its connections go on";
  EXPECT_NE(route_in(plan, 200, "2001:db8:1::/64"), nullptr);
  EXPECT_NE(route_in(plan, 200, "2001:db8:5::/64"), nullptr);
}

TEST_F(DualStack, RenumberingReplacesTheOldPrefixesObjects) {
  state.on_address(netlink::Address{11, prefix("2001:db8:1::10/64"), 0, 0}, true);
  state.on_address(netlink::Address{11, prefix("2001:db8:61::10/64"), 0, 0}, false);
  Plan plan = make_plan(config, state);
  EXPECT_EQ(route_in(plan, 200, "2001:db8:1::/64"), nullptr);
  EXPECT_NE(route_in(plan, 200, "2001:db8:61::/64"), nullptr);
  for (const auto& rule : rules_of(plan, Family::v6)) EXPECT_NE(rule.source, prefix("2001:db8:1::/64"));
}

TEST_F(DualStack, AnIpv4OnlyUplinkHasNoIpv6Objects) {
  config.uplinks[0].families = IpFamilies::v4;
  Plan plan = make_plan(config, state);
  EXPECT_EQ(nexthop(plan, nh6(200)), nullptr);
  EXPECT_EQ(route_in(plan, 200, "default6"), nullptr);
  EXPECT_EQ(plan.uplinks[0].status6.why, "IPv6 is not balanced (family = \"ipv4\")");
  EXPECT_THAT(balanced6(plan), ElementsAre(nh6(201)));
}

TEST_F(DualStack, AnIpv6OnlyUplinkNeedsNoIpv4) {
  config.uplinks[0].families = IpFamilies::v6;
  state.on_address(netlink::Address{11, prefix("100.64.1.10/24"), 0, 0}, true);
  Plan plan = make_plan(config, state);
  EXPECT_TRUE(plan.uplinks[0].in_group6);
  EXPECT_FALSE(plan.uplinks[0].in_group);
  EXPECT_EQ(nexthop(plan, ownership::uplink_nexthop_id(200)), nullptr);
}

TEST_F(DualStack, AStaticGateway6NeedsNoAdvertisement) {
  config.uplinks[0].gateway6_kind = GatewayKind::fixed;
  config.uplinks[0].gateway6 = ip("fe80::99");
  Plan plan = make_plan(config, state);
  EXPECT_EQ(nexthop(plan, nh6(200))->gateway, ip("fe80::99"));
  EXPECT_EQ(plan.uplinks[0].status6.gateway_source, GatewaySource::config);
}

// The kernel refuses an IPv6 multipath route with a leg that has no gateway: direct links are balanced by
// the group.
TEST_F(DualStack, LinksWithoutARouterAreBalancedByTheGroup) {
  config.uplinks[1].gateway6_kind = GatewayKind::none;
  Plan plan = make_plan(config, state);
  const auto* balanced = route_in(plan, config.balance_table, "default6");
  ASSERT_NE(balanced, nullptr);
  EXPECT_EQ(balanced->nexthop_id, ownership::kGroupIdMultipathV6);
  EXPECT_THAT(balanced->multipath, IsEmpty());
  EXPECT_THAT(member_ids(plan, ownership::kGroupIdMultipathV6), ElementsAre(nh6(200), nh6(201)));
  EXPECT_EQ(nexthop(plan, nh6(201))->gateway, std::nullopt);
}

TEST_F(DualStack, TheHashPolicyIsSetForBothFamilies) {
  config.multipath_hash_policy = 1;
  Plan plan = make_plan(config, state);
  ASSERT_EQ(plan.sysctls.size(), 2u);
  EXPECT_EQ(plan.sysctls[1].key, "net.ipv6.fib_multipath_hash_policy");
  EXPECT_EQ(plan.sysctls[1].value, "1");
}

// Only when the config asks, and only for an interface that exists (the kernel has no setting for the rest).
TEST_F(DualStack, AcceptRaIsSetWhereConfigured) {
  config.uplinks[0].accept_ra = 2;
  config.uplinks.push_back(uplink("vlan.7", 202, 1));
  config.uplinks.back().accept_ra = 2;
  State with_vlan{config};
  bring_up(with_vlan, "wan1", 1);
  Plan plan = make_plan(config, with_vlan);
  ASSERT_EQ(plan.sysctls.size(), 1u);
  EXPECT_EQ(plan.sysctls[0], (Sysctl{"net.ipv6.conf.wan1.accept_ra", "2"}));
  EXPECT_EQ(ipv6_interface_sysctl("vlan.7", "accept_ra"), "net/ipv6/conf/vlan.7/accept_ra");
}

// Connection mode marks IPv6 too (planner_marks6_test.cpp has the details); the multipath route stays for
// what no mark routes (the router's own unbound connections pick their source by it).
TEST_F(DualStack, ConnectionModeMarksIpv6WithoutANote) {
  config.mode = Mode::connection;
  Plan plan = make_plan(config, state);
  EXPECT_THAT(plan.notes, IsEmpty());
  EXPECT_TRUE(plan.marks.marks_ipv6);
  EXPECT_EQ(plan.marks.v6.shares, plan.marks.v4.shares);
  EXPECT_THAT(balanced6(plan), ElementsAre(nh6(200), nh6(201)));
}

TEST(Ipv4OnlyNetwork, PlansNothingForIpv6) {
  auto config = config_with({uplink("wan1", 200)});
  config.multipath_hash_policy = 1;
  State state(config);
  bring_up(state, "wan1", 1);
  Plan plan = make_plan(config, state);
  EXPECT_THAT(rules_of(plan, Family::v6), IsEmpty());
  EXPECT_THAT(plan.notes, IsEmpty());
  EXPECT_EQ(plan.sysctls.size(), 1u);
}

TEST(Ipv6Refusal, LeavesTheIpv4SideAsItWas) {
  auto config = config_with({uplink("wan1", 200), uplink("wan2", 201)});
  State state(config);
  bring_up(state, "wan1", 1);
  bring_up(state, "wan2", 2);
  bring_up6(state, 1);
  bring_up6(state, 2);
  Plan before = make_plan(config, state);
  const auto& status6 = before.uplinks[0].status6;
  state.on_kernel_refused("wan1", Family::v6, "add nexthop: Invalid argument", status6.address,
                          status6.gateway, std::chrono::steady_clock::now());
  Plan plan = make_plan(config, state);
  EXPECT_TRUE(plan.uplinks[0].in_group);
  EXPECT_FALSE(plan.uplinks[0].in_group6);
  EXPECT_TRUE(plan.uplinks[0].status6.refused);
  EXPECT_FALSE(plan.uplinks[0].status.refused);
  EXPECT_TRUE(state.on_kernel_accepted("wan1", Family::v6));
  EXPECT_TRUE(make_plan(config, state).uplinks[0].in_group6);
}

}  // namespace
}  // namespace uplinkd
