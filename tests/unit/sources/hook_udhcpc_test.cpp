// SPDX-License-Identifier: GPL-2.0-or-later
#include <gtest/gtest.h>

#include "hook_test_support.hpp"
#include "sources/hook_env.hpp"
#include "sources/hook_reasons.hpp"

namespace uplinkd {
namespace {

using testing::expect_input_error;
using testing::udhcpc_bound;
using testing::with;
using testing::without;

struct ActionCase {
  const char* action;
  LeaseChange change;
};

constexpr ActionCase kCases[] = {
    {"bound", LeaseChange::up},         {"renew", LeaseChange::up},   {"deconfig", LeaseChange::down},
    {"leasefail", LeaseChange::ignore}, {"nak", LeaseChange::ignore},
};

class UdhcpcAction : public ::testing::TestWithParam<ActionCase> {};

TEST_P(UdhcpcAction, MapsToItsLeaseChange) {
  auto event = parse_udhcpc({GetParam().action}, udhcpc_bound());
  EXPECT_EQ(event.client, DhcpClient::udhcpc);
  EXPECT_EQ(event.reason, GetParam().action);
  EXPECT_EQ(event.interface, "eth2");
  EXPECT_EQ(event.change, GetParam().change);
  if (GetParam().change == LeaseChange::up) {
    EXPECT_EQ(event.address, Prefix::parse("192.0.2.77/25"));
    EXPECT_EQ(event.routers, (std::vector{*IpAddress::parse("192.0.2.1"), *IpAddress::parse("192.0.2.2")}));
  } else {
    EXPECT_EQ(event.address, std::nullopt);
  }
}

INSTANTIATE_TEST_SUITE_P(AllActions, UdhcpcAction, ::testing::ValuesIn(kCases),
                         [](const auto& info) { return std::string(info.param.action); });

TEST(Udhcpc, EveryActionTheParserKnowsIsTested) {
  for (const auto& known : hook_reasons(DhcpClient::udhcpc)) {
    bool tested = false;
    for (const auto& test_case : kCases) tested |= known.reason == test_case.action;
    EXPECT_TRUE(tested) << known.reason;
  }
}

TEST(Udhcpc, DeconfigAtStartHasOnlyTheInterface) {
  auto event = parse_udhcpc({"deconfig"}, {{"interface", "eth2"}});
  EXPECT_EQ(event.change, LeaseChange::down);
}

TEST(Udhcpc, OldBusyboxWithoutMask) {
  EXPECT_EQ(parse_udhcpc({"bound"}, without(udhcpc_bound(), "mask")).address, Prefix::parse("192.0.2.77/25"));
  EXPECT_EQ(parse_udhcpc({"bound"}, without(udhcpc_bound(), "subnet")).address,
            Prefix::parse("192.0.2.77/25"));
}

TEST(Udhcpc, NakCarriesAMessage) {
  auto env = with(udhcpc_bound(), "message", "requested address not available; rm -rf /");
  EXPECT_EQ(parse_udhcpc({"nak"}, env).change, LeaseChange::ignore);
}

TEST(Udhcpc, ActionProblems) {
  expect_input_error([] { parse_udhcpc({}, udhcpc_bound()); }, "hook arguments: udhcpc's action is missing");
  expect_input_error(
      [] {
        parse_udhcpc({"bound", "extra"}, udhcpc_bound());
      },
      "hook arguments: unexpected argument \"extra\"");
  expect_input_error([] { parse_udhcpc({"BOUND"}, udhcpc_bound()); },
                     "hook arguments: action \"BOUND\" is not one udhcpc gives");
  expect_input_error([] { parse_udhcpc({"bound;reboot"}, udhcpc_bound()); }, "action \"bound;reboot\"");
}

TEST(Udhcpc, BadValuesAreNamed) {
  expect_input_error([] { parse_udhcpc({"bound"}, with(udhcpc_bound(), "ip", "192.0.2.777")); },
                     "hook environment: ip \"192.0.2.777\" is not an IPv4 address");
  expect_input_error([] { parse_udhcpc({"bound"}, with(udhcpc_bound(), "mask", "26")); },
                     "hook environment: subnet \"255.255.255.128\" disagrees with mask (/26)");
  expect_input_error([] { parse_udhcpc({"renew"}, with(udhcpc_bound(), "router", "192.0.2.1,192.0.2.2")); },
                     "hook environment: router \"192.0.2.1,192.0.2.2\" is not an IPv4 address");
}

}  // namespace
}  // namespace uplinkd
