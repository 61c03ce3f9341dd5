// SPDX-License-Identifier: GPL-2.0-or-later
// MPTCP endpoints follow the planner: a subflow endpoint per usable uplink address, backup for a backup tier
// and for a drain, none for a down uplink; the diff with the kernel's endpoints touches only uplinkd's ids
// and removes before it adds; another manager's endpoints stop uplinkd from managing any.
#include "plan/mptcp_endpoints.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "apply/plan_commands.hpp"
#include "fakes/mptcp.hpp"
#include "fakes/world.hpp"

namespace uplinkd {
namespace {

using netlink::MptcpEndpoint;
using testing::bring_up;
using testing::bring_up6;
using testing::config_with;
using ::testing::ElementsAre;
using testing::endpoint;
using ::testing::HasSubstr;
using testing::ip;
using ::testing::IsEmpty;
using testing::prefix;
using testing::uplink;
using Kind = MptcpEndpointChange::Kind;

constexpr uint8_t kScopeLink = 253;

MptcpEndpoint foreign(uint8_t id, const std::string& address) {
  MptcpEndpoint made;
  made.id = id;
  made.address = ip(address);
  return made;
}

MptcpEndpoint implicit(uint8_t id, const std::string& address) {
  MptcpEndpoint made = foreign(id, address);
  made.implicit = true;
  return made;
}

std::vector<MptcpEndpoint> endpoints_of(const DesiredMptcpEndpoints& desired) {
  std::vector<MptcpEndpoint> endpoints;
  for (const auto& planned : desired.endpoints) endpoints.push_back(planned.endpoint);
  return endpoints;
}

std::vector<PlannedMptcpEndpoint> planned(const std::vector<MptcpEndpoint>& endpoints) {
  std::vector<PlannedMptcpEndpoint> made;
  for (const auto& endpoint : endpoints) made.push_back({"x", endpoint.address.family(), endpoint});
  return made;
}

std::vector<std::string> texts(const std::vector<MptcpEndpointChange>& changes) {
  std::vector<std::string> made;
  for (const auto& change : changes) made.push_back(to_string(change));
  return made;
}

// a and b share tier 1, c is tier 2's backup; each is uplink n of world.hpp: 100.64.n.10, ifindex 10 + n.
struct Mptcp : ::testing::Test {
  Mptcp() : config(config_with({uplink("a", 201), uplink("b", 202), uplink("c", 203, 1, 2)})), state(config) {
    for (auto& one : config.uplinks) one.mptcp = true;
    bring_up(state, "a", 1);
    bring_up(state, "b", 2);
    bring_up(state, "c", 3);
  }
  DesiredMptcpEndpoints desired(const std::vector<MptcpEndpoint>& current = {}) {
    return desired_mptcp_endpoints(config, state, make_plan(config, state).uplinks, current);
  }
  Config config;
  State state;
};

TEST(MptcpIds, FromTheTopOfTheRangeByConfigOrderAndFamily) {
  EXPECT_EQ(mptcp_endpoint_id(0, Family::v4), 255);
  EXPECT_EQ(mptcp_endpoint_id(0, Family::v6), 254);
  EXPECT_EQ(mptcp_endpoint_id(1, Family::v4), 253);
  EXPECT_EQ(mptcp_endpoint_id(27, Family::v6), kMptcpIdFirst);
  EXPECT_FALSE(mptcp_endpoint_id(28, Family::v4));
  EXPECT_TRUE(owns_mptcp_id(200));
  EXPECT_TRUE(owns_mptcp_id(255));
  EXPECT_FALSE(owns_mptcp_id(199));
  EXPECT_FALSE(owns_mptcp_id(1));
}

TEST_F(Mptcp, TwoUplinksOfOneTierGetASubflowEndpointEach) {
  config.uplinks.pop_back();
  auto wanted = desired();
  EXPECT_THAT(endpoints_of(wanted),
              ElementsAre(endpoint(255, "100.64.1.10", 11), endpoint(253, "100.64.2.10", 12)));
  EXPECT_EQ(wanted.endpoints[0].uplink, "a");
  EXPECT_EQ(wanted.endpoints[1].family, Family::v4);
  EXPECT_THAT(wanted.notes, IsEmpty());
}

TEST_F(Mptcp, ABackupTiersEndpointIsBackup) {
  EXPECT_THAT(endpoints_of(desired()),
              ElementsAre(endpoint(255, "100.64.1.10", 11), endpoint(253, "100.64.2.10", 12),
                          endpoint(251, "100.64.3.10", 13, true)));
}

TEST_F(Mptcp, ABackupTierStepsUpWhenTheBetterTierIsDown) {
  state.on_health("a", {Health::down, "silent"});
  state.on_health("b", {Health::down, "silent"});
  EXPECT_THAT(endpoints_of(desired()), ElementsAre(endpoint(251, "100.64.3.10", 13)));
}

// Its subflows go on, as a drain promises: the endpoint stays, as backup, with its id.
TEST_F(Mptcp, ADrainedUplinksEndpointIsBackup) {
  state.set_drained("a", true);
  EXPECT_THAT(endpoints_of(desired()),
              ElementsAre(endpoint(255, "100.64.1.10", 11, true), endpoint(253, "100.64.2.10", 12),
                          endpoint(251, "100.64.3.10", 13, true)));
}

// The planner hands new traffic to tier 2 when all of tier 1 is drained: tier 2 is no backup then.
TEST_F(Mptcp, ATierBelowAWhollyDrainedOneIsNoBackup) {
  state.set_drained("a", true);
  state.set_drained("b", true);
  EXPECT_THAT(endpoints_of(desired()),
              ElementsAre(endpoint(255, "100.64.1.10", 11, true), endpoint(253, "100.64.2.10", 12, true),
                          endpoint(251, "100.64.3.10", 13)));
}

TEST_F(Mptcp, ADownUplinkHasNone) {
  state.on_health("a", {Health::down, "silent"});
  state.on_link(netlink::Link{12, "b", true, false}, false);  // b loses its carrier
  EXPECT_THAT(endpoints_of(desired()), ElementsAre(endpoint(251, "100.64.3.10", 13)));
}

// A degraded uplink beside a healthy one of its tier is out of the group, but its tier is the best: it keeps
// a regular endpoint (MPTCP's scheduler weighs a lossy subflow by itself).
TEST_F(Mptcp, ADegradedUplinkOfTheBestTierIsNoBackup) {
  state.on_health("a", {Health::degraded, "loss 20 %"});
  EXPECT_THAT(endpoints_of(desired()),
              ElementsAre(endpoint(255, "100.64.1.10", 11), endpoint(253, "100.64.2.10", 12),
                          endpoint(251, "100.64.3.10", 13, true)));
}

TEST_F(Mptcp, IdsStayWhenAnotherUplinkGoesDown) {
  state.on_health("a", {Health::down, "silent"});
  EXPECT_THAT(endpoints_of(desired()),
              ElementsAre(endpoint(253, "100.64.2.10", 12), endpoint(251, "100.64.3.10", 13, true)));
}

// Tiers are the group's, whichever uplinks have mptcp on: c stays a backup behind a, which has none.
TEST_F(Mptcp, OnlyUplinksWithMptcpOnGetOne) {
  config.uplinks[0].mptcp = false;
  config.uplinks[1].mptcp = false;
  EXPECT_THAT(endpoints_of(desired()), ElementsAre(endpoint(251, "100.64.3.10", 13, true)));
  config.uplinks[2].mptcp = false;
  EXPECT_THAT(desired().endpoints, IsEmpty());
}

TEST_F(Mptcp, IPv6FromTheGlobalAddressAHostWouldPick) {
  bring_up6(state, 1);
  state.on_address(netlink::Address{11, prefix("fe80::10/64"), kScopeLink, 0}, false);
  state.on_address(netlink::Address{11, prefix("2001:db8:1::99/64"), 0, 0x01 /* temporary */}, false);
  auto wanted = desired();
  ASSERT_EQ(wanted.endpoints.size(), 4u);
  EXPECT_EQ(wanted.endpoints[1],
            (PlannedMptcpEndpoint{"a", Family::v6, endpoint(254, "2001:db8:1::10", 11)}));
}

// The state keeps no link-local address (its scope is link); one that came with scope global is no source
// an ISP routes either.
TEST_F(Mptcp, NeverALinkLocalAddress) {
  state.on_address(netlink::Address{12, prefix("fe80::10/64"), 0, 0}, false);
  netlink::Route ra;
  ra.destination = Prefix::default_route(Family::v6);
  ra.gateway = ip("fe80::1");
  ra.oif = 12;
  ra.protocol = 9;
  state.on_route(ra, false);
  const Plan plan = make_plan(config, state);
  ASSERT_TRUE(plan.uplinks[1].status6.usable);
  for (const auto& wanted : desired_mptcp_endpoints(config, state, plan.uplinks, {}).endpoints)
    EXPECT_EQ(wanted.family, Family::v4) << wanted.endpoint.address.to_string();
}

TEST_F(Mptcp, AnUplinkPastTheIdRangeGetsNoneAndANote) {
  std::vector<UplinkConfig> many;
  for (int n = 1; n <= 29; ++n) many.push_back(uplink("u" + std::to_string(n), 300 + n));
  config = config_with(many);
  for (auto& one : config.uplinks) one.mptcp = true;
  state = State(config);
  bring_up(state, "u1", 1);
  bring_up(state, "u29", 29);
  auto wanted = desired();
  EXPECT_THAT(endpoints_of(wanted), ElementsAre(endpoint(255, "100.64.1.10", 11)));
  EXPECT_THAT(wanted.notes, ElementsAre("uplink u29 gets no MPTCP endpoint: uplinkd's endpoint ids 200–255 "
                                        "cover the first 28 uplinks of the config"));
}

TEST_F(Mptcp, AtMostEightInAllBestTierFirstThenConfigOrder) {
  std::vector<UplinkConfig> many{uplink("slow", 300, 1, 2)};
  for (int n = 2; n <= 9; ++n) many.push_back(uplink("u" + std::to_string(n), 300 + n));
  config = config_with(many);
  for (auto& one : config.uplinks) one.mptcp = true;
  state = State(config);
  bring_up(state, "slow", 1);
  for (int n = 2; n <= 9; ++n) bring_up(state, "u" + std::to_string(n), n);

  auto wanted = desired();
  ASSERT_EQ(wanted.endpoints.size(), 8u);
  EXPECT_EQ(wanted.endpoints.front().uplink, "u2");
  EXPECT_EQ(wanted.endpoints.back().uplink, "u9");
  EXPECT_THAT(wanted.notes,
              ElementsAre("the kernel holds at most 8 MPTCP endpoints, 0 of them not uplinkd's: "
                          "no endpoint for slow IPv4"));

  // Others' endpoints, implicit ones too, take their places in the kernel's list all the same.
  wanted = desired({foreign(1, "192.0.2.1"), implicit(2, "192.0.2.2"), implicit(250, "192.0.2.3")});
  ASSERT_EQ(wanted.endpoints.size(), 5u);
  EXPECT_EQ(wanted.endpoints.back().uplink, "u6");
  EXPECT_THAT(wanted.notes,
              ElementsAre("the kernel holds at most 8 MPTCP endpoints, 3 of them not uplinkd's: "
                          "no endpoint for u7 IPv4, u8 IPv4, u9 IPv4, slow IPv4"));
}

// The kernel refuses an address twice (EEXIST; EINVAL for an implicit endpoint's address with an id given)
// and an id in use (EBUSY): uplinkd leaves such an uplink without an endpoint and says why.
TEST_F(Mptcp, AnAddressOrIdAnotherEndpointHoldsIsLeftOut) {
  auto wanted = desired({foreign(7, "100.64.1.10"), implicit(253, "100.64.9.9"), implicit(3, "100.64.3.10")});
  EXPECT_THAT(endpoints_of(wanted), IsEmpty());
  EXPECT_THAT(
      wanted.notes,
      ElementsAre("uplink a's IPv4 gets no MPTCP endpoint: its address already has MPTCP endpoint "
                  "100.64.1.10 id 7, which is not uplinkd's",
                  "uplink b's IPv4 gets no MPTCP endpoint: its id 253 is held by the kernel's endpoint "
                  "100.64.9.9 id 253 (implicit)",
                  "uplink c's IPv4 gets no MPTCP endpoint: its address already has MPTCP endpoint "
                  "100.64.3.10 id 3 (implicit), which is not uplinkd's"));
}

TEST(MptcpDiff, AddsWhatIsMissing) {
  auto changes = diff_mptcp_endpoints(planned({endpoint(255, "100.64.1.10", 11)}), {});
  EXPECT_THAT(changes, ElementsAre(MptcpEndpointChange{Kind::add, endpoint(255, "100.64.1.10", 11)}));
  EXPECT_THAT(texts(changes), ElementsAre("add MPTCP endpoint 100.64.1.10 id 255 ifindex 11 subflow"));
}

TEST(MptcpDiff, NothingWhenTheKernelHasItAll) {
  const std::vector<MptcpEndpoint> both{endpoint(255, "100.64.1.10", 11),
                                        endpoint(253, "100.64.2.10", 12, true)};
  EXPECT_THAT(diff_mptcp_endpoints(planned(both), both), IsEmpty());
}

TEST(MptcpDiff, RemovesOursThatAreNotWanted) {
  EXPECT_THAT(texts(diff_mptcp_endpoints({}, {endpoint(251, "100.64.3.10", 13)})),
              ElementsAre("remove MPTCP endpoint 100.64.3.10 id 251"));
}

TEST(MptcpDiff, RenumberingRemovesThenAddsWithTheSameId) {
  auto changes =
      diff_mptcp_endpoints(planned({endpoint(255, "100.64.1.20", 11)}), {endpoint(255, "100.64.1.10", 11)});
  EXPECT_THAT(changes, ElementsAre(MptcpEndpointChange{Kind::remove, endpoint(255, "100.64.1.10", 11)},
                                   MptcpEndpointChange{Kind::add, endpoint(255, "100.64.1.20", 11)}));
  // Another interface (the uplink's interface was made anew) or other flags: the same.
  EXPECT_THAT(texts(diff_mptcp_endpoints(planned({endpoint(255, "100.64.1.10", 21)}),
                                         {endpoint(255, "100.64.1.10", 11)})),
              ElementsAre("remove MPTCP endpoint 100.64.1.10 id 255",
                          "add MPTCP endpoint 100.64.1.10 id 255 ifindex 21 subflow"));
  MptcpEndpoint signalled = endpoint(255, "100.64.1.10", 11);
  signalled.signal = true;
  EXPECT_EQ(diff_mptcp_endpoints(planned({endpoint(255, "100.64.1.10", 11)}), {signalled}).size(), 2u);
}

TEST(MptcpDiff, ABackupChangeIsASetBackupOnly) {
  EXPECT_THAT(diff_mptcp_endpoints(planned({endpoint(255, "100.64.1.10", 11, true)}),
                                   {endpoint(255, "100.64.1.10", 11)}),
              ElementsAre(MptcpEndpointChange{Kind::set_backup, endpoint(255, "100.64.1.10", 11, true)}));
  EXPECT_THAT(texts(diff_mptcp_endpoints(planned({endpoint(255, "100.64.1.10", 11)}),
                                         {endpoint(255, "100.64.1.10", 11, true)})),
              ElementsAre("set MPTCP endpoint 100.64.1.10 id 255 nobackup"));
}

// An address moving to another id (the config reordered) and the kernel's cap of 8 both need the old
// endpoint gone first; a new primary comes before the old one steps back.
TEST(MptcpDiff, RemovesFirstThenAddsThenBackupOffThenOn) {
  auto changes = diff_mptcp_endpoints(
      planned({endpoint(255, "100.64.2.10", 12), endpoint(253, "100.64.1.10", 11),
               endpoint(251, "100.64.3.10", 13), endpoint(249, "100.64.4.10", 14, true)}),
      {endpoint(255, "100.64.1.10", 11), endpoint(253, "100.64.2.10", 12),
       endpoint(251, "100.64.3.10", 13, true), endpoint(249, "100.64.4.10", 14),
       endpoint(247, "100.64.5.10", 15)});
  EXPECT_THAT(texts(changes), ElementsAre("remove MPTCP endpoint 100.64.5.10 id 247",
                                          "remove MPTCP endpoint 100.64.2.10 id 253",
                                          "remove MPTCP endpoint 100.64.1.10 id 255",
                                          "add MPTCP endpoint 100.64.2.10 id 255 ifindex 12 subflow",
                                          "add MPTCP endpoint 100.64.1.10 id 253 ifindex 11 subflow",
                                          "set MPTCP endpoint 100.64.3.10 id 251 nobackup",
                                          "set MPTCP endpoint 100.64.4.10 id 249 backup"));
}

TEST(MptcpDiff, NeverTouchesForeignOrImplicitEndpoints) {
  MptcpEndpoint managed = foreign(1, "10.0.0.5");
  managed.subflow = true;
  const std::vector<MptcpEndpoint> current{managed, foreign(199, "10.0.0.6"), implicit(2, "10.0.0.7"),
                                           implicit(252, "10.0.0.8")};
  EXPECT_THAT(diff_mptcp_endpoints({}, current), IsEmpty());
  EXPECT_THAT(texts(diff_mptcp_endpoints(planned({endpoint(255, "100.64.1.10", 11)}), current)),
              ElementsAre("add MPTCP endpoint 100.64.1.10 id 255 ifindex 11 subflow"));
}

TEST(MptcpForeignManager, NoneWithoutForeignSubflowOrSignalEndpoints) {
  MptcpEndpoint backup_only = foreign(4, "10.0.0.9");
  backup_only.backup = true;
  MptcpEndpoint implicit_subflow = implicit(5, "10.0.0.10");
  implicit_subflow.subflow = true;  // never so in a kernel, and still the kernel's own
  EXPECT_FALSE(foreign_manager({}));
  EXPECT_FALSE(foreign_manager({endpoint(255, "100.64.1.10", 11), foreign(3, "10.0.0.8"), backup_only,
                                implicit(6, "10.0.0.11"), implicit_subflow}));
}

TEST(MptcpForeignManager, NamesTheEndpoints) {
  MptcpEndpoint subflow = foreign(1, "10.0.0.5");
  subflow.subflow = true;
  EXPECT_EQ(foreign_manager({subflow, endpoint(255, "100.64.1.10", 11)}),
            "MPTCP endpoint 10.0.0.5 id 1 (subflow) is managed by another program (NetworkManager's "
            "mptcp-flags or mptcpd?): uplinkd leaves MPTCP alone; remove it or set mptcp = false");
  MptcpEndpoint signal = foreign(2, "2001:db8::5");
  signal.signal = true;
  EXPECT_EQ(
      foreign_manager({subflow, signal}),
      "MPTCP endpoints 10.0.0.5 id 1 (subflow), 2001:db8::5 id 2 (signal) are managed by another program "
      "(NetworkManager's mptcp-flags or mptcpd?): uplinkd leaves MPTCP alone; remove them or set mptcp = "
      "false");
}

TEST(MptcpLimits, CoverTheEndpointsWithinTheKernelsRange) {
  auto limits_for = [](size_t count) {
    std::vector<MptcpEndpoint> endpoints;
    for (size_t i = 0; i < count; ++i)
      endpoints.push_back(endpoint(static_cast<uint8_t>(255 - i), "100.64.1." + std::to_string(i + 1), 11));
    return mptcp_limits_for(planned(endpoints));
  };
  EXPECT_EQ(limits_for(0), (netlink::MptcpLimits{2, 0}));
  EXPECT_EQ(limits_for(1), (netlink::MptcpLimits{2, 1}));
  EXPECT_EQ(limits_for(2), (netlink::MptcpLimits{2, 2}));
  EXPECT_EQ(limits_for(3), (netlink::MptcpLimits{3, 3}));
  EXPECT_EQ(limits_for(8), (netlink::MptcpLimits{8, 8}));
  EXPECT_EQ(limits_for(9), (netlink::MptcpLimits{8, 8}));
}

TEST(MptcpIds, TellTheirUplinkAndFamily) {
  for (size_t index = 0; index < 28; ++index)
    for (Family family : {Family::v4, Family::v6})
      EXPECT_EQ(mptcp_id_owner(*mptcp_endpoint_id(index, family)), (MptcpIdOwner{index, family}));
  EXPECT_FALSE(mptcp_id_owner(199));
  EXPECT_FALSE(mptcp_id_owner(1));
}

// The in-kernel path manager, the one that reads endpoints, and MPTCP sockets allowed; nothing without mptcp.
TEST_F(Mptcp, TheSysctlsEndpointsNeed) {
  const std::vector<Sysctl> needed = {{"net.mptcp.enabled", "1", true}, {"net.mptcp.pm_type", "0", true}};
  EXPECT_EQ(mptcp_sysctls(config), needed);
  EXPECT_THAT(make_plan(config, state).sysctls, ElementsAre(needed[0], needed[1]));
  config.uplinks[0].mptcp = false;
  EXPECT_EQ(mptcp_sysctls(config), needed);  // one uplink is enough
  for (auto& one : config.uplinks) one.mptcp = false;
  EXPECT_THAT(mptcp_sysctls(config), IsEmpty());
  EXPECT_THAT(make_plan(config, state).sysctls, IsEmpty());
}

// Beside another program's endpoints uplinkd changes nothing of MPTCP: a userspace path manager stays.
TEST_F(Mptcp, NoSysctlsBesideAnotherManager) {
  state.set_mptcp_other_manager("MPTCP endpoint 10.9.9.9 id 5 (subflow) is managed by another program");
  EXPECT_THAT(make_plan(config, state).sysctls, IsEmpty());
  state.set_mptcp_other_manager(std::nullopt);
  EXPECT_EQ(make_plan(config, state).sysctls.size(), 2u);
}

// What `uplinkctl plan` lists: the endpoints and limits as `ip mptcp` would make them.
TEST_F(Mptcp, AsIpMptcpCommands) {
  auto wanted = desired().endpoints;
  EXPECT_THAT(mptcp_commands(wanted, netlink::MptcpLimits{3, 3}, {{11, "a"}, {12, "b"}}),
              ElementsAre("ip mptcp endpoint add 100.64.1.10 id 255 dev a subflow",
                          "ip mptcp endpoint add 100.64.2.10 id 253 dev b subflow",
                          "ip mptcp endpoint add 100.64.3.10 id 251 dev if13 subflow backup",
                          "ip mptcp limits set subflows 3 add_addr_accepted 3"));
  EXPECT_THAT(mptcp_commands({}, std::nullopt, {}), IsEmpty());
}

}  // namespace
}  // namespace uplinkd
