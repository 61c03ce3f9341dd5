// SPDX-License-Identifier: GPL-2.0-or-later
#include <gtest/gtest.h>

#include "hook_test_support.hpp"
#include "sources/hook_env.hpp"

namespace uplinkd {
namespace {

using testing::dhclient_bound;
using testing::dhcpcd_bound;
using testing::expect_input_error;
using testing::udhcpc_bound;
using testing::with;
using testing::without;

TEST(ParseHook, GuessesEachClient) {
  EXPECT_EQ(parse_hook(std::nullopt, {}, dhclient_bound()).client, DhcpClient::dhclient);
  EXPECT_EQ(parse_hook(std::nullopt, {}, dhcpcd_bound()).client, DhcpClient::dhcpcd);
  EXPECT_EQ(parse_hook(std::nullopt, {"renew"}, udhcpc_bound()).client, DhcpClient::udhcpc);
}

TEST(ParseHook, AnyOfDhcpcdsOwnVariablesGivesItAway) {
  for (const char* variable : {"ifcarrier", "protocol", "if_up"}) {
    EXPECT_EQ(parse_hook(std::nullopt, {}, with(dhclient_bound(), variable, "up")).client, DhcpClient::dhcpcd)
        << variable;
  }
}

// dhclient 4.4 sets pid (and dad_wait_time) in every call, as the captured DHCPv6 environments show.
TEST(ParseHook, DhclientsPidDoesNotMakeItDhcpcd) {
  EXPECT_EQ(parse_hook(std::nullopt, {}, testing::dhclient6_bound_prefix()).client, DhcpClient::dhclient);
  EXPECT_EQ(parse_hook(std::nullopt, {}, testing::dhcpcd6_bound()).client, DhcpClient::dhcpcd);
}

TEST(ParseHook, GivenClientWinsOverTheGuess) {
  // dhcpcd's environment read as dhclient's: dhclient has no new_subnet_cidr, but the mask is there too.
  auto event = parse_hook(DhcpClient::dhclient, {}, dhcpcd_bound());
  EXPECT_EQ(event.client, DhcpClient::dhclient);
  EXPECT_EQ(event.address, Prefix::parse("10.20.30.40/22"));
}

TEST(ParseHook, OnlyUdhcpcTakesArguments) {
  expect_input_error(
      [] { parse_hook(DhcpClient::dhclient, {"bound"}, dhclient_bound()); },
      "hook arguments: unexpected argument \"bound\" (dhclient passes its lease in the environment only)");
  expect_input_error([] { parse_hook(DhcpClient::udhcpc, {}, udhcpc_bound()); },
                     "hook arguments: udhcpc's action is missing");
}

TEST(ParseHook, GuessedUdhcpcWithAnUnknownWord) {
  expect_input_error([] { parse_hook(std::nullopt, {"up"}, dhclient_bound()); },
                     "hook arguments: action \"up\" is not one udhcpc gives");
}

TEST(HookEvent, ClientAndChangeWords) {
  for (auto client : {DhcpClient::dhclient, DhcpClient::dhcpcd, DhcpClient::udhcpc})
    EXPECT_EQ(dhcp_client_from_string(to_string(client)), client);
  for (auto change : {LeaseChange::up, LeaseChange::down, LeaseChange::ignore})
    EXPECT_EQ(lease_change_from_string(to_string(change)), change);
  EXPECT_EQ(dhcp_client_from_string("dhclient3"), std::nullopt);
  EXPECT_EQ(lease_change_from_string("UP"), std::nullopt);
}

}  // namespace
}  // namespace uplinkd
