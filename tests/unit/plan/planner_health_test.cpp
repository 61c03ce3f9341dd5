// SPDX-License-Identifier: GPL-2.0-or-later
// Which uplinks join the group given their health: up (or unconfigured/probing) first, degraded only when
// no healthy one of the best tier is left, down never (but its own table stays, for the probes).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "fakes/world.hpp"
#include "plan/ownership.hpp"
#include "plan/plan.hpp"

namespace uplinkd {
namespace {

using testing::bring_up;
using testing::config_with;
using testing::uplink;

struct HealthCase {
  std::string name;
  std::vector<uint32_t> tiers;  // of uplinks a, b, c
  std::vector<Health> health;   // of the same
  std::vector<bool> in_group;   // expected
};

std::ostream& operator<<(std::ostream& out, const HealthCase& c) {
  return out << c.name;
}

class PlannerHealth : public ::testing::TestWithParam<HealthCase> {};

TEST_P(PlannerHealth, GroupMembers) {
  const auto& c = GetParam();
  const std::vector<std::string> names = {"a", "b", "c"};
  std::vector<UplinkConfig> uplinks;
  for (size_t i = 0; i < c.tiers.size(); ++i)
    uplinks.push_back(uplink(names[i], 200 + static_cast<uint32_t>(i), 1, c.tiers[i]));
  auto config = config_with(uplinks);
  State state(config);
  for (size_t i = 0; i < c.tiers.size(); ++i) {
    bring_up(state, names[i], static_cast<int>(i) + 1);
    state.on_health(names[i], {c.health[i], "test"});
  }
  Plan plan = make_plan(config, state);
  for (size_t i = 0; i < c.tiers.size(); ++i) {
    EXPECT_EQ(plan.uplinks[i].in_group, c.in_group[i]) << names[i];
    EXPECT_TRUE(plan.uplinks[i].status.routable) << names[i];  // its table stays: probes leave by it
  }
}

using H = Health;
INSTANTIATE_TEST_SUITE_P(
    Cases, PlannerHealth,
    ::testing::Values(
        HealthCase{"UnconfiguredIsHealthy", {1, 1}, {H::unconfigured, H::up}, {true, true}},
        HealthCase{"ProbingCarriesTraffic", {1, 1}, {H::probing, H::up}, {true, true}},
        HealthCase{"DegradedDroppedBesideAnUpOne", {1, 1}, {H::degraded, H::up}, {false, true}},
        HealthCase{
            "DegradedDroppedBesideAnUnconfiguredOne", {1, 1}, {H::degraded, H::unconfigured}, {false, true}},
        HealthCase{"DegradedUsedWhenNoneOfItsTierIsUp",
                   {1, 1, 2},
                   {H::degraded, H::down, H::up},
                   {true, false, false}},
        HealthCase{"AllDegradedAllUsed", {1, 1}, {H::degraded, H::degraded}, {true, true}},
        HealthCase{"DownNeverUsed", {1, 1}, {H::down, H::up}, {false, true}},
        HealthCase{"AllDownGoesToTheNextTier", {1, 1, 2}, {H::down, H::down, H::up}, {false, false, true}},
        HealthCase{"NextTierDegradedStillBeatsNothing",
                   {1, 2, 2},
                   {H::down, H::degraded, H::up},
                   {false, false, true}},
        HealthCase{"BetterTierDegradedBeatsWorseTierUp", {1, 2}, {H::degraded, H::up}, {true, false}}),
    [](const auto& info) { return info.param.name; });

TEST(PlannerHealth, DownSaysWhyAndKeepsItsTable) {
  auto config = config_with({uplink("a", 200), uplink("b", 201)});
  State state(config);
  bring_up(state, "a", 1);
  bring_up(state, "b", 2);
  state.on_health("a", {Health::down, "carrier lost"});
  Plan plan = make_plan(config, state);
  EXPECT_EQ(plan.uplinks[0].status.why, "down: health (carrier lost)");
  EXPECT_FALSE(plan.uplinks[0].status.usable);
  bool own_default = false;
  for (const auto& route : plan.routes)
    own_default = own_default || (route.table == 200 && route.destination.length == 0);
  EXPECT_TRUE(own_default);
}

TEST(PlannerHealth, AKernelResyncKeepsTheVerdict) {
  auto config = config_with({uplink("a", 200)});
  State state(config);
  bring_up(state, "a", 1);
  EXPECT_TRUE(state.on_health("a", {Health::down, "3 rounds"}));
  EXPECT_FALSE(state.on_health("a", {Health::down, "3 rounds"}));
  state.reset({}, {}, {});
  EXPECT_EQ(state.facts("a").health.state, Health::down);
}

}  // namespace
}  // namespace uplinkd
