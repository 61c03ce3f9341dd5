// SPDX-License-Identifier: GPL-2.0-or-later
// The MPTCP endpoints the applier keeps in the (fake) kernel as uplinks come, go, drain, renumber and step
// back to a backup tier; what it leaves alone (another manager's endpoints, everything while one manages
// MPTCP); what a config without mptcp leaves behind (nothing of uplinkd's); and that the kernel's refusal of
// one endpoint stops none of the others.
#include "apply/mptcp_applier.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "fakes/fake_kernel.hpp"
#include "fakes/mptcp.hpp"
#include "fakes/world.hpp"

namespace uplinkd {
namespace {

using netlink::MptcpEndpoint;
using netlink::MptcpLimits;
using testing::bring_up;
using testing::config_with;
using ::testing::ElementsAre;
using testing::endpoint;
using testing::FakeKernel;
using ::testing::HasSubstr;
using testing::ip;
using ::testing::IsEmpty;
using testing::prefix;
using testing::uplink;
using Kind = MptcpEndpointChange::Kind;

// Another program's: NetworkManager's `mptcp-flags subflow` on an address of its own, id picked by the
// kernel.
MptcpEndpoint managed_elsewhere(uint8_t id, const std::string& address) {
  MptcpEndpoint made;
  made.id = id;
  made.address = ip(address);
  made.subflow = true;
  return made;
}

std::vector<std::string> texts(const std::vector<MptcpEndpointChange>& changes) {
  std::vector<std::string> made;
  for (const auto& change : changes) made.push_back(to_string(change));
  return made;
}

// wan1 and wan2 share tier 1, wan3 is tier 2; wanN is world.hpp's uplink N: 100.64.N.10, ifindex 10 + N.
class MptcpApplierTest : public ::testing::Test, protected testing::MptcpWorld {
 protected:
  MptcpOutcome apply() { return applier.apply(config, state, make_plan(config, state)); }

  // Applied twice: the second finds nothing to change.
  MptcpOutcome converge() {
    auto outcome = apply();
    auto again = apply();
    EXPECT_THAT(texts(again.changes), IsEmpty()) << "a second apply changed something";
    EXPECT_FALSE(again.raised_limits);
    return outcome;
  }
};

TEST_F(MptcpApplierTest, TwoUplinksGetASubflowEndpointEachAndLimitsThatCoverThem) {
  bring_up(state, "wan1", 1);
  bring_up(state, "wan2", 2);
  auto outcome = converge();
  EXPECT_TRUE(outcome.managed);
  EXPECT_THAT(texts(outcome.changes),
              ElementsAre("add MPTCP endpoint 100.64.1.10 id 255 ifindex 11 subflow",
                          "add MPTCP endpoint 100.64.2.10 id 253 ifindex 12 subflow"));
  EXPECT_THAT(kernel.mptcp.endpoints,
              ElementsAre(endpoint(255, "100.64.1.10", 11), endpoint(253, "100.64.2.10", 12)));
  EXPECT_EQ(kernel.mptcp.limits, (MptcpLimits{2, 2}));
  EXPECT_EQ(outcome.limits, (MptcpLimits{2, 2}));
  ASSERT_EQ(outcome.endpoints.size(), 2u);
  EXPECT_EQ(outcome.endpoints[0],
            (PlannedMptcpEndpoint{"wan1", Family::v4, endpoint(255, "100.64.1.10", 11)}));
  EXPECT_EQ(outcome.endpoints[1].uplink, "wan2");
}

TEST_F(MptcpApplierTest, ATier2UplinkIsABackup) {
  bring_up(state, "wan1", 1);
  bring_up(state, "wan2", 2);
  bring_up(state, "wan3", 3);
  converge();
  EXPECT_THAT(kernel.mptcp.endpoints,
              ElementsAre(endpoint(255, "100.64.1.10", 11), endpoint(253, "100.64.2.10", 12),
                          endpoint(251, "100.64.3.10", 13, true)));
  EXPECT_EQ(kernel.mptcp.limits, (MptcpLimits{3, 3}));

  // Tier 1 gone: wan3 carries the traffic, and its endpoint stops being a backup (not removed and added).
  state.on_link(netlink::Link{11, "wan1", true, false}, false);
  state.on_link(netlink::Link{12, "wan2", true, false}, false);
  auto outcome = converge();
  EXPECT_THAT(texts(outcome.changes), ElementsAre("remove MPTCP endpoint 100.64.2.10 id 253",
                                                  "remove MPTCP endpoint 100.64.1.10 id 255",
                                                  "set MPTCP endpoint 100.64.3.10 id 251 nobackup"));
  EXPECT_THAT(kernel.mptcp.endpoints, ElementsAre(endpoint(251, "100.64.3.10", 13)));
}

// A new address keeps the uplink's id: the old endpoint goes first (the kernel refuses an id twice).
TEST_F(MptcpApplierTest, RenumberingReplacesTheEndpointUnderTheSameId) {
  bring_up(state, "wan1", 1, false);
  bring_up(state, "wan2", 2, false);
  converge();
  state.on_address(netlink::Address{11, prefix("100.64.1.10/24"), 0}, true);
  state.on_address(netlink::Address{11, prefix("100.64.1.77/24"), 0}, false);
  auto outcome = converge();
  EXPECT_THAT(texts(outcome.changes),
              ElementsAre("remove MPTCP endpoint 100.64.1.10 id 255",
                          "add MPTCP endpoint 100.64.1.77 id 255 ifindex 11 subflow"));
  EXPECT_THAT(kernel.mptcp.endpoints,
              ElementsAre(endpoint(253, "100.64.2.10", 12), endpoint(255, "100.64.1.77", 11)));
}

// Its subflows go on (a drain promises as much): the same endpoint, flagged backup, and back.
TEST_F(MptcpApplierTest, ADrainMakesTheEndpointABackupAndUndrainTakesItBack) {
  bring_up(state, "wan1", 1);
  bring_up(state, "wan2", 2);
  converge();
  state.set_drained("wan2", true);
  EXPECT_THAT(texts(converge().changes), ElementsAre("set MPTCP endpoint 100.64.2.10 id 253 backup"));
  EXPECT_EQ(*kernel.find_endpoint(253), endpoint(253, "100.64.2.10", 12, true));
  state.set_drained("wan2", false);
  EXPECT_THAT(texts(converge().changes), ElementsAre("set MPTCP endpoint 100.64.2.10 id 253 nobackup"));
  EXPECT_EQ(*kernel.find_endpoint(253), endpoint(253, "100.64.2.10", 12));
}

TEST_F(MptcpApplierTest, ADownUplinksEndpointIsRemovedAndComesBackWithIt) {
  bring_up(state, "wan1", 1);
  bring_up(state, "wan2", 2);
  converge();
  state.on_health("wan1", {Health::down, "3 rounds failed"});
  EXPECT_THAT(texts(converge().changes), ElementsAre("remove MPTCP endpoint 100.64.1.10 id 255"));
  EXPECT_THAT(kernel.mptcp.endpoints, ElementsAre(endpoint(253, "100.64.2.10", 12)));
  // The limits are not lowered for it (nor ever: see raised() in mptcp_applier.cpp).
  EXPECT_EQ(kernel.mptcp.limits, (MptcpLimits{2, 2}));
  state.on_health("wan1", {Health::up, "5 good rounds"});
  EXPECT_THAT(texts(converge().changes),
              ElementsAre("add MPTCP endpoint 100.64.1.10 id 255 ifindex 11 subflow"));
}

TEST_F(MptcpApplierTest, AnotherManagersEndpointsStopItTouchingAnything) {
  bring_up(state, "wan1", 1);
  bring_up(state, "wan2", 2);
  converge();
  const MptcpEndpoint theirs = managed_elsewhere(5, "10.9.9.9");
  kernel.mptcp.endpoints.push_back(theirs);
  state.on_health("wan1", {Health::down, "3 rounds failed"});  // would remove 255
  state.set_drained("wan2", true);                             // would flag 253
  const auto before = kernel.mptcp;
  kernel.mptcp_applied.clear();
  kernel.limits_set.clear();

  auto outcome = apply();
  EXPECT_FALSE(outcome.managed);
  ASSERT_TRUE(outcome.foreign_manager);
  EXPECT_THAT(*outcome.foreign_manager, HasSubstr("10.9.9.9 id 5 (subflow)"));
  EXPECT_THAT(*outcome.foreign_manager, HasSubstr("managed by another program"));
  EXPECT_THAT(outcome.changes, IsEmpty());
  EXPECT_THAT(kernel.mptcp_applied, IsEmpty());
  EXPECT_THAT(kernel.limits_set, IsEmpty());
  EXPECT_EQ(kernel.mptcp.endpoints, before.endpoints);
  EXPECT_EQ(outcome.endpoints.size(), 2u);  // uplinkd's, as they stand
  EXPECT_FALSE(applier.preview(config, state, make_plan(config, state)).managed);

  // Once the other program's endpoint is gone, uplinkd catches up.
  kernel.mptcp.endpoints.erase(kernel.mptcp.endpoints.end() - 1);
  EXPECT_THAT(texts(apply().changes), ElementsAre("remove MPTCP endpoint 100.64.1.10 id 255",
                                                  "set MPTCP endpoint 100.64.2.10 id 253 backup"));
}

// Endpoints that open no subflow and announce nothing, and the kernel's implicit ones, manage nothing: they
// are left alone, and count toward the cap.
TEST_F(MptcpApplierTest, OthersEndpointsThatManageNothingAreLeftAlone) {
  MptcpEndpoint plain;
  plain.id = 7;
  plain.address = ip("192.0.2.7");
  MptcpEndpoint implicit = plain;
  implicit.id = 201;  // in uplinkd's range, but the kernel's own
  implicit.address = ip("192.0.2.8");
  implicit.implicit = true;
  kernel.mptcp.endpoints = {plain, implicit};
  bring_up(state, "wan1", 1);
  auto outcome = converge();
  EXPECT_TRUE(outcome.managed);
  EXPECT_THAT(kernel.mptcp.endpoints, ElementsAre(plain, implicit, endpoint(255, "100.64.1.10", 11)));
}

TEST_F(MptcpApplierTest, MptcpTurnedOffRemovesUplinkdsEndpointsAndNothingElse) {
  bring_up(state, "wan1", 1);
  bring_up(state, "wan2", 2);
  converge();
  const MptcpEndpoint theirs = managed_elsewhere(5, "10.9.9.9");
  kernel.mptcp.endpoints.push_back(theirs);  // even with another manager there: uplinkd's go
  for (auto& one : config.uplinks) one.mptcp = false;
  auto outcome = converge();
  EXPECT_FALSE(outcome.configured);
  EXPECT_FALSE(outcome.foreign_manager);  // not managing, so nothing to refuse
  EXPECT_THAT(texts(outcome.changes), ElementsAre("remove MPTCP endpoint 100.64.2.10 id 253",
                                                  "remove MPTCP endpoint 100.64.1.10 id 255"));
  EXPECT_THAT(kernel.mptcp.endpoints, ElementsAre(theirs));
  EXPECT_EQ(kernel.mptcp.limits, (MptcpLimits{2, 2}));  // raised limits stay, as sysctls do
  EXPECT_THAT(outcome.endpoints, IsEmpty());
}

// One uplink turned off: its endpoint goes, the others stay.
TEST_F(MptcpApplierTest, AnUplinkWithMptcpOffLosesItsEndpoint) {
  bring_up(state, "wan1", 1);
  bring_up(state, "wan2", 2);
  converge();
  config.uplinks[0].mptcp = false;
  EXPECT_THAT(texts(converge().changes), ElementsAre("remove MPTCP endpoint 100.64.1.10 id 255"));
  EXPECT_THAT(kernel.mptcp.endpoints, ElementsAre(endpoint(253, "100.64.2.10", 12)));
}

// Without mptcp anywhere, the kernel is asked once whether uplinkd's endpoints are left, then not again until
// a restart or reload says they may be (forget()).
TEST_F(MptcpApplierTest, WithoutMptcpTheKernelIsLookedAtOnlyForLeftovers) {
  for (auto& one : config.uplinks) one.mptcp = false;
  bring_up(state, "wan1", 1);
  bring_up(state, "wan2", 2);
  apply();
  apply();
  EXPECT_EQ(kernel.mptcp_dumps, 1);
  kernel.mptcp.endpoints.push_back(endpoint(253, "100.64.2.10", 12));  // a crashed run's
  applier.forget();
  EXPECT_THAT(texts(apply().changes), ElementsAre("remove MPTCP endpoint 100.64.2.10 id 253"));
  apply();
  EXPECT_EQ(kernel.mptcp_dumps, 2);
}

TEST_F(MptcpApplierTest, ARefusedEndpointStopsNoneOfTheOthers) {
  bring_up(state, "wan1", 1);
  bring_up(state, "wan2", 2);
  bring_up(state, "wan3", 3);
  kernel.mptcp_fail_with = [](const MptcpEndpointChange& change) -> std::optional<int> {
    if (change.kind == Kind::add && change.endpoint.id == 253) return EADDRNOTAVAIL;
    return std::nullopt;
  };
  auto outcome = apply();
  ASSERT_EQ(outcome.failed.size(), 1u);
  EXPECT_EQ(outcome.failed[0].change.endpoint.id, 253);
  EXPECT_EQ(outcome.failed[0].error.code, EADDRNOTAVAIL);
  EXPECT_THAT(outcome.errors, IsEmpty());
  EXPECT_THAT(kernel.mptcp.endpoints,
              ElementsAre(endpoint(255, "100.64.1.10", 11), endpoint(251, "100.64.3.10", 13, true)));
  EXPECT_EQ(kernel.mptcp.limits, (MptcpLimits{3, 3}));  // for what is wanted: the retry needs them
  ASSERT_EQ(outcome.endpoints.size(), 2u);              // what the kernel has, not what was wanted
  EXPECT_EQ(outcome.endpoints[1].uplink, "wan3");

  kernel.mptcp_fail_with = nullptr;  // the retry
  EXPECT_THAT(texts(apply().changes),
              ElementsAre("add MPTCP endpoint 100.64.2.10 id 253 ifindex 12 subflow"));
}

TEST_F(MptcpApplierTest, LimitsSetHigherBySomeoneElseStay) {
  kernel.mptcp.limits = {8, 0};
  bring_up(state, "wan1", 1);
  bring_up(state, "wan2", 2);
  auto outcome = converge();
  EXPECT_EQ(outcome.raised_limits, (MptcpLimits{8, 2}));
  EXPECT_EQ(kernel.mptcp.limits, (MptcpLimits{8, 2}));
}

TEST_F(MptcpApplierTest, AKernelWithoutMptcpIsSaidOnceAndIsNoError) {
  kernel.has_mptcp = false;
  bring_up(state, "wan1", 1);
  auto outcome = apply();
  ASSERT_TRUE(outcome.unavailable);
  EXPECT_THAT(*outcome.unavailable, HasSubstr("mptcp = true does nothing"));
  EXPECT_THAT(outcome.errors, IsEmpty());
  EXPECT_FALSE(outcome.managed);
  for (auto& one : config.uplinks) one.mptcp = false;
  EXPECT_FALSE(apply().unavailable);  // not asked for: not said
}

TEST_F(MptcpApplierTest, APreviewChangesNothing) {
  bring_up(state, "wan1", 1);
  auto preview = applier.preview(config, state, make_plan(config, state));
  EXPECT_THAT(texts(preview.changes),
              ElementsAre("add MPTCP endpoint 100.64.1.10 id 255 ifindex 11 subflow"));
  EXPECT_EQ(preview.raised_limits, (MptcpLimits{2, 1}));
  EXPECT_THAT(kernel.mptcp_applied, IsEmpty());
  EXPECT_THAT(kernel.limits_set, IsEmpty());
  EXPECT_THAT(kernel.mptcp.endpoints, IsEmpty());
}

TEST_F(MptcpApplierTest, AFlushRemovesUplinkdsEndpointsOnly) {
  bring_up(state, "wan1", 1);
  bring_up(state, "wan2", 2);
  converge();
  MptcpEndpoint plain;
  plain.id = 7;
  plain.address = ip("192.0.2.7");
  kernel.mptcp.endpoints.push_back(plain);
  kernel.mptcp.endpoints.push_back(endpoint(220, "192.0.2.20", 0));  // with mptcp on, the range is uplinkd's
  auto outcome = applier.flush(config, state);
  EXPECT_EQ(outcome.changes.size(), 3u);
  EXPECT_THAT(kernel.mptcp.endpoints, ElementsAre(plain));
  EXPECT_EQ(kernel.mptcp.limits, (MptcpLimits{2, 2}));
}

// A config without mptcp is also every config that never asked for MPTCP: it removes only what carries all of
// uplinkd's marks (its id for that uplink, subflow, that uplink's interface). A flush takes every id of the
// range, as it takes everything else with uplinkd's marks.
TEST_F(MptcpApplierTest, WithoutMptcpOnlyEndpointsThatAreSurelyUplinkdsAreRemoved) {
  for (auto& one : config.uplinks) one.mptcp = false;
  bring_up(state, "wan1", 1);
  bring_up(state, "wan2", 2);
  const MptcpEndpoint left = endpoint(255, "100.64.1.10", 11);  // a crashed run's wan1 endpoint
  const MptcpEndpoint by_hand = endpoint(220, "192.0.2.20", 0);  // someone's `ip mptcp endpoint add … id 220`
  const MptcpEndpoint elsewhere = endpoint(253, "192.0.2.53", 99);  // wan2's id, another interface
  MptcpEndpoint signal_only = endpoint(251, "192.0.2.51", 13);      // no subflow: not what uplinkd adds
  signal_only.subflow = false;
  signal_only.signal = true;
  kernel.mptcp.endpoints = {left, by_hand, elsewhere, signal_only};
  auto outcome = apply();
  EXPECT_THAT(texts(outcome.changes), ElementsAre("remove MPTCP endpoint 100.64.1.10 id 255"));
  EXPECT_THAT(kernel.mptcp.endpoints, ElementsAre(by_hand, elsewhere, signal_only));
  EXPECT_THAT(outcome.endpoints, IsEmpty());  // none of uplinkd's left for status to name
  kernel.mptcp.endpoints.push_back(left);
  EXPECT_EQ(applier.flush(config, state).changes.size(), 1u);  // a daemon's stop: the same rule
  EXPECT_THAT(kernel.mptcp.endpoints, ElementsAre(by_hand, elsewhere, signal_only));
  EXPECT_EQ(applier.flush().changes.size(), 3u);  // uplinkd --flush: the whole range
  EXPECT_THAT(kernel.mptcp.endpoints, IsEmpty());
}

}  // namespace
}  // namespace uplinkd
