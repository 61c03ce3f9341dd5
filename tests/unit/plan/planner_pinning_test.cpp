// SPDX-License-Identifier: GPL-2.0-or-later
// Established masqueraded connections stay on their uplink while it is usable (a mark from nftables and a
// fwmark rule into its table), and are released when it dies, so that they can move.
#include <gtest/gtest.h>

#include "fakes/world.hpp"
#include "plan/ownership.hpp"
#include "plan/plan.hpp"

namespace uplinkd {
namespace {

using testing::bring_up;
using testing::config_with;
using testing::uplink;

std::vector<netlink::Rule> pin_rules(const Plan& plan) {
  std::vector<netlink::Rule> rules;
  for (const auto& rule : plan.rules)
    if (rule.priority == ownership::kRulePriorityPinned) rules.push_back(rule);
  return rules;
}

Config masquerading(std::vector<UplinkConfig> uplinks) {
  for (auto& one : uplinks) one.masquerade = true;
  return config_with(std::move(uplinks));
}

TEST(PlannerPinning, EachUsableMasqueradingUplinkPinsItsAddress) {
  auto config = masquerading({uplink("a", 201), uplink("b", 202, 1, 2)});
  State state(config);
  bring_up(state, "a", 1);
  bring_up(state, "b", 2);
  Plan plan = make_plan(config, state);
  // b is a standby of tier 2: not in the group, but connections already on it must stay there.
  EXPECT_FALSE(plan.uplinks[1].in_group);
  ASSERT_EQ(plan.nat.pinned.size(), 2u);
  EXPECT_EQ(plan.nat.pinned[0].address, plan.uplinks[0].status.address->address);
  EXPECT_EQ(plan.nat.pinned[0].mark, ownership::uplink_mark(201));
  EXPECT_EQ(plan.nat.pinned[1].mark, ownership::uplink_mark(202));
  auto rules = pin_rules(plan);
  ASSERT_EQ(rules.size(), 2u);
  EXPECT_EQ(rules[0].fwmark, ownership::uplink_mark(201));
  EXPECT_EQ(rules[0].fwmask, 0xffffffffu);
  EXPECT_EQ(rules[0].table, 201u);
  EXPECT_EQ(rules[1].table, 202u);
}

TEST(PlannerPinning, ADeadUplinkReleasesItsConnections) {
  auto config = masquerading({uplink("a", 201), uplink("b", 202)});
  State state(config);
  bring_up(state, "a", 1);
  bring_up(state, "b", 2);
  state.on_health("a", {Health::down, "3 rounds failed"});
  Plan plan = make_plan(config, state);
  ASSERT_EQ(plan.nat.pinned.size(), 1u);
  EXPECT_EQ(plan.nat.pinned[0].mark, ownership::uplink_mark(202));
  ASSERT_EQ(pin_rules(plan).size(), 1u);
  EXPECT_EQ(pin_rules(plan)[0].table, 202u);
}

TEST(PlannerPinning, UplinksWithoutMasqueradeAreNotPinned) {
  auto config = config_with({uplink("a", 201), uplink("b", 202)});
  State state(config);
  bring_up(state, "a", 1);
  bring_up(state, "b", 2);
  Plan plan = make_plan(config, state);
  EXPECT_TRUE(plan.nat.pinned.empty());
  EXPECT_TRUE(pin_rules(plan).empty());
}

}  // namespace
}  // namespace uplinkd
