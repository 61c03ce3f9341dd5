// SPDX-License-Identifier: GPL-2.0-or-later
#include "state/state.hpp"

#include <gtest/gtest.h>

#include "fakes/world.hpp"

namespace uplinkd {
namespace {

using testing::bring_up;
using testing::config_with;
using testing::ip;
using testing::prefix;
using testing::uplink;

TEST(Evaluate, ExplainsEachMissingPiece) {
  auto config = uplink("wan1", 200);
  UplinkFacts facts;
  EXPECT_EQ(evaluate(config, facts).why, "interface wan1 does not exist");
  facts.ifindex = 3;
  EXPECT_EQ(evaluate(config, facts).why, "interface wan1 is down");
  facts.admin_up = true;
  EXPECT_EQ(evaluate(config, facts).why, "no carrier on wan1");
  facts.carrier = true;
  EXPECT_EQ(evaluate(config, facts).why, "no IPv4 address on wan1");
  facts.addresses.push_back(prefix("100.64.1.10/24"));
  auto status = evaluate(config, facts);
  EXPECT_FALSE(status.usable);
  EXPECT_FALSE(status.routable);
  EXPECT_NE(status.why.find("no gateway known for wan1"), std::string::npos);
  facts.route_gateways.push_back(ip("100.64.1.1"));
  status = evaluate(config, facts);
  EXPECT_TRUE(status.usable);
  EXPECT_EQ(status.gateway, ip("100.64.1.1"));
  EXPECT_EQ(status.gateway_source, GatewaySource::route);
}

TEST(Evaluate, HookLeaseWinsOverLearnedRouteOnlyForTheAddressItSpeaksFor) {
  auto config = uplink("wan1", 200);
  UplinkFacts facts{3, true, true, {prefix("100.64.1.10/24")}, std::nullopt, {ip("100.64.1.254")}, {}};
  facts.lease = DhcpLease{prefix("100.64.1.10/24"), ip("100.64.1.1"), DhcpClient::dhclient};
  EXPECT_EQ(evaluate(config, facts).gateway, ip("100.64.1.1"));
  EXPECT_EQ(evaluate(config, facts).gateway_source, GatewaySource::hook);
  facts.lease->address = prefix("100.64.1.99/24");  // stale: the interface no longer has that address
  EXPECT_EQ(evaluate(config, facts).gateway, ip("100.64.1.254"));
}

TEST(Evaluate, ALeaseWhoseEveryRouterWasRefusedHasNoGatewayAndSaysWhy) {
  auto config = uplink("wan1", 200);
  UplinkFacts facts{3, true, true, {prefix("100.64.1.10/24")}, std::nullopt, {}, {}};
  facts.lease = DhcpLease{prefix("100.64.1.10/24"),
                          std::nullopt,
                          DhcpClient::dhclient,
                          {{ip("255.255.255.255"), "is the limited broadcast address"}}};
  auto status = evaluate(config, facts);
  EXPECT_FALSE(status.usable);
  EXPECT_FALSE(status.gateway);
  EXPECT_EQ(status.why,
            "no usable gateway for wan1: the DHCP lease's router was refused: 255.255.255.255 is the limited "
            "broadcast address");
  facts.route_gateways.push_back(ip("100.64.1.254"));  // a usable default route in main still serves
  EXPECT_EQ(evaluate(config, facts).gateway, ip("100.64.1.254"));
}

TEST(Evaluate, LearnedRouteGatewaysAreJudgedAgainstTheUplinksAddress) {
  auto config = uplink("wan1", 200);
  UplinkFacts facts{3, true, true, {prefix("100.64.1.10/24")}, std::nullopt, {}, {}};
  facts.route_gateways = {ip("100.64.1.10"), ip("100.64.1.255"), ip("100.64.1.1")};
  EXPECT_EQ(evaluate(config, facts).gateway, ip("100.64.1.1"));
  facts.route_gateways.pop_back();
  EXPECT_NE(evaluate(config, facts).why.find("no gateway known for wan1"), std::string::npos);
}

TEST(State, DefaultRoutesWithNonUnicastGatewaysTeachNothing) {
  State state(config_with({uplink("eth1", 200)}));
  state.on_link(netlink::Link{3, "eth1", true, true}, false);
  for (const char* gateway : {"127.0.0.1", "224.0.0.5", "255.255.255.255", "240.0.0.1", "0.0.0.1"}) {
    netlink::Route route;
    route.table = 254;
    route.destination = Prefix::default_route(Family::v4);
    route.gateway = ip(gateway);
    route.oif = 3;
    EXPECT_FALSE(state.on_route(route, false)) << gateway;
  }
  EXPECT_TRUE(state.facts("eth1").route_gateways.empty());
}

TEST(Evaluate, StaticAndDirectGateways) {
  UplinkFacts facts{3, true, true, {prefix("10.0.0.2/30")}, std::nullopt, {}, {}};
  auto fixed = uplink("wan1", 200);
  fixed.gateway_kind = GatewayKind::fixed;
  fixed.gateway = ip("10.0.0.1");
  EXPECT_EQ(evaluate(fixed, facts).gateway_source, GatewaySource::config);
  auto direct = uplink("wan1", 200);
  direct.gateway_kind = GatewayKind::none;
  auto status = evaluate(direct, facts);
  EXPECT_TRUE(status.usable);
  EXPECT_FALSE(status.gateway);
}

TEST(State, FollowsLinkAddressAndRouteEvents) {
  State state(config_with({uplink("wan1", 200), uplink("wan2", 201)}));
  bring_up(state, "wan1", 1, /*via_hook=*/false);
  EXPECT_TRUE(evaluate(uplink("wan1", 200), state.facts("wan1")).usable);
  EXPECT_FALSE(evaluate(uplink("wan2", 201), state.facts("wan2")).usable);

  netlink::Route dhcp_default;
  dhcp_default.destination = Prefix::default_route(Family::v4);
  dhcp_default.gateway = ip("100.64.1.1");
  dhcp_default.oif = 11;
  EXPECT_TRUE(state.on_route(dhcp_default, /*removed=*/true));
  EXPECT_FALSE(evaluate(uplink("wan1", 200), state.facts("wan1")).usable);
  EXPECT_FALSE(state.on_route(dhcp_default, true)) << "a second removal changes nothing";
}

TEST(State, IgnoresRoutesOutsideMainAndOtherInterfaces) {
  State state(config_with({uplink("wan1", 200)}));
  state.on_link(netlink::Link{11, "wan1", true, true}, false);
  netlink::Route other_table;
  other_table.destination = Prefix::default_route(Family::v4);
  other_table.gateway = ip("100.64.1.1");
  other_table.oif = 11;
  other_table.table = 200;
  EXPECT_FALSE(state.on_route(other_table, false));
  netlink::Route other_interface = other_table;
  other_interface.table = 254;
  other_interface.oif = 12;
  EXPECT_FALSE(state.on_route(other_interface, false));
  netlink::Route specific = other_table;
  specific.table = 254;
  specific.destination = prefix("10.0.0.0/8");
  EXPECT_FALSE(state.on_route(specific, false));
}

TEST(State, CarrierLossAndLinkRemoval) {
  State state(config_with({uplink("wan1", 200)}));
  bring_up(state, "wan1", 1);
  EXPECT_TRUE(state.on_link(netlink::Link{11, "wan1", true, false}, false));
  EXPECT_EQ(evaluate(uplink("wan1", 200), state.facts("wan1")).why, "no carrier on wan1");
  EXPECT_TRUE(state.on_link(netlink::Link{11, "wan1", true, false}, true));
  EXPECT_FALSE(state.facts("wan1").ifindex);
  EXPECT_TRUE(state.facts("wan1").lease) << "the lease outlives the link: the client may still hold it";
}

TEST(State, RecreatedLinkForgetsOldAddresses) {
  State state(config_with({uplink("wan1", 200)}));
  bring_up(state, "wan1", 1);
  EXPECT_TRUE(state.on_link(netlink::Link{42, "wan1", true, true}, false));
  EXPECT_TRUE(state.facts("wan1").addresses.empty());
  EXPECT_EQ(state.facts("wan1").ifindex, 42u);
}

TEST(State, HookLeaseLifecycle) {
  State state(config_with({uplink("wan1", 200)}));
  bring_up(state, "wan1", 1);
  ASSERT_TRUE(state.facts("wan1").lease);
  HookEvent expire;
  expire.interface = "wan1";
  expire.reason = "EXPIRE";
  expire.change = LeaseChange::down;
  EXPECT_TRUE(state.on_hook(expire));
  EXPECT_FALSE(state.facts("wan1").lease);
  HookEvent preinit;
  preinit.interface = "wan1";
  preinit.change = LeaseChange::ignore;
  EXPECT_FALSE(state.on_hook(preinit));
}

TEST(State, HookForUnknownInterfaceIsAnInputError) {
  State state(config_with({uplink("wan1", 200)}));
  HookEvent event;
  event.interface = "eth9";
  event.change = LeaseChange::down;
  try {
    state.on_hook(event);
    FAIL() << "expected InputError";
  } catch (const InputError& error) {
    EXPECT_NE(std::string(error.what()).find("event.interface \"eth9\""), std::string::npos) << error.what();
  }
}

TEST(State, ReconfigureKeepsFactsOfRemainingInterfaces) {
  State state(config_with({uplink("wan1", 200), uplink("wan2", 201)}));
  bring_up(state, "wan1", 1);
  bring_up(state, "wan2", 2);
  state.reconfigure(config_with({uplink("wan2", 301), uplink("wan3", 302)}));
  EXPECT_EQ(state.all_facts().size(), 2u);
  EXPECT_TRUE(state.facts("wan2").lease);
  EXPECT_FALSE(state.facts("wan3").ifindex);
}

TEST(State, ResetReplacesKernelFactsButKeepsLeases) {
  State state(config_with({uplink("wan1", 200)}));
  bring_up(state, "wan1", 1);
  EXPECT_TRUE(state.reset({netlink::Link{11, "wan1", true, true}}, {}, {}));
  EXPECT_TRUE(state.facts("wan1").addresses.empty());
  EXPECT_TRUE(state.facts("wan1").lease);
  EXPECT_FALSE(state.reset({netlink::Link{11, "wan1", true, true}}, {}, {}));
}

}  // namespace
}  // namespace uplinkd

namespace uplinkd {
namespace {

struct VerdictCase {
  Health health;
  bool usable;
  const char* why;
};

class EvaluateHealth : public ::testing::TestWithParam<VerdictCase> {};

TEST_P(EvaluateHealth, RoutableWhateverTheVerdict) {
  const auto& c = GetParam();
  UplinkConfig config;
  config.interface = "wan1";
  UplinkFacts facts{3,
                    true,
                    true,
                    {*Prefix::parse("100.64.1.10/24")},
                    std::nullopt,
                    {*IpAddress::parse("100.64.1.1")},
                    {c.health, "why not"}};
  auto status = evaluate(config, facts);
  EXPECT_TRUE(status.routable);
  EXPECT_EQ(status.usable, c.usable);
  EXPECT_EQ(status.why, c.why);
  EXPECT_EQ(status.health, c.health);
}

INSTANTIATE_TEST_SUITE_P(Verdicts, EvaluateHealth,
                         ::testing::Values(VerdictCase{Health::unconfigured, true, "usable"},
                                           VerdictCase{Health::probing, true, "usable"},
                                           VerdictCase{Health::up, true, "usable"},
                                           VerdictCase{Health::degraded, true, "degraded: why not"},
                                           VerdictCase{Health::down, false, "down: health (why not)"}));

}  // namespace
}  // namespace uplinkd
