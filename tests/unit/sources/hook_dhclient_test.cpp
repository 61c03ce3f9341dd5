// SPDX-License-Identifier: GPL-2.0-or-later
#include <gtest/gtest.h>

#include "hook_test_support.hpp"
#include "sources/hook_env.hpp"
#include "sources/hook_reasons.hpp"

namespace uplinkd {
namespace {

using testing::dhclient_bound;
using testing::expect_input_error;
using testing::with;
using testing::without;

struct ReasonCase {
  const char* reason;
  LeaseChange change;
  Family family = Family::v4;
};

// dhclient-script(8), written out here rather than read from the parser's table, so that a change to the
// table must be made twice.
constexpr ReasonCase kCases[] = {
    {"BOUND", LeaseChange::up},
    {"RENEW", LeaseChange::up},
    {"REBIND", LeaseChange::up},
    {"REBOOT", LeaseChange::up},
    {"EXPIRE", LeaseChange::down},
    {"FAIL", LeaseChange::down},
    {"RELEASE", LeaseChange::down},
    {"STOP", LeaseChange::down},
    {"TIMEOUT", LeaseChange::ignore},
    {"PREINIT", LeaseChange::ignore},
    {"MEDIUM", LeaseChange::ignore},
    {"ARPCHECK", LeaseChange::ignore},
    {"ARPSEND", LeaseChange::ignore},
    {"NBI", LeaseChange::ignore},
    {"PREINIT6", LeaseChange::ignore, Family::v6},
    {"BOUND6", LeaseChange::up, Family::v6},
    {"RENEW6", LeaseChange::up, Family::v6},
    {"REBIND6", LeaseChange::up, Family::v6},
    {"REBOOT6", LeaseChange::up, Family::v6},
    {"DEPREF6", LeaseChange::ignore, Family::v6},
    {"EXPIRE6", LeaseChange::down, Family::v6},
    {"RELEASE6", LeaseChange::down, Family::v6},
    {"STOP6", LeaseChange::down, Family::v6},
};

class DhclientReason : public ::testing::TestWithParam<ReasonCase> {};

TEST_P(DhclientReason, MapsToItsLeaseChange) {
  auto env = with(dhclient_bound(), "reason", GetParam().reason);
  env["old_ip_address"] = "100.64.1.9";
  env["old_subnet_mask"] = "255.255.255.0";
  auto event = parse_dhclient(env);
  EXPECT_EQ(event.client, DhcpClient::dhclient);
  EXPECT_EQ(event.reason, GetParam().reason);
  EXPECT_EQ(event.interface, "eth1");
  EXPECT_EQ(event.change, GetParam().change);
  EXPECT_EQ(event.family, GetParam().family);
  if (GetParam().family == Family::v6) {
    // The IPv4 lease's variables are not this lease's: nothing of them is read.
    EXPECT_EQ(event.address, std::nullopt);
    EXPECT_TRUE(event.routers.empty());
    EXPECT_EQ(event.old_address, std::nullopt);
    return;
  }
  if (GetParam().change == LeaseChange::up) {
    EXPECT_EQ(event.address, Prefix::parse("100.64.1.10/24"));
    EXPECT_EQ(event.routers, std::vector{*IpAddress::parse("100.64.1.1")});
  } else {
    EXPECT_EQ(event.address, std::nullopt);
    EXPECT_TRUE(event.routers.empty());
  }
  auto old_address = GetParam().change == LeaseChange::ignore ? std::nullopt : Prefix::parse("100.64.1.9/24");
  EXPECT_EQ(event.old_address, old_address);
}

INSTANTIATE_TEST_SUITE_P(AllReasons, DhclientReason, ::testing::ValuesIn(kCases),
                         [](const auto& info) { return std::string(info.param.reason); });

TEST(Dhclient, EveryReasonTheParserKnowsIsTested) {
  for (const auto& known : hook_reasons(DhcpClient::dhclient)) {
    bool tested = false;
    for (const auto& test_case : kCases) tested |= known.reason == test_case.reason;
    EXPECT_TRUE(tested) << known.reason;
  }
}

TEST(Dhclient, ExpireCarriesOnlyTheOldLease) {
  Environment env = {{"reason", "EXPIRE"},
                     {"interface", "eth1"},
                     {"old_ip_address", "100.64.1.10"},
                     {"old_subnet_mask", "255.255.255.0"},
                     {"old_routers", "100.64.1.1"}};
  auto event = parse_dhclient(env);
  EXPECT_EQ(event.change, LeaseChange::down);
  EXPECT_EQ(event.old_address, Prefix::parse("100.64.1.10/24"));
}

TEST(Dhclient, DownWithoutAnOldLeaseIsStillDown) {
  auto event = parse_dhclient({{"reason", "STOP"}, {"interface", "eth1"}});
  EXPECT_EQ(event.change, LeaseChange::down);
  EXPECT_EQ(event.old_address, std::nullopt);
}

TEST(Dhclient, RenewWithANewAddressReportsBoth) {
  auto env = with(dhclient_bound(), "reason", "RENEW");
  env["old_ip_address"] = "100.64.1.200";
  env["old_subnet_mask"] = "255.255.0.0";
  auto event = parse_dhclient(env);
  EXPECT_EQ(event.address, Prefix::parse("100.64.1.10/24"));
  EXPECT_EQ(event.old_address, Prefix::parse("100.64.1.200/16"));
}

TEST(Dhclient, TimeoutThatKeepsTheOldLeaseIsUp) {
  auto event = parse_dhclient(with(with(dhclient_bound(), "reason", "TIMEOUT"), "exit_status", "0"));
  EXPECT_EQ(event.change, LeaseChange::up);
  EXPECT_EQ(event.address, Prefix::parse("100.64.1.10/24"));
}

TEST(Dhclient, TimeoutWhoseLeaseFailedItsTestIsDown) {
  auto event = parse_dhclient(with(with(dhclient_bound(), "reason", "TIMEOUT"), "exit_status", "2"));
  EXPECT_EQ(event.change, LeaseChange::down);
  EXPECT_EQ(event.address, std::nullopt);
}

TEST(Dhclient, TimeoutWithoutAVerdictIsIgnored) {
  auto event = parse_dhclient(with(dhclient_bound(), "reason", "TIMEOUT"));
  EXPECT_EQ(event.change, LeaseChange::ignore);
}

TEST(Dhclient, SeveralRoutersKeepTheServersOrder) {
  auto event = parse_dhclient(with(dhclient_bound(), "new_routers", "100.64.1.254  100.64.1.1\t100.64.1.2 "));
  EXPECT_EQ(event.routers, (std::vector{*IpAddress::parse("100.64.1.254"), *IpAddress::parse("100.64.1.1"),
                                        *IpAddress::parse("100.64.1.2")}));
}

TEST(Dhclient, UpWithoutRoutersIsADirectLink) {
  auto event = parse_dhclient(without(dhclient_bound(), "new_routers"));
  EXPECT_EQ(event.change, LeaseChange::up);
  EXPECT_TRUE(event.routers.empty());
  EXPECT_TRUE(parse_dhclient(with(dhclient_bound(), "new_routers", "")).routers.empty());
}

TEST(Dhclient, SlashThirtyTwoLease) {
  auto event = parse_dhclient(with(dhclient_bound(), "new_subnet_mask", "255.255.255.255"));
  EXPECT_EQ(event.address, Prefix::parse("100.64.1.10/32"));
}

TEST(Dhclient, UpNeedsAnAddressAndAMask) {
  expect_input_error([] { parse_dhclient(without(dhclient_bound(), "new_ip_address")); },
                     "hook environment: new_ip_address is missing");
  expect_input_error([] { parse_dhclient(without(dhclient_bound(), "new_subnet_mask")); },
                     "hook environment: new_subnet_mask is missing for new_ip_address \"100.64.1.10\"");
}

TEST(Dhclient, NamesTheBadVariable) {
  expect_input_error([] { parse_dhclient(with(dhclient_bound(), "new_ip_address", "10.0.0.x")); },
                     "hook environment: new_ip_address \"10.0.0.x\" is not an IPv4 address");
  expect_input_error([] { parse_dhclient(with(dhclient_bound(), "new_subnet_mask", "255.0.255.0")); },
                     "hook environment: new_subnet_mask \"255.0.255.0\" is not a netmask");
  expect_input_error([] { parse_dhclient(with(dhclient_bound(), "new_routers", "100.64.1.1 gw")); },
                     "hook environment: new_routers \"gw\" is not an IPv4 address");
  expect_input_error([] { parse_dhclient(with(dhclient_bound(), "reason", "BOUNCED")); },
                     "hook environment: reason \"BOUNCED\" is not a reason dhclient gives");
  expect_input_error(
      [] { parse_dhclient(with(with(dhclient_bound(), "reason", "EXPIRE"), "old_ip_address", "1.2.3")); },
      "hook environment: old_ip_address \"1.2.3\" is not an IPv4 address");
}

}  // namespace
}  // namespace uplinkd
