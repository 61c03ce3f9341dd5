// SPDX-License-Identifier: GPL-2.0-or-later
#include <gtest/gtest.h>

#include "hook_test_support.hpp"
#include "sources/hook_env.hpp"
#include "sources/hook_reasons.hpp"

namespace uplinkd {
namespace {

using testing::dhcpcd_bound;
using testing::expect_input_error;
using testing::with;
using testing::without;

struct ReasonCase {
  const char* reason;
  LeaseChange change;
  Family family = Family::v4;
};

// dhcpcd-run-hooks(8), dhcpcd 9.4.
constexpr ReasonCase kCases[] = {
    {"BOUND", LeaseChange::up},
    {"RENEW", LeaseChange::up},
    {"REBIND", LeaseChange::up},
    {"REBOOT", LeaseChange::up},
    {"STATIC", LeaseChange::up},
    {"TIMEOUT", LeaseChange::up},
    {"EXPIRE", LeaseChange::down},
    {"NAK", LeaseChange::down},
    {"NOCARRIER", LeaseChange::down},
    {"RELEASE", LeaseChange::down},
    {"STOP", LeaseChange::down},
    {"STOPPED", LeaseChange::down},
    {"DEPARTED", LeaseChange::down},
    {"FAIL", LeaseChange::down},
    {"PREINIT", LeaseChange::ignore},
    {"CARRIER", LeaseChange::ignore},
    {"NOCARRIER_ROAMING", LeaseChange::ignore},
    {"INFORM", LeaseChange::ignore},
    {"IPV4LL", LeaseChange::ignore},
    {"3RDPARTY", LeaseChange::ignore},
    {"RECONFIGURE", LeaseChange::ignore},
    {"TEST", LeaseChange::ignore},
    {"BOUND6", LeaseChange::up, Family::v6},
    {"RENEW6", LeaseChange::up, Family::v6},
    {"REBIND6", LeaseChange::up, Family::v6},
    {"REBOOT6", LeaseChange::up, Family::v6},
    {"TIMEOUT6", LeaseChange::up, Family::v6},
    {"EXPIRE6", LeaseChange::down, Family::v6},
    {"RELEASE6", LeaseChange::down, Family::v6},
    {"STOP6", LeaseChange::down, Family::v6},
    {"INFORM6", LeaseChange::ignore, Family::v6},
    {"DELEGATED6", LeaseChange::ignore, Family::v6},
    {"UNKNOWN6", LeaseChange::ignore, Family::v6},
    {"STATIC6", LeaseChange::ignore, Family::v6},
    {"ROUTERADVERT", LeaseChange::ignore, Family::v6},
};

class DhcpcdReason : public ::testing::TestWithParam<ReasonCase> {};

TEST_P(DhcpcdReason, MapsToItsLeaseChange) {
  auto env = with(dhcpcd_bound(), "reason", GetParam().reason);
  env["old_ip_address"] = "10.20.30.41";
  env["old_subnet_cidr"] = "22";
  // dhcpcd's protocol for the reason (script.c: a reason ending in 6 is dhcp6).
  if (GetParam().family == Family::v6)
    env["protocol"] = std::string(GetParam().reason) == "ROUTERADVERT" ? "ra"
                      : std::string(GetParam().reason) == "STATIC6"    ? "static6"
                                                                       : "dhcp6";
  auto event = parse_dhcpcd(env);
  EXPECT_EQ(event.client, DhcpClient::dhcpcd);
  EXPECT_EQ(event.interface, "wwan0");
  EXPECT_EQ(event.change, GetParam().change);
  EXPECT_EQ(event.family, GetParam().family);
  if (GetParam().family == Family::v6) {
    EXPECT_EQ(event.address, std::nullopt);  // not the IPv4 lease's variables
    EXPECT_EQ(event.old_address, std::nullopt);
    EXPECT_TRUE(event.routers.empty());
    return;
  }
  if (GetParam().change == LeaseChange::up) {
    EXPECT_EQ(event.address, Prefix::parse("10.20.30.40/22"));
    EXPECT_EQ(event.routers, std::vector{*IpAddress::parse("10.20.28.1")});
  } else {
    EXPECT_EQ(event.address, std::nullopt);
  }
  if (GetParam().change != LeaseChange::ignore) {
    EXPECT_EQ(event.old_address, Prefix::parse("10.20.30.41/22"));
  }
}

INSTANTIATE_TEST_SUITE_P(AllReasons, DhcpcdReason, ::testing::ValuesIn(kCases),
                         [](const auto& info) { return "R" + std::string(info.param.reason); });

TEST(Dhcpcd, EveryReasonTheParserKnowsIsTested) {
  for (const auto& known : hook_reasons(DhcpClient::dhcpcd)) {
    bool tested = false;
    for (const auto& test_case : kCases) tested |= known.reason == test_case.reason;
    EXPECT_TRUE(tested) << known.reason;
  }
}

TEST(Dhcpcd, EitherCidrOrMaskWillDo) {
  EXPECT_EQ(parse_dhcpcd(without(dhcpcd_bound(), "new_subnet_mask")).address,
            Prefix::parse("10.20.30.40/22"));
  EXPECT_EQ(parse_dhcpcd(without(dhcpcd_bound(), "new_subnet_cidr")).address,
            Prefix::parse("10.20.30.40/22"));
  expect_input_error(
      [] { parse_dhcpcd(without(without(dhcpcd_bound(), "new_subnet_cidr"), "new_subnet_mask")); },
      "new_subnet_cidr or new_subnet_mask is missing");
}

TEST(Dhcpcd, CidrAndMaskMustAgree) {
  expect_input_error(
      [] { parse_dhcpcd(with(dhcpcd_bound(), "new_subnet_mask", "255.255.255.0")); },
      "hook environment: new_subnet_mask \"255.255.255.0\" disagrees with new_subnet_cidr (/22)");
}

TEST(Dhcpcd, CidrOutOfRange) {
  for (const char* bad : {"33", "-1", "+24", "24 ", "", "4294967320", "99999999999999999999999", "0x18"}) {
    auto env = without(with(dhcpcd_bound(), "new_subnet_cidr", bad), "new_subnet_mask");
    if (std::string(bad).empty())
      expect_input_error([&] { parse_dhcpcd(env); }, "is missing");
    else
      expect_input_error([&] { parse_dhcpcd(env); },
                         "new_subnet_cidr \"" + std::string(bad) + "\" is not a prefix length (0-32)");
  }
}

// An IPv4 reason with an IPv6 protocol (or the other way round) says nothing certain about either lease.
TEST(Dhcpcd, IpV6AndLinkLocalProtocolsAreIgnored) {
  for (const char* protocol : {"dhcp6", "ipv6ra", "ra", "static6", "ipv4ll"}) {
    auto event = parse_dhcpcd(with(with(dhcpcd_bound(), "protocol", protocol), "reason", "EXPIRE"));
    EXPECT_EQ(event.change, LeaseChange::ignore) << protocol;
  }
  for (const char* protocol : {"dhcp", "link", "ipv4ll"}) {
    auto event = parse_dhcpcd(with(testing::dhcpcd6_bound(), "protocol", protocol));
    EXPECT_EQ(event.change, LeaseChange::ignore) << protocol;
  }
}

TEST(Dhcpcd, StaticConfiguration) {
  auto env = with(with(dhcpcd_bound(), "reason", "STATIC"), "protocol", "static");
  EXPECT_EQ(parse_dhcpcd(env).change, LeaseChange::up);
}

TEST(Dhcpcd, NoCarrierCarriesTheOldLease) {
  Environment env = {{"interface", "wwan0"},   {"pid", "812"},
                     {"reason", "NOCARRIER"},  {"protocol", "link"},
                     {"ifcarrier", "down"},    {"if_up", "false"},
                     {"if_down", "true"},      {"old_ip_address", "10.20.30.40"},
                     {"old_subnet_cidr", "22"}};
  auto event = parse_dhcpcd(env);
  EXPECT_EQ(event.change, LeaseChange::down);
  EXPECT_EQ(event.old_address, Prefix::parse("10.20.30.40/22"));
}

}  // namespace
}  // namespace uplinkd
