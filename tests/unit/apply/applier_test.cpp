// SPDX-License-Identifier: GPL-2.0-or-later
#include "apply/applier.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "apply/diff.hpp"
#include "fakes/fake_kernel.hpp"
#include "fakes/world.hpp"
#include "plan/ownership.hpp"

namespace uplinkd {
namespace {

using testing::bring_up;
using testing::config_with;
using testing::FakeKernel;
using testing::prefix;
using testing::uplink;

// The promise that matters most: while one uplink is usable, the balance table's default route resolves to
// a group with at least one member, at every moment of every change.
void expect_default_route(const KernelObjects& objects, uint32_t balance_table) {
  for (const auto& route : objects.routes) {
    if (route.table != balance_table || !route.destination.is_default()) continue;
    for (const auto& nexthop : objects.nexthops)
      if (nexthop.id == route.nexthop_id && !nexthop.group.empty()) return;
  }
  ADD_FAILURE() << "no usable default route in the balance table";
}

class ApplierTest : public ::testing::Test {
 protected:
  Config config = config_with({uplink("wan1", 200, 1), uplink("wan2", 201, 2), uplink("wan3", 202, 1)});
  State state{config};
  FakeKernel kernel;
  Applier applier{kernel};

  void SetUp() override {
    bring_up(state, "wan1", 1);
    bring_up(state, "wan2", 2);
    bring_up(state, "wan3", 3);
    ASSERT_TRUE(applier.apply(make_plan(config, state)).converged());
    kernel.after_each_change = [this](const KernelObjects& objects) {
      expect_default_route(objects, config.balance_table);
    };
  }

  void expect_matches_plan() {
    Plan plan = make_plan(config, state);
    auto have = kernel.dump_owned();
    EXPECT_TRUE(diff(WantedObjects{plan.nexthops, plan.routes, plan.rules}, *have).empty());
  }
};

TEST_F(ApplierTest, ApplyingTheSamePlanTwiceChangesNothing) {
  auto outcome = applier.apply(make_plan(config, state));
  EXPECT_TRUE(outcome.converged());
  EXPECT_TRUE(outcome.changes.empty());
  EXPECT_EQ(kernel.objects.nexthops.size(), 4u);
  EXPECT_EQ(kernel.objects.routes.size(), 7u);
  EXPECT_EQ(kernel.objects.rules.size(), 5u);
}

TEST_F(ApplierTest, DeadUplinkLeavesTheGroupInOneChangeBeforeItsObjectsGo) {
  state.on_link(netlink::Link{12, "wan2", true, false}, false);
  auto outcome = applier.apply(make_plan(config, state));
  ASSERT_TRUE(outcome.converged());
  ASSERT_FALSE(outcome.changes.empty());
  EXPECT_EQ(outcome.changes.front().kind, ChangeKind::replace);
  const auto& group = std::get<netlink::Nexthop>(outcome.changes.front().object);
  EXPECT_TRUE(group.is_group());
  EXPECT_EQ(group.group.size(), 2u);
  EXPECT_EQ(std::get<netlink::Nexthop>(outcome.changes.back().object).id, ownership::uplink_nexthop_id(201));
  expect_matches_plan();
}

TEST_F(ApplierTest, ReturningUplinkJoinsAfterItsNexthopExists) {
  state.on_link(netlink::Link{12, "wan2", true, false}, false);
  applier.apply(make_plan(config, state));
  state.on_link(netlink::Link{12, "wan2", true, true}, false);
  auto outcome = applier.apply(make_plan(config, state));
  ASSERT_TRUE(outcome.converged());
  EXPECT_EQ(outcome.changes.front().kind, ChangeKind::add);
  EXPECT_EQ(std::get<netlink::Nexthop>(outcome.changes.front().object).id, ownership::uplink_nexthop_id(201));
  expect_matches_plan();
}

TEST_F(ApplierTest, RenewWithNewAddressAndGatewayMovesEverything) {
  state.on_address(netlink::Address{11, prefix("100.64.1.10/24"), 0}, true);
  state.on_address(netlink::Address{11, prefix("100.64.9.20/24"), 0}, false);
  HookEvent renew;
  renew.interface = "wan1";
  renew.reason = "RENEW";
  renew.change = LeaseChange::up;
  renew.address = prefix("100.64.9.20/24");
  renew.routers = {*IpAddress::parse("100.64.9.1")};
  state.on_hook(renew);
  auto outcome = applier.apply(make_plan(config, state));
  ASSERT_TRUE(outcome.converged());
  expect_matches_plan();
  bool old_rule_left = false;
  for (const auto& rule : kernel.objects.rules)
    if (rule.source == prefix("100.64.1.10/32")) old_rule_left = true;
  EXPECT_FALSE(old_rule_left);
}

TEST_F(ApplierTest, AllUplinksDownRemovesTheBalancedRouteAndKeepsTheRules) {
  kernel.after_each_change = nullptr;
  for (auto [index, name] : {std::pair{11u, "wan1"}, {12u, "wan2"}, {13u, "wan3"}})
    state.on_link(netlink::Link{index, name, true, false}, false);
  ASSERT_TRUE(applier.apply(make_plan(config, state)).converged());
  EXPECT_TRUE(kernel.objects.routes.empty());
  EXPECT_TRUE(kernel.objects.nexthops.empty());
  EXPECT_EQ(kernel.objects.rules.size(), 2u);
}

TEST_F(ApplierTest, SwitchingToResilientModeNeverDropsTheDefaultRoute) {
  config.mode = Mode::resilient;
  ASSERT_TRUE(applier.apply(make_plan(config, state)).converged());
  expect_matches_plan();
  ASSERT_NE(kernel.find_nexthop(ownership::kGroupIdResilientV4), nullptr);
  EXPECT_EQ(kernel.find_nexthop(ownership::kGroupIdMultipathV4), nullptr);
}

TEST_F(ApplierTest, ConvergesAfterACrashAtAnyPointOfABatch) {
  kernel.after_each_change = nullptr;
  // Record the batch of a cold start, then replay every prefix of it into a fresh kernel, as if the daemon
  // died after k messages, and check that a restart converges from there in one more apply.
  FakeKernel cold;
  Applier cold_applier(cold);
  auto full = cold_applier.apply(make_plan(config, state));
  for (size_t k = 0; k <= full.changes.size(); ++k) {
    FakeKernel crashed;
    crashed.apply(std::vector<Change>(full.changes.begin(), full.changes.begin() + static_cast<long>(k)));
    Applier restarted(crashed);
    ASSERT_TRUE(restarted.apply(make_plan(config, state)).converged()) << "after " << k << " changes";
    EXPECT_TRUE(restarted.apply(make_plan(config, state)).changes.empty()) << "after " << k << " changes";
  }
}

TEST_F(ApplierTest, AFailedChangeIsReportedAndRetriedByTheNextApply) {
  state.on_link(netlink::Link{12, "wan2", true, false}, false);
  kernel.fail_with = [](const Change& change) -> std::optional<int> {
    if (change.kind == ChangeKind::remove && std::holds_alternative<netlink::Rule>(change.object))
      return EBUSY;
    return std::nullopt;
  };
  auto failed = applier.apply(make_plan(config, state));
  ASSERT_EQ(failed.errors.size(), 1u);
  EXPECT_THAT(failed.errors[0].message(),
              ::testing::HasSubstr("remove rule 20100 from 100.64.2.10/32 table 201"));
  kernel.fail_with = nullptr;
  EXPECT_TRUE(applier.apply(make_plan(config, state)).converged());
  expect_matches_plan();
}

TEST_F(ApplierTest, FlushRemovesEverythingOwned) {
  kernel.after_each_change = nullptr;
  ASSERT_TRUE(applier.flush().converged());
  EXPECT_TRUE(kernel.objects.nexthops.empty());
  EXPECT_TRUE(kernel.objects.routes.empty());
  EXPECT_TRUE(kernel.objects.rules.empty());
}

TEST(Diff, IgnoresWhatTheKernelAddsToRoutesViaNexthopObjects) {
  netlink::Route wanted;
  wanted.destination = Prefix::default_route(Family::v4);
  wanted.table = 200;
  wanted.nexthop_id = 7;
  netlink::Route reported = wanted;
  reported.gateway = IpAddress::parse("100.64.1.1");
  reported.oif = 11;
  EXPECT_TRUE(same_route(wanted, reported));
  reported.table = 201;
  EXPECT_FALSE(same_route(wanted, reported));
}

TEST(Diff, AMultipathRouteIsTheSameWhateverOrderTheKernelListsItsLegs) {
  netlink::Route wanted;
  wanted.destination = Prefix::default_route(Family::v6);
  wanted.table = 1000;
  wanted.multipath = {{IpAddress::parse("fe80::1"), 12, 1, false},
                      {IpAddress::parse("fe80::1"), 11, 2, false}};
  netlink::Route reported = wanted;
  std::swap(reported.multipath[0], reported.multipath[1]);
  EXPECT_TRUE(same_route(wanted, reported));
  reported.multipath[0].weight = 3;
  EXPECT_FALSE(same_route(wanted, reported)) << "a leg's weight counts";
}

TEST(Diff, WantsKnowsTheEchoOfItsOwnRemovals) {
  netlink::Route route;
  route.destination = Prefix::default_route(Family::v4);
  route.table = 200;
  netlink::Rule rule;
  rule.priority = 20100;
  rule.table = 200;
  rule.source = testing::prefix("100.64.1.10/32");
  netlink::Nexthop nexthop;
  nexthop.id = 5;
  std::vector<netlink::Route> routes{route};
  std::vector<netlink::Rule> rules{rule};
  std::vector<netlink::Nexthop> nexthops{nexthop};
  WantedObjects wanted{nexthops, routes, rules};

  netlink::Route reported = route;
  reported.gateway = IpAddress::parse("100.64.1.1");  // the kernel's report carries more than uplinkd set
  EXPECT_TRUE(wants(wanted, reported));
  reported.table = 201;
  EXPECT_FALSE(wants(wanted, reported));
  netlink::Rule reported_rule = rule;
  reported_rule.fwmask = 0xffffffff;
  EXPECT_TRUE(wants(wanted, reported_rule));
  reported_rule.source = testing::prefix("100.64.1.11/32");
  EXPECT_FALSE(wants(wanted, reported_rule));
  EXPECT_TRUE(wants(wanted, nexthop));
  nexthop.id = 6;
  EXPECT_FALSE(wants(wanted, nexthop));
}

TEST(Diff, IgnoresTheFamilyOfGroups) {
  netlink::Nexthop wanted;
  wanted.id = 9;
  wanted.family = Family::v6;
  wanted.group = {{1, 1}, {2, 3}};
  netlink::Nexthop reported = wanted;
  reported.family = Family::v4;
  EXPECT_TRUE(same_nexthop(wanted, reported));
  reported.group[1].weight = 4;
  EXPECT_FALSE(same_nexthop(wanted, reported));
}

}  // namespace
}  // namespace uplinkd
