// SPDX-License-Identifier: GPL-2.0-or-later
// A drained uplink takes no new connections (out of the group) but keeps its established ones (still usable,
// so its masqueraded connections stay pinned to it), unless nothing else is usable.
#include <gtest/gtest.h>

#include "fakes/world.hpp"
#include "plan/ownership.hpp"
#include "plan/plan.hpp"

namespace uplinkd {
namespace {

using testing::bring_up;
using testing::config_with;
using testing::uplink;

struct Drained : ::testing::Test {
  Drained()
      : config(config_with({uplink("a", 201), uplink("b", 202), uplink("c", 203, 1, 2)})), state(config) {
    for (auto& one : config.uplinks) one.masquerade = true;
    bring_up(state, "a", 1);
    bring_up(state, "b", 2);
    bring_up(state, "c", 3);
  }
  Config config;
  State state;
};

TEST_F(Drained, LeavesTheGroupButKeepsItsConnections) {
  EXPECT_TRUE(state.set_drained("a", true));
  EXPECT_FALSE(state.set_drained("a", true));
  Plan plan = make_plan(config, state);
  EXPECT_FALSE(plan.uplinks[0].in_group);
  EXPECT_TRUE(plan.uplinks[1].in_group);
  EXPECT_TRUE(plan.uplinks[0].status.usable);
  EXPECT_TRUE(plan.uplinks[0].status.drained);
  EXPECT_EQ(plan.uplinks[0].status.why, "drained by the operator");
  ASSERT_EQ(plan.nat.pinned.size(), 3u);
  EXPECT_EQ(plan.nat.pinned[0].mark, ownership::uplink_mark(201));
}

TEST_F(Drained, ANextTierTakesOverWhenTheWholeTierIsDrained) {
  state.set_drained("a", true);
  state.set_drained("b", true);
  Plan plan = make_plan(config, state);
  EXPECT_FALSE(plan.uplinks[0].in_group);
  EXPECT_FALSE(plan.uplinks[1].in_group);
  EXPECT_TRUE(plan.uplinks[2].in_group);
}

TEST_F(Drained, CarriesNewConnectionsWhenNothingElseIsUsable) {
  state.set_drained("a", true);
  state.on_health("b", {Health::down, "silent"});
  state.on_health("c", {Health::down, "silent"});
  Plan plan = make_plan(config, state);
  EXPECT_TRUE(plan.uplinks[0].in_group);
  EXPECT_NE(std::find(plan.notes.begin(), plan.notes.end(),
                      "only drained uplinks are usable: they carry new connections until another returns"),
            plan.notes.end());
}

TEST_F(Drained, UndrainReturnsItToTheGroup) {
  state.set_drained("a", true);
  EXPECT_TRUE(state.set_drained("a", false));
  EXPECT_TRUE(make_plan(config, state).uplinks[0].in_group);
}

}  // namespace
}  // namespace uplinkd
