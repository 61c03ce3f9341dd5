// SPDX-License-Identifier: GPL-2.0-or-later
// Own decisively, never fight blindly: others' objects that collide with uplinkd's are replaced, the rest
// are left alone, and an object someone keeps undoing is repaired with a growing back-off.
#include "plan/ownership.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "apply/applier.hpp"
#include "apply/diff.hpp"
#include "apply/repair_guard.hpp"
#include "fakes/fake_kernel.hpp"
#include "fakes/world.hpp"

namespace uplinkd {
namespace {

using testing::bring_up;
using testing::config_with;
using testing::FakeKernel;
using testing::prefix;
using testing::uplink;
using namespace std::chrono_literals;

constexpr uint8_t kBoot = 3;

netlink::Route foreign_route(const std::string& destination, uint32_t table, uint32_t metric = 0) {
  netlink::Route route;
  route.destination = prefix(destination);
  route.table = table;
  route.protocol = kBoot;
  route.priority = metric;
  route.gateway = testing::ip("100.64.1.1");
  route.oif = 11;
  return route;
}

class OwnershipTest : public ::testing::Test {
 protected:
  Config config = config_with({uplink("wan1", 201), uplink("wan2", 202)});
  State state{config};
  FakeKernel kernel;
  Applier applier{kernel};
  BackoffTime now{};

  void SetUp() override {
    bring_up(state, "wan1", 1);
    bring_up(state, "wan2", 2);
    ASSERT_TRUE(applier.apply(make_plan(config, state), now).converged());
  }

  ApplyOutcome apply() { return applier.apply(make_plan(config, state), now); }

  void expect_matches_plan() {
    Plan plan = make_plan(config, state);
    auto have = kernel.dump_owned();
    EXPECT_TRUE(diff(WantedObjects{plan.nexthops, plan.routes, plan.rules}, *have).empty());
  }

  // `ip route replace default via 100.64.1.1 dev wan1 table 201 proto boot`
  void replace_default_of_201() {
    auto& routes = kernel.objects.routes;
    routes.erase(std::remove_if(routes.begin(), routes.end(),
                                [](const auto& r) { return r.table == 201 && r.destination.is_default(); }),
                 routes.end());
    kernel.objects.foreign_routes.push_back(foreign_route("0.0.0.0/0", 201));
  }

  void delete_source_rule_of_201() {
    auto& rules = kernel.objects.rules;
    rules.erase(std::remove_if(rules.begin(), rules.end(), [](const auto& r) { return r.table == 201; }),
                rules.end());
  }
};

TEST_F(OwnershipTest, AForeignReplaceOfItsDefaultRouteIsRepairedAndNamed) {
  replace_default_of_201();
  auto outcome = apply();
  EXPECT_TRUE(outcome.converged());
  ASSERT_EQ(outcome.changes.size(), 1u);
  EXPECT_EQ(outcome.changes[0].kind, ChangeKind::replace);  // an add would fail with "File exists"
  ASSERT_EQ(outcome.repairs.size(), 1u);
  EXPECT_EQ(outcome.repairs[0].object, "route default table 201");
  EXPECT_EQ(outcome.repairs[0].by, "proto boot");
  EXPECT_TRUE(kernel.objects.foreign_routes.empty());
  expect_matches_plan();
}

TEST_F(OwnershipTest, ForeignObjectsThatCollideWithNothingAreLeftAlone) {
  kernel.objects.foreign_routes.push_back(foreign_route("10.0.0.0/8", 201));
  netlink::Rule lartc;  // `ip rule add from 100.64.1.10 table 201`, below uplinkd's range
  lartc.priority = 19999;
  lartc.table = 201;
  lartc.source = prefix("100.64.1.10/32");
  kernel.objects.foreign_rules.push_back(lartc);
  auto outcome = apply();
  EXPECT_TRUE(outcome.changes.empty());
  EXPECT_TRUE(outcome.repairs.empty());
  ASSERT_EQ(outcome.foreign.size(), 2u);
  for (const auto& foreign : outcome.foreign) EXPECT_EQ(foreign.fate, ForeignFate::left_alone);
  EXPECT_EQ(kernel.objects.foreign_routes.size(), 1u);
  EXPECT_EQ(kernel.objects.foreign_rules.size(), 1u);
}

TEST_F(OwnershipTest, CollidingForeignObjectsAreRemoved) {
  kernel.objects.foreign_routes.push_back(foreign_route("0.0.0.0/0", 202, 10));  // same prefix, other metric
  netlink::Rule squatter;                                                        // a rule in uplinkd's range
  squatter.priority = 20019;
  squatter.table = 202;
  squatter.source = prefix("100.64.2.99/32");
  kernel.objects.foreign_rules.push_back(squatter);
  auto outcome = apply();
  EXPECT_TRUE(outcome.converged());
  EXPECT_EQ(outcome.changes.size(), 2u);
  EXPECT_EQ(outcome.repairs.size(), 2u);
  EXPECT_TRUE(kernel.objects.foreign_routes.empty());
  EXPECT_TRUE(kernel.objects.foreign_rules.empty());
  expect_matches_plan();
}

TEST_F(OwnershipTest, AnObjectSomeoneKeepsRemovingIsRepairedWithAGrowingBackoff) {
  delete_source_rule_of_201();
  auto first = apply();
  ASSERT_EQ(first.repairs.size(), 1u);  // at once
  EXPECT_EQ(first.repairs[0].by, "removed");
  EXPECT_EQ(first.repairs[0].repairs, 1u);

  delete_source_rule_of_201();  // a `while ip rule del …` loop
  auto held = apply();
  EXPECT_TRUE(held.changes.empty());
  ASSERT_EQ(held.held_back.size(), 1u);
  EXPECT_EQ(held.next_repair_at, now + 250ms);

  now += 250ms;
  auto second = apply();
  ASSERT_EQ(second.repairs.size(), 1u);
  EXPECT_EQ(second.repairs[0].repairs, 2u);
  expect_matches_plan();

  delete_source_rule_of_201();
  now += 100ms;
  EXPECT_EQ(apply().next_repair_at, now - 100ms + 500ms);
  auto contested = applier.contested(now);
  ASSERT_EQ(contested.size(), 1u);
  EXPECT_EQ(contested[0].object, "rule 20100 from 100.64.1.10/32 table 201");
  EXPECT_EQ(contested[0].repairs, 2u);

  now += 61s;  // a quiet minute: back to the first step
  EXPECT_TRUE(applier.contested(now).empty());
  auto after_quiet = apply();
  ASSERT_EQ(after_quiet.repairs.size(), 1u);
  EXPECT_EQ(after_quiet.repairs[0].repairs, 1u);
  expect_matches_plan();
}

TEST_F(OwnershipTest, PlanChangesAreNoRepairs) {
  config.uplinks[0].weight = 3;
  auto outcome = apply();
  EXPECT_FALSE(outcome.changes.empty());
  EXPECT_TRUE(outcome.repairs.empty());
  state.on_link(netlink::Link{12, "wan2", true, false}, false);
  outcome = apply();
  EXPECT_FALSE(outcome.changes.empty());
  EXPECT_TRUE(outcome.repairs.empty());
  EXPECT_TRUE(outcome.held_back.empty());
}

// What the kernel does to a device that loses its carrier: its nexthops go, with the routes through them
// and their places in groups.
void flush_device(testing::FakeKernel& kernel, uint32_t ifindex) {
  auto& objects = kernel.objects;
  std::vector<uint32_t> gone;
  for (const auto& nexthop : objects.nexthops)
    if (nexthop.group.empty() && nexthop.ifindex == ifindex) gone.push_back(nexthop.id);
  auto is_gone = [&](uint32_t id) { return std::find(gone.begin(), gone.end(), id) != gone.end(); };
  std::erase_if(objects.nexthops, [&](const auto& nexthop) { return is_gone(nexthop.id); });
  for (auto& nexthop : objects.nexthops)
    std::erase_if(nexthop.group, [&](const auto& member) { return is_gone(member.id); });
  std::erase_if(objects.routes,
                [&](const auto& route) { return route.oif == ifindex || is_gone(route.nexthop_id); });
}

TEST_F(OwnershipTest, WhatTheKernelFlushesWithALinkIsNoRepairEvenWhenTheLinkFlaps) {
  for (int flap = 0; flap < 3; ++flap) {
    flush_device(kernel, 11);
    applier.forget_device(11);
    auto outcome = apply();  // the carrier is back: the plan wants wan1's objects again
    EXPECT_FALSE(outcome.changes.empty());
    EXPECT_TRUE(outcome.repairs.empty()) << outcome.repairs.front().object;
    EXPECT_TRUE(outcome.held_back.empty());
    expect_matches_plan();
    now += 100ms;
  }
  EXPECT_TRUE(applier.contested(now).empty());
}

TEST_F(OwnershipTest, WithoutALinkEventTheSameRemovalIsARepair) {
  flush_device(kernel, 11);
  EXPECT_FALSE(apply().repairs.empty());
}

TEST(RepairGuard, AllowsAtOnceThenBacksOffTo30Seconds) {
  RepairGuard guard;
  BackoffTime t{};
  std::vector<std::chrono::milliseconds> gaps;
  ASSERT_NE(guard.allow("rule", "removed", t), nullptr);
  for (int i = 0; i < 10; ++i) {
    auto before = t;
    while (!guard.allow("rule", "removed", t)) t += 10ms;  // someone undoes it at every chance
    gaps.push_back(std::chrono::duration_cast<std::chrono::milliseconds>(t - before));
  }
  const std::vector<std::chrono::milliseconds> expected{250ms, 500ms, 1s, 2s, 4s, 8s, 16s, 30s, 30s, 30s};
  EXPECT_EQ(gaps, expected);
  EXPECT_EQ(guard.contested(t).size(), 1u);
  EXPECT_EQ(guard.contested(t + 60s).size(), 0u);
}

TEST(ProtocolName, NamesWhatIpNames) {
  EXPECT_EQ(protocol_name(3), "boot");
  EXPECT_EQ(protocol_name(16), "dhcp");
  EXPECT_EQ(protocol_name(99), "99");
}

}  // namespace
}  // namespace uplinkd
