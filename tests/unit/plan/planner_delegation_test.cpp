// SPDX-License-Identifier: GPL-2.0-or-later
// Delegated prefixes in the plan: a source rule to the uplink's IPv6 table, no connected route (they are
// routed on the LAN side), only while the uplink's IPv6 side is routable.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "fakes/world.hpp"
#include "plan/ownership.hpp"
#include "plan/plan.hpp"

namespace uplinkd {
namespace {

using testing::bring_up;
using testing::bring_up6;
using testing::config_with;
using testing::dhcpv6_event;
using testing::prefix;
using ::testing::UnorderedElementsAre;
using testing::uplink;

// "PREFIX→TABLE" for every IPv6 source rule at the source priority.
std::vector<std::string> source_rules6(const Plan& plan) {
  std::vector<std::string> rules;
  for (const auto& rule : plan.rules)
    if (rule.family == Family::v6 && rule.priority == ownership::kRulePrioritySource && rule.source)
      rules.push_back(rule.source->to_string() + "→" + std::to_string(rule.table));
  return rules;
}

bool has_route(const Plan& plan, const std::string& destination) {
  for (const auto& route : plan.routes)
    if (route.destination == prefix(destination)) return true;
  return false;
}

struct PlannedDelegation : ::testing::Test {
  Config config = config_with({uplink("wan1", 201), uplink("wan2", 202)});
  State state{config};
  void SetUp() override {
    bring_up(state, "wan1", 1);
    bring_up(state, "wan2", 2);
    bring_up6(state, 1);
    bring_up6(state, 2);
  }
  void delegate(const std::string& interface, const std::vector<std::string>& prefixes) {
    state.on_hook(dhcpv6_event(DhcpClient::dhcpcd, interface, "BOUND6", LeaseChange::up, prefixes));
  }
};

TEST_F(PlannedDelegation, EachPrefixGetsARuleToItsUplinksTable) {
  delegate("wan1", {"2001:db8:1:100::/60"});
  delegate("wan2", {"2001:db8:2:100::/60", "fd00:2::/48"});
  Plan plan = make_plan(config, state);
  EXPECT_THAT(source_rules6(plan),
              UnorderedElementsAre("2001:db8:1::/64→201", "2001:db8:1:100::/60→201", "2001:db8:2::/64→202",
                                   "2001:db8:2:100::/60→202", "fd00:2::/48→202"));
  EXPECT_FALSE(has_route(plan, "2001:db8:1:100::/60")) << "not on the uplink's link";
  EXPECT_FALSE(has_route(plan, "fd00:2::/48"));
  EXPECT_EQ(plan.uplinks[1].status6.delegated.size(), 2u);
}

TEST_F(PlannedDelegation, RenumberingReplacesTheRule) {
  delegate("wan1", {"2001:db8:1:100::/60"});
  delegate("wan1", {"2001:db8:1:200::/60"});
  EXPECT_THAT(source_rules6(make_plan(config, state)),
              UnorderedElementsAre("2001:db8:1::/64→201", "2001:db8:1:200::/60→201", "2001:db8:2::/64→202"));
}

// An ISP may delegate the very /64 its link's addresses are in (or the router may number its uplink from
// its own delegation): one rule, and the connected route the address prefix has anyway.
TEST_F(PlannedDelegation, APrefixEqualToAnAddressPrefixHasOneRule) {
  delegate("wan1", {"2001:db8:1::/64"});
  Plan plan = make_plan(config, state);
  EXPECT_THAT(source_rules6(plan), UnorderedElementsAre("2001:db8:1::/64→201", "2001:db8:2::/64→202"));
  EXPECT_TRUE(has_route(plan, "2001:db8:1::/64"));
}

// Without a routable IPv6 side there is no table to send the prefix to; the rule returns with the router.
TEST_F(PlannedDelegation, NoRuleWhileTheUplinkIsNotRoutable) {
  delegate("wan1", {"2001:db8:1:100::/60"});
  state.on_link(netlink::Link{11, "wan1", true, false}, false);  // carrier lost
  Plan plan = make_plan(config, state);
  EXPECT_THAT(source_rules6(plan), UnorderedElementsAre("2001:db8:2::/64→202"));
  EXPECT_EQ(plan.uplinks[0].status6.delegated.size(), 1u) << "status still shows the delegation";
  state.on_link(netlink::Link{11, "wan1", true, true}, false);
  EXPECT_THAT(source_rules6(make_plan(config, state)),
              UnorderedElementsAre("2001:db8:1::/64→201", "2001:db8:1:100::/60→201", "2001:db8:2::/64→202"));
}

// A health verdict of down leaves the uplink routable (its table and rules stay for its own connections),
// so LAN hosts of its prefix keep their way out until the prefix is withdrawn.
TEST_F(PlannedDelegation, AnUplinkOutOfTheGroupKeepsItsRules) {
  delegate("wan1", {"2001:db8:1:100::/60"});
  state.on_health("wan1", HealthVerdict{Health::down, "no answer"});
  Plan plan = make_plan(config, state);
  EXPECT_FALSE(plan.uplinks[0].in_group6);
  EXPECT_THAT(source_rules6(plan),
              UnorderedElementsAre("2001:db8:1::/64→201", "2001:db8:1:100::/60→201", "2001:db8:2::/64→202"));
}

TEST_F(PlannedDelegation, TheIpv4SideIsUntouched) {
  Plan before = make_plan(config, state);
  delegate("wan1", {"2001:db8:1:100::/60"});
  Plan after = make_plan(config, state);
  auto v4 = [](const Plan& plan) {
    std::vector<netlink::Rule> rules;
    for (const auto& rule : plan.rules)
      if (rule.family == Family::v4) rules.push_back(rule);
    return rules;
  };
  EXPECT_EQ(v4(before), v4(after));
  EXPECT_EQ(before.nexthops, after.nexthops);
  EXPECT_EQ(before.routes, after.routes);
}

}  // namespace
}  // namespace uplinkd
