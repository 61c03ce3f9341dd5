// SPDX-License-Identifier: GPL-2.0-or-later
// An object the kernel refuses affects only its own uplink: the applier says which change failed, the
// refusal is that uplink's, and the next plan leaves the uplink out, so the group and the other uplinks'
// objects are applied without it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "apply/applier.hpp"
#include "apply/diff.hpp"
#include "apply/refusals.hpp"
#include "fakes/fake_kernel.hpp"
#include "fakes/world.hpp"
#include "plan/ownership.hpp"

namespace uplinkd {
namespace {

using testing::bring_up;
using testing::config_with;
using testing::FakeKernel;
using testing::uplink;
using namespace std::chrono_literals;

class FaultIsolationTest : public ::testing::Test {
 protected:
  Config config = config_with({uplink("wan1", 201), uplink("wan2", 202), uplink("wan3", 203)});
  State state{config};
  FakeKernel kernel;
  Applier applier{kernel};
  BackoffTime now{};

  void SetUp() override {
    bring_up(state, "wan1", 1);
    bring_up(state, "wan2", 2);
    ASSERT_TRUE(applier.apply(make_plan(config, state)).converged());
    // wan3's gateway is one the kernel will not take (as it answers for the host's own address elsewhere).
    kernel.fail_with = [](const Change& change) -> std::optional<int> {
      const auto* nexthop = std::get_if<netlink::Nexthop>(&change.object);
      if (change.kind != ChangeKind::remove && nexthop && nexthop->id == ownership::uplink_nexthop_id(203))
        return EINVAL;
      return std::nullopt;
    };
  }

  // What the daemon does with the kernel's answer: record it, and plan again when it changed anything.
  ApplyOutcome converge() {
    ApplyOutcome outcome;
    for (int pass = 0; pass < 4; ++pass) {
      Plan plan = make_plan(config, state);
      outcome = applier.apply(plan);
      bool changed = false;
      auto refused = refused_uplinks(config, outcome.failed);
      for (size_t i = 0; i < config.uplinks.size(); ++i)
        for (const Family family : {Family::v4, Family::v6}) {
          const UplinkFamily key{config.uplinks[i].interface, family};
          const auto& status = plan.uplinks[i].of(family);
          if (refused.count(key))
            changed |= state.on_kernel_refused(key.interface, family, refused[key], status.address,
                                               status.gateway, now);
          else if (status.routable)
            changed |= state.on_kernel_accepted(key.interface, family);
        }
      if (!changed) break;
    }
    return outcome;
  }

  std::vector<netlink::NexthopGroupMember> group() const {
    const auto* group = kernel.find_nexthop(ownership::kGroupIdMultipathV4);
    return group ? group->group : std::vector<netlink::NexthopGroupMember>{};
  }
};

TEST_F(FaultIsolationTest, TheFailedChangeComesBackWithItsChange) {
  bring_up(state, "wan3", 3);
  auto outcome = applier.apply(make_plan(config, state));
  ASSERT_FALSE(outcome.failed.empty());
  EXPECT_EQ(outcome.failed.size(), outcome.errors.size());
  const auto& first = outcome.failed.front();
  EXPECT_EQ(std::get<netlink::Nexthop>(first.change.object).id, ownership::uplink_nexthop_id(203));
  // The group that names the missing nexthop and the route via it fail too: consequences, not causes.
  auto refused = refused_uplinks(config, outcome.failed);
  ASSERT_EQ(refused.size(), 1u);
  const UplinkFamily wan3{"wan3", Family::v4};
  EXPECT_THAT(refused[wan3], ::testing::HasSubstr("add nexthop 1962934475"));
  EXPECT_THAT(refused[wan3], ::testing::HasSubstr("Invalid argument"));
}

TEST_F(FaultIsolationTest, ARefusedUplinkIsLeftOutAndTheRestIsApplied) {
  bring_up(state, "wan3", 3);
  auto outcome = converge();
  EXPECT_TRUE(outcome.converged());
  const std::vector<netlink::NexthopGroupMember> expected{{ownership::uplink_nexthop_id(201), 1},
                                                          {ownership::uplink_nexthop_id(202), 1}};
  EXPECT_EQ(group(), expected);
  for (const auto& route : kernel.objects.routes) EXPECT_NE(route.table, 203u);
  for (const auto& rule : kernel.objects.rules) EXPECT_NE(rule.table, 203u);

  Plan plan = make_plan(config, state);
  const UplinkStatus& wan3 = plan.uplinks[2].status;
  EXPECT_FALSE(wan3.usable);
  EXPECT_TRUE(wan3.refused);
  EXPECT_THAT(wan3.why, ::testing::StartsWith("kernel refused: add nexthop 1962934475"));
  EXPECT_FALSE(plan.uplinks[2].in_group);
}

TEST_F(FaultIsolationTest, AnotherUplinkDyingStillMovesTheGroup) {
  bring_up(state, "wan3", 3);
  converge();
  state.on_link(netlink::Link{11, "wan1", true, false}, false);  // wan1 loses its carrier
  EXPECT_TRUE(converge().converged());
  const std::vector<netlink::NexthopGroupMember> expected{{ownership::uplink_nexthop_id(202), 1}};
  EXPECT_EQ(group(), expected);
}

TEST_F(FaultIsolationTest, RetriesWithAGrowingBackoffOutsideTheGroup) {
  bring_up(state, "wan3", 3);
  converge();
  ASSERT_EQ(state.next_refusal_retry(), now + 1s);
  EXPECT_FALSE(state.retry_refused(now + 999ms));
  now += 1s;
  ASSERT_TRUE(state.retry_refused(now));
  Plan retry = make_plan(config, state);
  EXPECT_TRUE(retry.uplinks[2].status.routable);  // its objects are tried again…
  EXPECT_FALSE(retry.uplinks[2].in_group);        // …but the group does not wait for them
  converge();
  EXPECT_EQ(state.next_refusal_retry(), now + 2s);
  EXPECT_EQ(state.facts("wan3").refused->refusals, 2u);
  const auto members = group().size();
  EXPECT_EQ(members, 2u);

  now += 2s;
  ASSERT_TRUE(state.retry_refused(now));
  kernel.fail_with = nullptr;  // the kernel takes it now
  EXPECT_TRUE(converge().converged());
  EXPECT_FALSE(state.facts("wan3").refused);
  EXPECT_EQ(group().size(), 3u);
  EXPECT_FALSE(state.next_refusal_retry());
}

TEST_F(FaultIsolationTest, ANewLeaseIsTriedAtOnce) {
  bring_up(state, "wan3", 3);
  converge();
  ASSERT_TRUE(state.facts("wan3").refused);
  kernel.fail_with = nullptr;
  HookEvent renew;
  renew.interface = "wan3";
  renew.reason = "RENEW";
  renew.change = LeaseChange::up;
  renew.address = testing::prefix("100.64.3.10/24");
  renew.routers = {testing::ip("100.64.3.2")};
  ASSERT_TRUE(state.on_hook(renew));
  EXPECT_TRUE(make_plan(config, state).uplinks[2].status.usable);  // the refusal was for the old gateway
  EXPECT_TRUE(converge().converged());
  EXPECT_FALSE(state.facts("wan3").refused);
  EXPECT_EQ(group().size(), 3u);
}

TEST_F(FaultIsolationTest, SharedObjectsAndRemovalsAreNobodysRefusal) {
  netlink::Nexthop group;
  group.id = ownership::kGroupIdMultipathV4;
  group.group = {{ownership::uplink_nexthop_id(201), 1}};
  netlink::Rule source;
  source.table = 201;
  source.priority = ownership::kRulePrioritySource;
  std::vector<FailedChange> failed{{{ChangeKind::replace, group}, {"replace group", EINVAL, {}}},
                                   {{ChangeKind::remove, source}, {"remove rule", EBUSY, {}}}};
  EXPECT_TRUE(refused_uplinks(config, failed).empty());
  failed.push_back({{ChangeKind::add, source}, {"add rule", EINVAL, {}}});
  EXPECT_EQ(refused_uplinks(config, failed).count(UplinkFamily{"wan1", Family::v4}), 1u);
}

TEST(Backoff, DoublesUpToItsCap) {
  const Backoff backoff{250ms, 30s};
  EXPECT_EQ(backoff.delay(1), 250ms);
  EXPECT_EQ(backoff.delay(2), 500ms);
  EXPECT_EQ(backoff.delay(3), 1s);
  EXPECT_EQ(backoff.delay(8), 30s);  // 32 s, capped
  EXPECT_EQ(backoff.delay(1000), 30s);
  EXPECT_EQ(kRefusalBackoff.delay(1), 1s);
  EXPECT_EQ(kRefusalBackoff.delay(20), 5min);
}

}  // namespace
}  // namespace uplinkd
