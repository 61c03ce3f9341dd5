// SPDX-License-Identifier: GPL-2.0-or-later
// dhcpcd's DHCPv6 calls: the whole lease each time, from environments captured in real runs.
#include <gtest/gtest.h>

#include "hook_test_support.hpp"
#include "sources/hook_env.hpp"

namespace uplinkd {
namespace {

using testing::dhcpcd6_bound;
using testing::dhcpcd6_renumbered;
using testing::expect_input_error;
using testing::with;
using testing::without;

std::vector<Prefix> prefixes(std::initializer_list<const char*> texts) {
  std::vector<Prefix> list;
  for (const char* text : texts) list.push_back(*Prefix::parse(text));
  return list;
}

TEST(Dhcpcd6, BoundCarriesTheDelegationAndTheAddress) {
  auto event = parse_dhcpcd(dhcpcd6_bound());
  EXPECT_EQ(event.family, Family::v6);
  EXPECT_EQ(event.change, LeaseChange::up);
  EXPECT_EQ(event.interface, "wan2");
  EXPECT_EQ(event.delegated, prefixes({"2001:db8:2:100::/60"}));
  EXPECT_TRUE(event.withdrawn.empty());
  EXPECT_EQ(event.address, Prefix::parse("2001:db8:2::100/128"));
  EXPECT_TRUE(event.routers.empty());
}

// The old prefix comes back with valid lifetime 0; the old_ variables are not read.
TEST(Dhcpcd6, RenumberedAsCaptured) {
  auto event = parse_dhcpcd(dhcpcd6_renumbered());
  EXPECT_EQ(event.delegated, prefixes({"2001:db8:2:200::/60"}));
  EXPECT_EQ(event.withdrawn, prefixes({"2001:db8:2:100::/60"}));
}

TEST(Dhcpcd6, TheLogLineSaysWhatChanged) {
  EXPECT_EQ(describe(parse_dhcpcd(dhcpcd6_renumbered())),
            "dhcpcd REBIND6 on wan2: address 2001:db8:2::100/128; delegated 2001:db8:2:200::/60; withdrawn "
            "2001:db8:2:100::/60");
  EXPECT_EQ(describe(parse_dhcpcd(with(dhcpcd6_bound(), "reason", "STOP6"))), "dhcpcd STOP6 on wan2");
  EXPECT_EQ(describe(parse_dhcpcd(testing::dhcpcd_bound())), "dhcpcd BOUND on wwan0");
}

TEST(Dhcpcd6, SeveralIaPdAndPrefixes) {
  auto env = dhcpcd6_bound();
  env["new_dhcp6_ia_pd1_prefix2"] = "2001:db8:2:110::";
  env["new_dhcp6_ia_pd1_prefix2_length"] = "60";
  env["new_dhcp6_ia_pd2_prefix1"] = "fd00:2::";
  env["new_dhcp6_ia_pd2_prefix1_length"] = "48";
  env["new_dhcp6_ia_pd10_prefix1"] = "2001:db8:2:1000::";
  env["new_dhcp6_ia_pd10_prefix1_length"] = "56";
  // Not prefixes: other embedded values of the IA_PD, and names that only look alike.
  env["new_dhcp6_ia_pd2_iaid"] = "00000003";
  env["new_dhcp6_ia_pd1_prefix1x"] = "junk";
  env["new_dhcp6_ia_pd_prefix1"] = "junk";
  env["new_dhcp6_ia_pdx_prefix1"] = "junk";
  auto event = parse_dhcpcd(env);
  // In the order of the variables' names, which the rules do not depend on.
  EXPECT_EQ(event.delegated,
            prefixes({"2001:db8:2:1000::/56", "2001:db8:2:100::/60", "2001:db8:2:110::/60", "fd00:2::/48"}));
}

TEST(Dhcpcd6, WithoutIaPdNothingIsDelegated) {
  auto env = dhcpcd6_bound();
  std::erase_if(env, [](const auto& entry) { return entry.first.starts_with("new_dhcp6_ia_pd"); });
  auto event = parse_dhcpcd(env);
  EXPECT_EQ(event.change, LeaseChange::up);
  EXPECT_TRUE(event.delegated.empty());
}

// STOP6 as captured after `dhcpcd -k`: the lease in old_*, which the whole-lease rule does not need.
TEST(Dhcpcd6, DownEventsCarryNoPrefix) {
  auto env = dhcpcd6_bound();
  Environment stop;
  for (const auto& [name, value] : env)
    stop[name.starts_with("new_") ? "old_" + name.substr(4) : name] = value;
  stop["reason"] = "STOP6";
  stop["if_up"] = "false";
  stop["if_down"] = "true";
  for (const char* reason : {"STOP6", "EXPIRE6", "RELEASE6"}) {
    auto event = parse_dhcpcd(with(stop, "reason", reason));
    EXPECT_EQ(event.change, LeaseChange::down) << reason;
    EXPECT_EQ(event.family, Family::v6);
    EXPECT_TRUE(event.delegated.empty());
  }
}

TEST(Dhcpcd6, BadPrefixesNameTheVariable) {
  struct Case {
    const char* variable;
    const char* value;
    const char* says;
  };
  for (const auto& [variable, value, says] : std::initializer_list<Case>{
           {"new_dhcp6_ia_pd1_prefix1", "2001:db8:2:100::/60",
            "new_dhcp6_ia_pd1_prefix1 \"2001:db8:2:100::/60\" is not an IPv6 address"},
           {"new_dhcp6_ia_pd1_prefix1", "10.0.0.0", "is not an IPv6 address"},
           {"new_dhcp6_ia_pd1_prefix1", "fe80::", "new_dhcp6_ia_pd1_prefix1 \"fe80::/60\" is link-local"},
           {"new_dhcp6_ia_pd1_prefix1", "2001:db8:2:100::1",
            "\"2001:db8:2:100::1/60\" has bits set past its length"},
           {"new_dhcp6_ia_pd1_prefix1_length", "129",
            "new_dhcp6_ia_pd1_prefix1_length \"129\" is not a prefix length (0-128)"},
           {"new_dhcp6_ia_pd1_prefix1_length", "0", "is shorter than /16"},
           {"new_dhcp6_ia_pd1_prefix1_length", "",
            "new_dhcp6_ia_pd1_prefix1_length is missing for new_dhcp6_ia_pd1_prefix1"},
           {"new_dhcp6_ia_pd1_prefix1_vltime", "soon",
            "new_dhcp6_ia_pd1_prefix1_vltime \"soon\" is not a lifetime"},
           {"new_dhcp6_ia_na1_ia_addr1", "::1", "new_dhcp6_ia_na1_ia_addr1 \"::1\" is the loopback address"},
       }) {
    expect_input_error([&] { parse_dhcpcd(with(dhcpcd6_bound(), variable, value)); }, says);
  }
}

TEST(Dhcpcd6, AtMostSoManyPrefixes) {
  auto env = dhcpcd6_bound();
  for (size_t i = 1; i <= kMaxDelegatedPrefixes; ++i) {
    auto name = "new_dhcp6_ia_pd1_prefix" + std::to_string(i);
    env[name] = "2001:db8:2:" + std::to_string(100 + i) + "::";
    env[name + "_length"] = "64";
  }
  EXPECT_EQ(parse_dhcpcd(env).delegated.size(), kMaxDelegatedPrefixes);
  env["new_dhcp6_ia_pd2_prefix1"] = "2001:db8:3::";
  env["new_dhcp6_ia_pd2_prefix1_length"] = "64";
  expect_input_error([&] { parse_dhcpcd(env); }, "new_dhcp6_ia_pd2_prefix1 is one delegated prefix too many");
}

}  // namespace
}  // namespace uplinkd
