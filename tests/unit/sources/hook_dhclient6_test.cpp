// SPDX-License-Identifier: GPL-2.0-or-later
// dhclient -6: one hook call per binding, from environments captured in real runs (hook_test_support.hpp).
#include <gtest/gtest.h>

#include "hook_test_support.hpp"
#include "sources/hook_env.hpp"

namespace uplinkd {
namespace {

using testing::dhclient6_bound_address;
using testing::dhclient6_bound_prefix;
using testing::expect_input_error;
using testing::with;
using testing::without;

std::vector<Prefix> prefixes(std::initializer_list<const char*> texts) {
  std::vector<Prefix> list;
  for (const char* text : texts) list.push_back(*Prefix::parse(text));
  return list;
}

TEST(Dhclient6, TheAddressCallCarriesNoDelegation) {
  auto event = parse_dhclient(dhclient6_bound_address());
  EXPECT_EQ(event.family, Family::v6);
  EXPECT_EQ(event.change, LeaseChange::up);
  EXPECT_EQ(event.interface, "wan1");
  EXPECT_EQ(event.address, Prefix::parse("2001:db8:1::100/128"));
  EXPECT_TRUE(event.delegated.empty());
  EXPECT_TRUE(event.withdrawn.empty());
  EXPECT_TRUE(event.routers.empty());
}

TEST(Dhclient6, ThePrefixCallDelegatesIt) {
  auto event = parse_dhclient(dhclient6_bound_prefix());
  EXPECT_EQ(event.family, Family::v6);
  EXPECT_EQ(event.change, LeaseChange::up);
  EXPECT_EQ(event.address, std::nullopt);
  EXPECT_EQ(event.delegated, prefixes({"2001:db8:1:100::/60"}));
  EXPECT_TRUE(event.withdrawn.empty());
}

// A renew of the same binding names it as old_ too: nothing is withdrawn.
TEST(Dhclient6, RenewOfTheSamePrefix) {
  auto env =
      with(with(dhclient6_bound_prefix(), "reason", "RENEW6"), "old_ip6_prefix", "2001:db8:1:100::/60");
  auto event = parse_dhclient(env);
  EXPECT_EQ(event.delegated, prefixes({"2001:db8:1:100::/60"}));
  EXPECT_TRUE(event.withdrawn.empty());
}

// After the server renumbered: REBIND6 for the new prefix (no old_ip6_prefix, as dhclient matches old
// bindings by prefix), then for the old one with lifetimes 0, then DEPREF6 and EXPIRE6 for the old one.
TEST(Dhclient6, RenumberingAsCaptured) {
  auto fresh =
      with(with(dhclient6_bound_prefix(), "reason", "REBIND6"), "new_ip6_prefix", "2001:db8:1:200::/60");
  auto event = parse_dhclient(fresh);
  EXPECT_EQ(event.delegated, prefixes({"2001:db8:1:200::/60"}));
  EXPECT_TRUE(event.withdrawn.empty());

  auto taken_back = with(with(with(with(dhclient6_bound_prefix(), "reason", "REBIND6"), "new_max_life", "0"),
                              "new_preferred_life", "0"),
                         "old_ip6_prefix", "2001:db8:1:100::/60");
  event = parse_dhclient(taken_back);
  EXPECT_EQ(event.change, LeaseChange::up);
  EXPECT_TRUE(event.delegated.empty());
  EXPECT_EQ(event.withdrawn, prefixes({"2001:db8:1:100::/60"}));

  event = parse_dhclient({{"reason", "DEPREF6"},
                          {"interface", "wan1"},
                          {"pid", "29346"},
                          {"cur_ip6_prefix", "2001:db8:1:100::/60"}});
  EXPECT_EQ(event.change, LeaseChange::ignore);

  event = parse_dhclient({{"reason", "EXPIRE6"},
                          {"interface", "wan1"},
                          {"old_iaid", "76:52:57:04"},
                          {"old_ip6_prefix", "2001:db8:1:100::/60"},
                          {"old_max_life", "0"},
                          {"old_preferred_life", "0"}});
  EXPECT_EQ(event.change, LeaseChange::down);
  EXPECT_EQ(event.withdrawn, prefixes({"2001:db8:1:100::/60"}));
}

// RELEASE6 and STOP6 come once per binding, each with its own old_ values.
TEST(Dhclient6, ReleaseNamesEachBinding) {
  auto event = parse_dhclient({{"reason", "RELEASE6"},
                               {"interface", "wan1"},
                               {"old_ip6_address", "2001:db8:1::100"},
                               {"old_ip6_prefixlen", "128"}});
  EXPECT_EQ(event.change, LeaseChange::down);
  EXPECT_EQ(event.old_address, Prefix::parse("2001:db8:1::100/128"));
  EXPECT_TRUE(event.withdrawn.empty());
  event =
      parse_dhclient({{"reason", "STOP6"}, {"interface", "wan1"}, {"old_ip6_prefix", "2001:db8:1:200::/60"}});
  EXPECT_EQ(event.withdrawn, prefixes({"2001:db8:1:200::/60"}));
}

// The IPv4 variables of a DHCPv6 call (there are none in reality) are not read, and the other way round.
TEST(Dhclient6, TheFamiliesDoNotMix) {
  auto v6 = parse_dhclient(with(testing::dhclient_bound(), "reason", "BOUND6"));
  EXPECT_EQ(v6.address, std::nullopt);
  auto v4 = parse_dhclient(with(testing::dhclient_bound(), "new_ip6_prefix", "2001:db8:1:100::/60"));
  EXPECT_EQ(v4.family, Family::v4);
  EXPECT_TRUE(v4.delegated.empty());
}

TEST(Dhclient6, BadPrefixesNameTheVariable) {
  struct Case {
    const char* value;
    const char* says;
  };
  for (const auto& [value, says] : std::initializer_list<Case>{
           {"2001:db8:1:100::", "new_ip6_prefix \"2001:db8:1:100::\" has no prefix length"},
           {"2001:db8:1:100::/129", "new_ip6_prefix \"129\" is not a prefix length (0-128)"},
           {"2001:db8:1:100::/6o", "is not a prefix length"},
           {"2001:db8:1:100::1/60", "new_ip6_prefix \"2001:db8:1:100::1/60\" has bits set past its length"},
           {"::/0", "new_ip6_prefix \"::/0\" is shorter than /16"},
           {"fe80::/64", "is link-local"},
           {"ff05::/16", "is multicast"},
           {"::ffff:0:0/96", "is in ::/8"},
           {"100.64.1.0/24", "new_ip6_prefix \"100.64.1.0\" is not an IPv6 address"},
           {"2001:db8:1:100::/60 2001:db8:1:200::/60", "is not a prefix length"},
       }) {
    expect_input_error([&] { parse_dhclient(with(dhclient6_bound_prefix(), "new_ip6_prefix", value)); },
                       says);
  }
  expect_input_error([] { parse_dhclient(with(dhclient6_bound_prefix(), "new_max_life", "-1")); },
                     "new_max_life \"-1\" is not a lifetime in seconds");
  expect_input_error([] { parse_dhclient(with(dhclient6_bound_address(), "new_ip6_address", "ff02::1")); },
                     "new_ip6_address \"ff02::1\" is a multicast address");
  expect_input_error(
      [] {
        parse_dhclient({{"reason", "EXPIRE6"}, {"interface", "wan1"}, {"old_ip6_prefix", "junk/60"}});
      },
      "old_ip6_prefix \"junk\" is not an IPv6 address");
}

TEST(Dhclient6, AnInfiniteLifetimeIsValid) {
  auto event = parse_dhclient(with(dhclient6_bound_prefix(), "new_max_life", "4294967295"));
  EXPECT_EQ(event.delegated, prefixes({"2001:db8:1:100::/60"}));
  EXPECT_EQ(parse_dhclient(without(dhclient6_bound_prefix(), "new_max_life")).delegated,
            prefixes({"2001:db8:1:100::/60"}));
}

}  // namespace
}  // namespace uplinkd
