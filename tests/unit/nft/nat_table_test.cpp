// SPDX-License-Identifier: GPL-2.0-or-later
#include <gtest/gtest.h>

#include "nft/nft_script.hpp"

namespace uplinkd {
namespace {

TEST(RenderNatTable, MasqueradesEachInterfaceInOneTransaction) {
  EXPECT_EQ(render_nat_table(NatPlan{{"eth0", "wwan0"}, {}}),
            "add table inet uplinkd\n"
            "delete table inet uplinkd\n"
            "table inet uplinkd {\n"
            "\tchain postrouting {\n"
            "\t\ttype nat hook postrouting priority srcnat; policy accept;\n"
            "\t\tmeta nfproto ipv4 oifname \"eth0\" masquerade\n"
            "\t\tmeta nfproto ipv4 oifname \"wwan0\" masquerade\n"
            "\t}\n"
            "}\n");
}

TEST(RenderNatTable, PinsEstablishedConnectionsByTheirNatAddress) {
  NatPlan plan{
      {"wan1"},
      {{*IpAddress::parse("100.64.1.23"), 0x750000c9}, {*IpAddress::parse("100.64.2.7"), 0x750000ca}}};
  auto table = nft::nat_table(plan);
  ASSERT_EQ(table.chains.size(), 2u);
  EXPECT_EQ(table.chains[0].name, "pin");
  EXPECT_EQ(table.chains[0].hook, (nft::ChainHook{"filter", "prerouting", "mangle + 1"}));
  EXPECT_EQ(
      table.chains[0].rules,
      (std::vector<std::string>{"meta nfproto ipv4 ct direction original meta mark set ct reply ip daddr map "
                                "{ 100.64.1.23 : 0x750000c9, 100.64.2.7 : 0x750000ca }",
                                // replies of a connection from outside (a forwarded port) by where it came in
                                "meta nfproto ipv4 ct direction reply meta mark set ct original ip daddr map "
                                "{ 100.64.1.23 : 0x750000c9, 100.64.2.7 : 0x750000ca }"}));
  EXPECT_EQ(table.chains[1].name, "postrouting");
}

TEST(RenderNatTable, EmptyPlanRemovesTheTable) {
  EXPECT_EQ(render_nat_table(NatPlan{}), "add table inet uplinkd\ndelete table inet uplinkd\n");
}

TEST(RenderNatTable, KeepsThePlansOrder) {
  auto text = render_nat_table(NatPlan{{"ppp0", "eth1", "eth0.100"}, {}});
  auto ppp0 = text.find("\"ppp0\"");
  auto eth1 = text.find("\"eth1\"");
  auto vlan = text.find("\"eth0.100\"");
  EXPECT_LT(ppp0, eth1);
  EXPECT_LT(eth1, vlan);
}

TEST(NatTable, IsUplinkdsOwnTable) {
  auto table = nft::nat_table(NatPlan{{"eth0"}, {}});
  EXPECT_EQ(table.family, "inet");
  EXPECT_EQ(table.name, "uplinkd");
  ASSERT_EQ(table.chains.size(), 1u);
  EXPECT_EQ(table.chains[0].hook, (nft::ChainHook{"nat", "postrouting", "srcnat", "accept"}));
  EXPECT_TRUE(nft::nat_table(NatPlan{}).chains.empty());
}

TEST(NatTable, OtherChainsOfTheTableStay) {
  // How the packet and connection modes will share the table: each adds its chains to the same Table.
  nft::Table table{
      "inet", "uplinkd", {nft::Chain{"mark", nft::ChainHook{"filter", "prerouting", "mangle"}, {}}}, {}};
  nft::add_nat_chains(table, NatPlan{{"eth0"}, {}});
  ASSERT_EQ(table.chains.size(), 2u);
  EXPECT_EQ(table.chains[0].name, "mark");
  EXPECT_EQ(table.chains[1].name, "postrouting");
}

// NAT66: the IPv6 rule of each uplink that carries IPv6 masquerades every source but the routed prefixes.
TEST(NatTable, MasqueradesIpv6ExceptTheUntranslatedPrefixes) {
  NatPlan plan{{"wan1", "wan2"}, {}};
  plan.masquerade6_interfaces = {"wan2"};
  plan.untranslated6 = {*Prefix::parse("2001:db8:1::/64"), *Prefix::parse("2001:db8:1:100::/60"),
                        *Prefix::parse("fe80::/10")};
  auto table = nft::nat_table(plan);
  ASSERT_EQ(table.chains.size(), 1u);
  EXPECT_EQ(table.chains[0].rules, (std::vector<std::string>{
                                       "meta nfproto ipv4 oifname \"wan1\" masquerade",
                                       "meta nfproto ipv4 oifname \"wan2\" masquerade",
                                       "meta nfproto ipv6 oifname \"wan2\" ip6 saddr != { 2001:db8:1::/64, "
                                       "2001:db8:1:100::/60, fe80::/10 } "
                                       "masquerade",
                                   }));
}

TEST(NatTable, MasqueradesAllIpv6WhenNoPrefixIsKnown) {
  NatPlan plan{{"wan1"}, {}};
  plan.masquerade6_interfaces = {"wan1"};
  EXPECT_EQ(nft::nat_table(plan).chains[0].rules.back(), "meta nfproto ipv6 oifname \"wan1\" masquerade");
}

TEST(NatTable, TranslatesTheLanPrefixBeforeMasquerading) {
  NatPlan plan{{"wan1", "wan2"}, {}};
  plan.masquerade6_interfaces = {"wan1", "wan2"};
  plan.untranslated6 = {*Prefix::parse("fe80::/10")};
  plan.translations6 = {{"wan2", *Prefix::parse("fd00:1::/64"), *Prefix::parse("2001:db8:2:10f::/64")}};
  auto table = nft::nat_table(plan);
  ASSERT_EQ(table.chains.size(), 2u);
  EXPECT_EQ(table.chains[1].name, "postrouting");
  EXPECT_EQ(table.chains[1].rules,
            (std::vector<std::string>{
                "meta nfproto ipv4 oifname \"wan1\" masquerade",
                "meta nfproto ipv6 oifname \"wan1\" ip6 saddr != { fe80::/10 } masquerade",
                "meta nfproto ipv4 oifname \"wan2\" masquerade",
                "oifname \"wan2\" ip6 saddr fd00:1::/64 snat ip6 prefix to 2001:db8:2:10f::/64",
                "meta nfproto ipv6 oifname \"wan2\" ip6 saddr != { fe80::/10 } masquerade",
            }));
}

// NPTv6 is one-to-one both ways: a connection from outside to the translated prefix reaches the LAN host.
TEST(NatTable, TranslatesConnectionsFromOutsideToTheLanHost) {
  NatPlan plan{{"wan1", "wan2"}, {}};
  plan.masquerade6_interfaces = {"wan1", "wan2"};
  plan.translations6 = {{"wan1", *Prefix::parse("fd00:1::/64"), *Prefix::parse("2001:db8:1:10f::/64")},
                        {"wan2", *Prefix::parse("fd00:1::/64"), *Prefix::parse("2001:db8:2:2ff::/64")}};
  auto table = nft::nat_table(plan);
  ASSERT_EQ(table.chains.size(), 2u);
  EXPECT_EQ(table.chains[0].name, "prerouting");
  EXPECT_EQ(table.chains[0].hook, (nft::ChainHook{"nat", "prerouting", "dstnat", "accept"}));
  EXPECT_EQ(table.chains[0].rules,
            (std::vector<std::string>{
                "iifname \"wan1\" ip6 daddr 2001:db8:1:10f::/64 dnat ip6 prefix to fd00:1::/64",
                "iifname \"wan2\" ip6 daddr 2001:db8:2:2ff::/64 dnat ip6 prefix to fd00:1::/64",
            }));
  EXPECT_EQ(table.chains[1].name, "postrouting");
}

TEST(NatTableDeathTest, RefusesAnInterfaceNameThatIsNotPlain) {
  EXPECT_DEATH(render_nat_table(NatPlan{{"eth0\" accept; oifname \"x"}, {}}), "not plain");
  EXPECT_DEATH(render_nat_table(NatPlan{{""}, {}}), "not plain");
}

}  // namespace
}  // namespace uplinkd
