// SPDX-License-Identifier: GPL-2.0-or-later
// The balance and balance_local chains as text: what each mode and rule turns into.
#include "plan/mark_chains.hpp"

#include <gmock/gmock.h>

#include "nft/nft_script.hpp"
#include "plan/uplinkd_table.hpp"

namespace uplinkd::nft {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const uint32_t kA = 0x750000c9, kB = 0x750000ca;

Prefix prefix(const char* text) {
  return *Prefix::parse(text);
}

MarkPlan packet_plan() {
  MarkPlan plan;
  plan.spread = Spread::packet;
  plan.v4.destinations = {prefix("192.168.1.0/24")};
  plan.v4.shares = {{kA, 1}, {kB, 1}};
  plan.v4.live = {kA, kB};
  return plan;
}

std::string chain_text(const MarkPlan& plan, size_t index) {
  Table table{"inet", "uplinkd", {}, {}};
  add_mark_chains(table, plan);
  if (index >= table.chains.size()) return "";
  Table one{"inet", "uplinkd", {table.chains[index]}, {}};
  return render_table(one);
}

TEST(MarkChains, NothingToMarkAddsNoChain) {
  Table table{"inet", "uplinkd", {}, {}};
  add_mark_chains(table, MarkPlan{});
  EXPECT_TRUE(table.chains.empty());
  EXPECT_TRUE(table.maps.empty());
}

TEST(MarkChains, PacketModeIsTheSeedsEqualize) {
  EXPECT_EQ(
      chain_text(packet_plan(), 0),
      "table inet uplinkd {\n"
      "\tchain balance {\n"
      "\t\ttype filter hook prerouting priority mangle; policy accept;\n"
      "\t\tmeta nfproto ipv6 return\n"
      "\t\tfib daddr type { local, broadcast, multicast } return\n"
      "\t\tip daddr 192.168.1.0/24 meta mark set numgen inc mod 2 map { 0 : 0x750000c9, 1 : 0x750000ca }\n"
      "\t}\n"
      "}\n");
  EXPECT_EQ(
      chain_text(packet_plan(), 1),
      "table inet uplinkd {\n"
      "\tchain balance_local {\n"
      "\t\ttype route hook output priority mangle; policy accept;\n"
      "\t\tmeta nfproto ipv6 return\n"
      "\t\tmeta mark != 0x00000000 return\n"
      "\t\tfib daddr type { broadcast, multicast } return\n"
      "\t\tip daddr 192.168.1.0/24 meta mark set numgen inc mod 2 map { 0 : 0x750000c9, 1 : 0x750000ca }\n"
      "\t}\n"
      "}\n");
}

TEST(MarkChains, WeightsBecomeRangesReducedByTheirCommonDivisor) {
  auto plan = packet_plan();
  plan.v4.shares = {{kA, 2}, {kB, 6}};
  EXPECT_THAT(chain_text(plan, 0), HasSubstr("numgen inc mod 4 map { 0 : 0x750000c9, 1-3 : 0x750000ca }"));
  plan.v4.shares = {{kA, 256}, {kB, 1}};
  EXPECT_THAT(chain_text(plan, 0),
              HasSubstr("numgen inc mod 257 map { 0-255 : 0x750000c9, 256 : 0x750000ca }"));
}

TEST(MarkChains, OneUplinkNeedsNoCounter) {
  auto plan = packet_plan();
  plan.v4.shares = {{kB, 5}};
  EXPECT_THAT(chain_text(plan, 0), HasSubstr("ip daddr 192.168.1.0/24 meta mark set 0x750000ca\n"));
}

TEST(MarkChains, DefaultDestinationMatchesEverything) {
  auto plan = packet_plan();
  plan.v4.destinations = {prefix("default")};
  EXPECT_THAT(chain_text(plan, 0), HasSubstr("\t\tmeta mark set numgen"));
  plan.v4.destinations = {prefix("10.0.0.0/8"), prefix("172.16.0.0/12")};
  EXPECT_THAT(chain_text(plan, 0), HasSubstr("ip daddr { 10.0.0.0/8, 172.16.0.0/12 } meta mark set"));
}

TEST(MarkChains, ConnectionModeKeepsConnectionsOnTheirUplink) {
  auto plan = packet_plan();
  plan.spread = Spread::connection;
  plan.v4.destinations = {prefix("default")};
  plan.v4.interface_marks = {{"wan1", kA}, {"wan2", kB}};
  const auto forwarded = chain_text(plan, 0);
  EXPECT_THAT(forwarded, HasSubstr("ct mark { 0x750000c9, 0x750000ca } meta mark set ct mark return\n"));
  EXPECT_THAT(forwarded,
              HasSubstr("ct state new meta mark set iifname map { \"wan1\" : 0x750000c9, \"wan2\" : "
                        "0x750000ca } ct mark set meta mark return\n"));
  EXPECT_THAT(forwarded,
              HasSubstr("\t\tct state new meta mark set numgen inc mod 2 map { 0 : 0x750000c9, 1 : "
                        "0x750000ca } ct mark set meta mark\n"));
  // Before the return for local destinations: a port forward is addressed to this host until dstnat.
  EXPECT_LT(forwarded.find("iifname map"), forwarded.find("fib daddr type"));
  const auto local = chain_text(plan, 1);
  EXPECT_THAT(local, HasSubstr("ct state new ct mark set oifname map { \"wan1\" : 0x750000c9, \"wan2\" : "
                               "0x750000ca }\n"));
  EXPECT_THAT(local, Not(HasSubstr("numgen")));  // the machine's own connections keep the kernel's choice
}

TEST(MarkChains, StickySourcesRememberTheirUplink) {
  auto plan = packet_plan();
  plan.spread = Spread::connection;
  plan.sticky_timeout_s = 600;
  Table table{"inet", "uplinkd", {}, {}};
  add_mark_chains(table, plan);
  ASSERT_EQ(table.maps.size(), 2u);  // IPv6's too, unused until an uplink has IPv6
  EXPECT_EQ(table.maps[0].name, "sticky");
  EXPECT_EQ(table.maps[1].name, "sticky6");
  const auto forwarded = chain_text(plan, 0);
  // A remembered uplink is kept only while it takes new connections: the map is never edited when the group
  // changes; a source of a dead or drained uplink falls through, picks again, and the map learns it.
  EXPECT_THAT(forwarded, HasSubstr("ct state new meta mark set ip saddr map @sticky\n"
                                   "\t\tip daddr 192.168.1.0/24 ct state new meta mark { 0x750000c9, "
                                   "0x750000ca } ct mark set meta mark "
                                   "update @sticky { ip saddr : meta mark } return\n"));
  EXPECT_THAT(forwarded, HasSubstr("ct mark set meta mark update @sticky { ip saddr : meta mark }\n"));
}

TEST(MarkChains, ExcludedTrafficReturnsBeforeAnyMark) {
  auto plan = packet_plan();
  plan.excluded = {prefix("192.168.77.0/24"), prefix("203.0.113.7/32")};
  const auto text = chain_text(plan, 0);
  const auto excluded = text.find("ip daddr { 192.168.77.0/24, 203.0.113.7 } return");
  ASSERT_NE(excluded, std::string::npos);
  EXPECT_LT(excluded, text.find("meta mark set"));
}

TEST(MarkChains, RulesInOrderAndIifRulesOnlyForForwardedTraffic) {
  auto plan = packet_plan();
  plan.spread = Spread::connection;
  TrafficMatch voip{{}, {}, 17, PortRange{5060, 5060}, ""};
  TrafficMatch bulk{prefix("192.168.77.0/24"), prefix("203.0.113.0/24"), 6, PortRange{5000, 5010}, "lan0"};
  TrafficMatch vpn{{}, prefix("198.51.100.9/32"), 50, {}, ""};
  plan.rules = {{voip, false, Spread::connection, {{kA, 1}}},
                {bulk, false, Spread::packet, {{kA, 1}, {kB, 1}}},
                {vpn, true, Spread::connection, {}}};
  const auto forwarded = chain_text(plan, 0);
  const auto first = forwarded.find(
      "meta l4proto udp th dport 5060 ct state new meta mark set 0x750000c9 ct "
      "mark set meta mark return\n");
  const auto second = forwarded.find(
      "iifname \"lan0\" ip saddr 192.168.77.0/24 ip daddr 203.0.113.0/24 meta "
      "l4proto tcp th dport 5000-5010 meta mark set numgen inc mod 2 map");
  const auto third = forwarded.find("ip daddr 198.51.100.9 meta l4proto esp return\n");
  ASSERT_NE(first, std::string::npos) << forwarded;
  ASSERT_NE(second, std::string::npos) << forwarded;
  ASSERT_NE(third, std::string::npos) << forwarded;
  EXPECT_LT(first, second);
  EXPECT_LT(second, third);
  const auto local = chain_text(plan, 1);
  EXPECT_THAT(local, HasSubstr("th dport 5060"));
  EXPECT_THAT(local, Not(HasSubstr("lan0")));
}

TEST(MarkChains, TheWholeTableHoldsMarksPinningAndNat) {
  NatPlan nat{{"wan1"}, {{*IpAddress::parse("100.64.1.10"), kA}}};
  auto table = uplinkd_table(nat, packet_plan());
  ASSERT_EQ(table.chains.size(), 4u);
  EXPECT_EQ(table.chains[0].name, "balance");
  EXPECT_EQ(table.chains[1].name, "balance_local");
  EXPECT_EQ(table.chains[2].name, "pin");
  EXPECT_EQ(table.chains[3].name, "postrouting");
  EXPECT_TRUE(uplinkd_table(NatPlan{}, MarkPlan{}).chains.empty());
}

}  // namespace
}  // namespace uplinkd::nft
