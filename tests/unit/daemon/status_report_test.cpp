// SPDX-License-Identifier: GPL-2.0-or-later
#include "daemon/status_report.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cli/status_table.hpp"
#include "daemon/router_advertisements.hpp"
#include "fakes/world.hpp"
#include "plan/sysctl.hpp"

namespace uplinkd {
namespace {

using testing::bring_up;
using testing::config_with;
using testing::uplink;

TEST(StatusReport, SaysWhatEachUplinkIsDoingAndWhy) {
  auto config = config_with({uplink("fiber", 200, 2, 1), uplink("lte", 201, 1, 2), uplink("dsl", 202, 1, 1)});
  State state(config);
  bring_up(state, "fiber", 1);
  bring_up(state, "lte", 2);
  state.on_link(netlink::Link{13, "dsl", true, false}, false);
  auto report = status_report(config, make_plan(config, state), {"route default table 1000: No such device"});

  EXPECT_EQ(report["mode"], "flow");
  EXPECT_EQ(report["active"], 1);
  EXPECT_EQ(report["converged"], false);
  ASSERT_EQ(report["uplinks"].size(), 3u);
  EXPECT_EQ(report["uplinks"][0]["state"], "active");
  EXPECT_EQ(report["uplinks"][0]["gateway"], "100.64.1.1");
  EXPECT_EQ(report["uplinks"][0]["gateway_source"], "dhcp-hook");
  EXPECT_EQ(report["uplinks"][0]["weight"], 2);
  EXPECT_EQ(report["uplinks"][1]["state"], "standby");
  EXPECT_EQ(report["uplinks"][2]["state"], "down");
  EXPECT_EQ(report["uplinks"][2]["why"], "no carrier on dsl");
  EXPECT_TRUE(report["uplinks"][2]["address"].is_null());

  std::string table = render_status_table(report);
  EXPECT_NE(table.find("mode flow, balancing over 1 of 3 uplinks"), std::string::npos) << table;
  EXPECT_NE(table.find("fiber   fiber      active   100.64.1.10/24  100.64.1.1 (dhcp-hook)"),
            std::string::npos)
      << table;
  EXPECT_NE(table.find("no carrier on dsl"), std::string::npos);
  EXPECT_NE(table.find("error: route default table 1000: No such device"), std::string::npos);
}

TEST(StatusReport, EachFamilyShowsItsOwnProbesOrTheVerdictItFollows) {
  auto config = config_with({uplink("wan1", 200, 1, 1), uplink("wan2", 201, 1, 1)});
  State state(config);
  bring_up(state, "wan1", 1);
  bring_up(state, "wan2", 2);
  HealthReports health = {
      {{"wan1", Family::v4},
       {{"state", "up"}, {"reason", "5 good rounds"}, {"targets", {{{"target", "arp"}}}}}},
      {{"wan2", Family::v6}, {{"state", "down"}, {"reason", "3 rounds failed"}, {"since", "then"}}}};
  auto report = status_report(config, make_plan(config, state), {}, health);
  const auto& wan1 = report["uplinks"][0];
  const auto& wan2 = report["uplinks"][1];
  EXPECT_EQ(wan1["health"]["targets"][0]["target"], "arp");
  EXPECT_EQ(wan1["ipv6"]["health"]["follows"], "ipv4");
  EXPECT_EQ(wan1["ipv6"]["health"]["state"], "up");
  EXPECT_EQ(wan2["health"]["follows"], "ipv6");
  EXPECT_EQ(wan2["health"]["state"], "down");
  EXPECT_EQ(wan2["health"]["since"], "then");
  EXPECT_FALSE(wan2["ipv6"]["health"].contains("follows"));
  EXPECT_EQ(report["uplinks"][0]["health"].contains("follows"), false);
}

TEST(StatusReport, AnUplinkProbedInNeitherFamilyIsUnconfiguredInBoth) {
  auto config = config_with({uplink("wan1", 200, 1, 1)});
  State state(config);
  auto report = status_report(config, make_plan(config, state), {});
  EXPECT_EQ(report["uplinks"][0]["health"]["state"], "unconfigured");
  EXPECT_EQ(report["uplinks"][0]["ipv6"]["health"]["reason"], "no health targets");
}

TEST(StatusReport, TheIpv6SideListsDelegatedPrefixes) {
  auto config = config_with({uplink("wan1", 201), uplink("wan2", 202)});
  State state(config);
  bring_up(state, "wan1", 1);
  bring_up(state, "wan2", 2);
  testing::bring_up6(state, 1);
  state.on_hook(
      testing::dhcpv6_event(DhcpClient::dhcpcd, "wan1", "BOUND6", LeaseChange::up, {"2001:db8:1:100::/60"}));
  auto report = status_report(config, make_plan(config, state), {});
  const auto& wan1 = report["uplinks"][0]["ipv6"];
  EXPECT_EQ(wan1["prefixes"], nlohmann::json::array({"2001:db8:1::/64"}));
  EXPECT_EQ(wan1["delegated"], nlohmann::json::array({"2001:db8:1:100::/60"}));
  EXPECT_EQ(report["uplinks"][1]["ipv6"]["delegated"], nlohmann::json::array());
  EXPECT_FALSE(report["uplinks"][0].contains("delegated")) << "an IPv6 fact, in the ipv6 object only";
}

TEST(StatusReport, IgnoredRouterAdvertisementsAreNamedOnTheIpv6Side) {
  auto config = config_with({uplink("wan1", 201), uplink("wan2", 202)});
  State state(config);
  auto report = status_report(config, make_plan(config, state), {}, {}, {{"wan2", "accept_ra is 0"}});
  EXPECT_FALSE(report["uplinks"][0]["ipv6"].contains("router_advertisements"));
  EXPECT_EQ(report["uplinks"][1]["ipv6"]["router_advertisements"], "ignored: accept_ra is 0");
}

// The kernel's rule (ipv6_accept_ra): forwarding turns 1 into "ignore", 2 takes them whatever forwarding is.
TEST(RouterAdvertisements, IgnoredOnARouterUnlessAcceptRaIsTwo) {
  EXPECT_EQ(advertisements_ignored({0, 1}), std::nullopt);
  EXPECT_EQ(advertisements_ignored({1, 2}), std::nullopt);
  EXPECT_EQ(advertisements_ignored({0, 2}), std::nullopt);
  EXPECT_THAT(advertisements_ignored({1, 1}).value_or(""),
              ::testing::HasSubstr("forwarding is on and accept_ra is 1"));
  EXPECT_THAT(advertisements_ignored({0, 0}).value_or(""), ::testing::HasSubstr("accept_ra is 0"));
  EXPECT_THAT(advertisements_ignored({1, 0}).value_or(""), ::testing::HasSubstr("accept_ra is 0"));
}

// Only a write of accept_ra that succeeded, to a value that takes RAs, on an uplink that asks for it.
TEST(RouterAdvertisements, SolicitedWhereAcceptRaWasJustSet) {
  Config config;
  for (auto [name, accept_ra] : {std::pair{"wan1", std::optional<int>(2)},
                                 {"wan2", std::optional<int>(2)},
                                 {"wan3", std::optional<int>(0)},
                                 {"wan4", std::optional<int>()}}) {
    UplinkConfig uplink;
    uplink.name = uplink.interface = name;
    uplink.accept_ra = accept_ra;
    config.uplinks.push_back(uplink);
  }
  auto set = [](const std::string& interface, const std::string& value) {
    return Change{ChangeKind::add, Sysctl{ipv6_interface_sysctl(interface, "accept_ra"), value}};
  };
  ApplyOutcome outcome;
  outcome.changes = {set("wan1", "2"), set("wan2", "2"), set("wan3", "0"), set("wan4", "2"),
                     Change{ChangeKind::add, Sysctl{"net.ipv6.fib_multipath_hash_policy", "1"}}};
  outcome.failed = {FailedChange{set("wan2", "2"), KernelError{"set sysctl", EACCES, ""}}};
  EXPECT_EQ(began_taking_advertisements(config, outcome), std::vector<std::string>{"wan1"});
  EXPECT_TRUE(began_taking_advertisements(config, ApplyOutcome{}).empty());
}

}  // namespace
}  // namespace uplinkd
