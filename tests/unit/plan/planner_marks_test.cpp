// SPDX-License-Identifier: GPL-2.0-or-later
// Modes packet and connection, exclude and [[rule]]s: what the planner asks of nftables (plan.marks) and the
// routing rules that turn marks into uplinks' tables.
#include <gtest/gtest.h>

#include "fakes/world.hpp"
#include "plan/ownership.hpp"
#include "plan/plan.hpp"

namespace uplinkd {
namespace {

using testing::bring_up;
using testing::config_with;
using testing::prefix;
using testing::uplink;

const uint32_t kMarkA = ownership::uplink_mark(201);
const uint32_t kMarkB = ownership::uplink_mark(202);
const uint32_t kMarkC = ownership::uplink_mark(203);

std::vector<netlink::Rule> rules_at(const Plan& plan, uint32_t priority) {
  std::vector<netlink::Rule> rules;
  for (const auto& rule : plan.rules)
    if (rule.priority == priority) rules.push_back(rule);
  return rules;
}

struct World {
  Config config;
  State state;
  explicit World(Config c) : config(std::move(c)), state(config) {
    for (size_t i = 0; i < config.uplinks.size(); ++i)
      bring_up(state, config.uplinks[i].interface, static_cast<int>(i) + 1);
  }
  Plan plan() const { return make_plan(config, state); }
};

Config two_uplinks(Mode mode, uint16_t weight_b = 3) {
  auto config = config_with({uplink("a", 201), uplink("b", 202, weight_b)});
  config.mode = mode;
  return config;
}

TEST(PlannerMarks, FlowModeWithoutRulesMarksNothing) {
  World world(two_uplinks(Mode::flow));
  Plan plan = world.plan();
  EXPECT_TRUE(plan.marks.empty());
  EXPECT_TRUE(rules_at(plan, ownership::kRulePriorityPinned).empty());
}

TEST(PlannerMarks, PacketModeSpreadsOverTheGroupByWeight) {
  World world(two_uplinks(Mode::packet));
  Plan plan = world.plan();
  ASSERT_EQ(plan.marks.spread, Spread::packet);
  EXPECT_EQ(plan.marks.v4.shares, (std::vector<MarkShare>{{kMarkA, 1}, {kMarkB, 3}}));
  EXPECT_EQ(plan.marks.v4.live, (std::vector<uint32_t>{kMarkA, kMarkB}));
  EXPECT_TRUE(plan.marks.v4.interface_marks.empty());  // only connection mode keeps arrivals
  auto by_mark = rules_at(plan, ownership::kRulePriorityPinned);
  ASSERT_EQ(by_mark.size(), 2u);
  EXPECT_EQ(by_mark[0].fwmark, kMarkA);
  EXPECT_EQ(by_mark[0].table, 201u);
  EXPECT_EQ(by_mark[1].fwmark, kMarkB);
  EXPECT_EQ(by_mark[1].table, 202u);
}

TEST(PlannerMarks, ConnectionModeKeepsArrivalsAndSticky) {
  auto config = two_uplinks(Mode::connection);
  config.sticky_timeout_s = 600;
  World world(config);
  Plan plan = world.plan();
  ASSERT_EQ(plan.marks.spread, Spread::connection);
  EXPECT_EQ(plan.marks.sticky_timeout_s, 600u);
  ASSERT_EQ(plan.marks.v4.interface_marks.size(), 2u);
  EXPECT_EQ(plan.marks.v4.interface_marks[0], (std::pair<std::string, uint32_t>{"a", kMarkA}));
  EXPECT_EQ(plan.marks.v4.interface_marks[1], (std::pair<std::string, uint32_t>{"b", kMarkB}));
}

// A drained uplink takes no new connections but keeps its own: its mark stays live and routed.
TEST(PlannerMarks, DrainedUplinkKeepsItsConnectionsButTakesNoNewOnes) {
  World world(two_uplinks(Mode::connection));
  world.state.set_drained("b", true);
  Plan plan = world.plan();
  EXPECT_EQ(plan.marks.v4.shares, (std::vector<MarkShare>{{kMarkA, 1}}));
  EXPECT_EQ(plan.marks.v4.live, (std::vector<uint32_t>{kMarkA, kMarkB}));
  EXPECT_EQ(rules_at(plan, ownership::kRulePriorityPinned).size(), 2u);
}

// A dead uplink's connections are not restored to it: the kernel's group carries them on.
TEST(PlannerMarks, DeadUplinkIsNeitherSharedNorLive) {
  World world(two_uplinks(Mode::connection));
  world.state.on_health("a", {Health::down, "3 rounds failed"});
  Plan plan = world.plan();
  EXPECT_EQ(plan.marks.v4.shares, (std::vector<MarkShare>{{kMarkB, 3}}));
  EXPECT_EQ(plan.marks.v4.live, (std::vector<uint32_t>{kMarkB}));
  ASSERT_EQ(rules_at(plan, ownership::kRulePriorityPinned).size(), 1u);
  EXPECT_EQ(rules_at(plan, ownership::kRulePriorityPinned)[0].table, 202u);
}

TEST(PlannerMarks, SharesFollowTiersLikeTheGroup) {
  auto config = config_with({uplink("a", 201), uplink("b", 202), uplink("c", 203, 1, 2)});
  config.mode = Mode::packet;
  World world(config);
  EXPECT_EQ(world.plan().marks.v4.shares, (std::vector<MarkShare>{{kMarkA, 1}, {kMarkB, 1}}));
  world.state.on_health("a", {Health::down, "x"});
  world.state.on_health("b", {Health::down, "x"});
  EXPECT_EQ(world.plan().marks.v4.shares, (std::vector<MarkShare>{{kMarkC, 1}}));
}

// The seed's example: main holds the NICs' connected routes to the balanced prefix, so traffic to it needs
// rules before main's. Only that part of a listed destination gets them: main's other specific routes (the
// LAN, a VPN) keep winning, as they do for "default".
TEST(PlannerMarks, UplinksOwnSubnetsInListedDestinationsWinOverMain) {
  auto config = two_uplinks(Mode::packet, 1);
  config.destinations = {prefix("100.64.1.0/24"), prefix("10.0.0.0/8"), prefix("100.0.0.0/8")};
  World world(config);
  Plan plan = world.plan();
  auto balanced = rules_at(plan, ownership::kRulePriorityDestination);
  ASSERT_EQ(balanced.size(), 2u);  // 100.64.1.0/24 once, 100.64.2.0/24 from 100/8; 10/8 not at all
  EXPECT_EQ(balanced[0].destination, prefix("100.64.1.0/24"));
  EXPECT_EQ(balanced[1].destination, prefix("100.64.2.0/24"));
  EXPECT_EQ(balanced[0].table, config.balance_table);
  auto marked = rules_at(plan, ownership::kRulePriorityMarkedDestination);
  ASSERT_EQ(marked.size(), 4u);  // each uplink's mark to each contested part
  EXPECT_EQ(marked[0].destination, prefix("100.64.1.0/24"));
  EXPECT_EQ(marked[0].fwmark, kMarkA);
  EXPECT_EQ(marked[0].table, 201u);
  EXPECT_LT(ownership::kRulePriorityMarkedDestination, ownership::kRulePriorityDestination);
  EXPECT_LT(ownership::kRulePriorityDestination, ownership::kRulePrioritySuppressMain);
}

TEST(PlannerMarks, DefaultDestinationNeedsNoDestinationRules) {
  World world(two_uplinks(Mode::connection));
  Plan plan = world.plan();
  EXPECT_TRUE(rules_at(plan, ownership::kRulePriorityMarkedDestination).empty());
  EXPECT_TRUE(rules_at(plan, ownership::kRulePriorityDestination).empty());
}

TEST(PlannerMarks, ExcludeIsRoutedByMainInEveryMode) {
  for (Mode mode : {Mode::flow, Mode::resilient, Mode::connection, Mode::packet}) {
    auto config = two_uplinks(mode);
    config.exclude = {prefix("192.168.77.0/24")};
    TrafficRule rule;
    rule.exclude = true;
    rule.match.source = prefix("10.9.0.0/16");
    rule.match.protocol = 17;
    rule.match.dport = PortRange{500, 500};
    rule.match.iif = "lan0";
    config.rules.push_back(rule);
    World world(config);
    Plan plan = world.plan();
    auto excluded = rules_at(plan, ownership::kRulePriorityExclude);
    ASSERT_EQ(excluded.size(), 2u) << mode_name(mode);
    EXPECT_EQ(excluded[0].destination, prefix("192.168.77.0/24"));
    EXPECT_EQ(excluded[0].table, 254u);
    EXPECT_EQ(excluded[1].source, prefix("10.9.0.0/16"));
    EXPECT_EQ(excluded[1].ip_proto, 17);
    EXPECT_EQ(excluded[1].dport, (PortRange{500, 500}));
    EXPECT_EQ(excluded[1].iifname, "lan0");
    EXPECT_EQ(excluded[1].table, 254u);
    // An earlier rule that marked the packet still wins: the exclusion is for unmarked packets only.
    EXPECT_EQ(excluded[1].fwmark, 0u);
    EXPECT_EQ(excluded[1].fwmask, 0xffffffffu);
    EXPECT_EQ(excluded[0].fwmask, 0u);
  }
}

TEST(PlannerMarks, RuleUplinksAreASubsetChosenLikeTheGroup) {
  auto config = config_with({uplink("a", 201), uplink("b", 202, 2), uplink("c", 203, 1, 2)});
  TrafficRule voip;
  voip.match.protocol = 17;
  voip.match.dport = PortRange{5060, 5060};
  voip.uplinks = {"b", "c"};
  config.rules.push_back(voip);
  World world(config);  // mode flow: the rule alone needs nftables
  Plan plan = world.plan();
  ASSERT_EQ(plan.marks.rules.size(), 1u);
  EXPECT_FALSE(plan.marks.spread);
  EXPECT_EQ(plan.marks.rules[0].spread, Spread::connection);  // the default outside packet mode
  EXPECT_EQ(plan.marks.rules[0].shares, (std::vector<MarkShare>{{kMarkB, 2}}));  // c is tier 2
  EXPECT_EQ(plan.marks.v4.live, (std::vector<uint32_t>{kMarkA, kMarkB, kMarkC}));

  world.state.on_health("b", {Health::down, "x"});  // its backup of the same rule takes over
  EXPECT_EQ(world.plan().marks.rules[0].shares, (std::vector<MarkShare>{{kMarkC, 1}}));
}

TEST(PlannerMarks, RuleWithoutUsableUplinkIsLeftOutAndSaysSo) {
  auto config = two_uplinks(Mode::connection);
  TrafficRule rule;
  rule.uplinks = {"a"};
  rule.where = {"test.toml", 12, 1};
  config.rules.push_back(rule);
  World world(config);
  world.state.on_health("a", {Health::down, "x"});
  Plan plan = world.plan();
  EXPECT_TRUE(plan.marks.rules.empty());
  bool noted = false;
  for (const auto& note : plan.notes) noted = noted || note.find("test.toml:12:1") != std::string::npos;
  EXPECT_TRUE(noted);
}

TEST(PlannerMarks, RuleModeOverridesTheDefaultSpread) {
  auto config = two_uplinks(Mode::packet);
  TrafficRule rule;
  rule.mode = Mode::connection;
  config.rules.push_back(rule);
  TrafficRule plain;
  plain.uplinks = {"b"};
  config.rules.push_back(plain);
  World world(config);
  Plan plan = world.plan();
  ASSERT_EQ(plan.marks.rules.size(), 2u);
  EXPECT_EQ(plan.marks.rules[0].spread, Spread::connection);
  EXPECT_EQ(plan.marks.rules[0].shares.size(), 2u);       // no uplinks named: all of the group's
  EXPECT_EQ(plan.marks.rules[1].spread, Spread::packet);  // the global mode when it is packet
}

TEST(PlannerMarks, TcpMaxReorderingOnlyWhenConfigured) {
  auto config = two_uplinks(Mode::packet);
  World plain(config);
  for (const auto& sysctl : plain.plan().sysctls) EXPECT_NE(sysctl.key, "net.ipv4.tcp_max_reordering");
  config.tcp_max_reordering = 1000;
  World tuned(config);
  EXPECT_EQ(tuned.plan().sysctls, (std::vector<Sysctl>{{"net.ipv4.tcp_max_reordering", "1000"}}));
}

TEST(PlannerMarks, PacketModeWithMasqueradeIsNoted) {
  auto config = two_uplinks(Mode::packet);
  config.uplinks[0].masquerade = true;
  World world(config);
  bool noted = false;
  for (const auto& note : world.plan().notes) noted = noted || note.find("mode packet with masquerade") == 0;
  EXPECT_TRUE(noted);
}

}  // namespace
}  // namespace uplinkd
