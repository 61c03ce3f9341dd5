// SPDX-License-Identifier: GPL-2.0-or-later
// The balance and balance_local chains of a dual-stack plan as text, table driven: one rule where both
// families agree, one per family (behind `meta nfproto`) where their uplinks differ, the uplinks' own IPv6
// prefixes never marked, and the pin chain's IPv6 map of prefixes.
#include <gmock/gmock.h>

#include <functional>

#include "plan/mark_chains.hpp"
#include "plan/nat_chains.hpp"
#include "plan/uplinkd_table.hpp"

namespace uplinkd::nft {
namespace {

using ::testing::ElementsAreArray;

const uint32_t kA = 0x750000c9, kB = 0x750000ca;

Prefix prefix(const char* text) {
  return *Prefix::parse(text);
}

// Connection mode over wan1 (weight 1) and wan2 (weight 3), both families usable on both, to default and
// default6.
MarkPlan dual_plan() {
  MarkPlan plan;
  plan.spread = Spread::connection;
  plan.marks_ipv6 = true;
  plan.v4 = {{prefix("default")}, {{kA, 1}, {kB, 3}}, {kA, kB}, {{"wan1", kA}, {"wan2", kB}}};
  plan.v6 = {{prefix("default6")}, {{kA, 1}, {kB, 3}}, {kA, kB}, {{"wan1", kA}, {"wan2", kB}}};
  plan.unmarked_sources6 = {prefix("2001:db8:1::/64"), prefix("2001:db8:2::/64"), prefix("fe80::/10")};
  return plan;
}

// wan1's IPv6 is down: IPv6 goes by wan2 alone, IPv4 by both.
void wan1_ipv6_down(MarkPlan& plan) {
  plan.v6.shares = {{kB, 3}};
  plan.v6.live = {kB};
  plan.v6.interface_marks = {{"wan2", kB}};
}

const std::string kUnmarked = "ip6 saddr { 2001:db8:1::/64, 2001:db8:2::/64, fe80::/10 } return";
const std::string kFib = "fib daddr type { local, broadcast, multicast } return";
const std::string kFibLocal = "fib daddr type { broadcast, multicast } return";
// The router's own neighbour discovery stays on the link it was sent on (a mark would route it again).
const std::string kNdLocal =
    "icmpv6 type { nd-router-solicit, nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert, nd-redirect "
    "} return";
const std::string kLive = "ct mark { 0x750000c9, 0x750000ca } meta mark set ct mark return";
const std::string kArrival =
    "ct state new meta mark set iifname map { \"wan1\" : 0x750000c9, \"wan2\" : 0x750000ca } ct mark set "
    "meta "
    "mark return";
const std::string kSpread =
    "ct state new meta mark set numgen inc mod 4 map { 0 : 0x750000c9, 1-3 : 0x750000ca } ct mark set meta "
    "mark";

struct ChainCase {
  std::string name;
  std::function<void(MarkPlan&)> change;
  bool forwarded;
  std::vector<std::string> rules;  // the chain's rules, all of them, in order
};

class DualStackChain : public ::testing::TestWithParam<ChainCase> {};

TEST_P(DualStackChain, HasExactlyTheseRules) {
  const ChainCase& c = GetParam();
  MarkPlan plan = dual_plan();
  c.change(plan);
  Table table{"inet", "uplinkd", {}, {}};
  add_mark_chains(table, plan);
  ASSERT_EQ(table.chains.size(), 2u);
  const Chain& chain = table.chains[c.forwarded ? 0 : 1];
  EXPECT_EQ(chain.name, c.forwarded ? "balance" : "balance_local");
  EXPECT_THAT(chain.rules, ElementsAreArray(c.rules));
}

INSTANTIATE_TEST_SUITE_P(
    Cases, DualStackChain,
    ::testing::Values(
        // Both families alike: one rule each, as for IPv4 alone, without its `meta nfproto ipv6 return`.
        ChainCase{"FamiliesAlike", [](MarkPlan&) {}, true, {kUnmarked, kLive, kArrival, kFib, kSpread}},
        ChainCase{"FamiliesAlikeLocal",
                  [](MarkPlan&) {},
                  false,
                  {"meta mark != 0x00000000 return", kUnmarked, kLive, kFibLocal, kNdLocal,
                   "ct state new ct mark set oifname map { \"wan1\" : 0x750000c9, \"wan2\" : 0x750000ca }"}},
        ChainCase{
            "FamiliesDiffer",
            wan1_ipv6_down,
            true,
            {kUnmarked, "meta nfproto ipv4 " + kLive,
             "meta nfproto ipv6 ct mark { 0x750000ca } meta mark set ct mark return",
             "meta nfproto ipv4 " + kArrival,
             "meta nfproto ipv6 ct state new meta mark set iifname map { \"wan2\" : 0x750000ca } ct mark "
             "set meta mark return",
             kFib, "meta nfproto ipv4 " + kSpread,
             "meta nfproto ipv6 ct state new meta mark set 0x750000ca ct mark set meta mark"}},
        ChainCase{"NoIpv6Uplink",
                  [](MarkPlan& plan) {
                    plan.v6 = {{prefix("default6")}, {}, {}, {}};
                  },
                  true,
                  {kUnmarked, "meta nfproto ipv4 " + kLive, "meta nfproto ipv4 " + kArrival, kFib,
                   "meta nfproto ipv4 " + kSpread}},
        ChainCase{
            "ListedDestinationsNameTheirFamily",
            [](MarkPlan& plan) {
              plan.spread = Spread::packet;
              plan.v4.destinations = {prefix("10.0.0.0/8")};
              plan.v6.destinations = {prefix("2001:db8:99::/48"), prefix("2001:db8:aa::/48")};
            },
            false,
            {"meta mark != 0x00000000 return", kUnmarked, kFibLocal, kNdLocal,
             "ip daddr 10.0.0.0/8 meta mark set numgen inc mod 4 map { 0 : 0x750000c9, 1-3 : 0x750000ca }",
             "ip6 daddr { 2001:db8:99::/48, 2001:db8:aa::/48 } meta mark set numgen inc mod 4 map { 0 : "
             "0x750000c9, 1-3 : 0x750000ca }"}},
        ChainCase{
            "PacketModeMergesTheCounter",
            [](MarkPlan& plan) { plan.spread = Spread::packet; },
            true,
            {kUnmarked, kFib, "meta mark set numgen inc mod 4 map { 0 : 0x750000c9, 1-3 : 0x750000ca }"}},
        ChainCase{
            "ExclusionsPerFamily",
            [](MarkPlan& plan) {
              plan.excluded = {prefix("192.168.77.0/24"), prefix("fd00:77::/64"), prefix("fd00:78::/64")};
            },
            true,
            {kUnmarked, "ip daddr 192.168.77.0/24 return", "ip6 daddr { fd00:77::/64, fd00:78::/64 } return",
             kLive, kArrival, kFib, kSpread}},
        ChainCase{"Default6Excluded",
                  [](MarkPlan& plan) { plan.excluded = {prefix("default6")}; },
                  true,
                  {kUnmarked, "meta nfproto ipv6 return", kLive, kArrival, kFib, kSpread}},
        ChainCase{
            "RulesPerFamily",
            [](MarkPlan& plan) {
              TrafficMatch to6{{}, prefix("2001:db8:99::/48"), {}, {}, ""};
              TrafficMatch voip{{}, {}, 17, PortRange{5060, 5060}, ""};
              TrafficMatch ping6{{}, {}, 58, {}, ""};
              TrafficMatch lan6{prefix("fd00:1::/64"), {}, 6, {}, "lan0"};
              plan.rules = {{to6, false, Spread::connection, {}, {{kA, 1}}},
                            {voip, false, Spread::connection, {{kA, 1}}, {{kA, 1}}},
                            {voip, false, Spread::packet, {{kB, 1}}, {}},
                            {ping6, true, Spread::connection, {}, {}},
                            {lan6, true, Spread::connection, {}, {}}};
            },
            true,
            {kUnmarked, kLive, kArrival, kFib,
             "ip6 daddr 2001:db8:99::/48 ct state new meta mark set 0x750000c9 ct mark set meta mark return",
             "meta l4proto udp th dport 5060 ct state new meta mark set 0x750000c9 ct mark set meta mark "
             "return",
             "meta nfproto ipv4 meta l4proto udp th dport 5060 meta mark set 0x750000ca return",
             "meta l4proto ipv6-icmp return",
             "iifname \"lan0\" ip6 saddr fd00:1::/64 meta l4proto tcp return", kSpread}},
        ChainCase{
            "StickySourcesPerFamily",
            [](MarkPlan& plan) { plan.sticky_timeout_s = 600; },
            true,
            {kUnmarked, kLive, kArrival, kFib, "ct state new meta mark set ip saddr map @sticky",
             "ct state new meta mark { 0x750000c9, 0x750000ca } ct mark set meta mark update @sticky { ip "
             "saddr : meta mark } return",
             kSpread + " update @sticky { ip saddr : meta mark }",
             "ct state new meta mark set ip6 saddr map @sticky6",
             "ct state new meta mark { 0x750000c9, 0x750000ca } ct mark set meta mark update @sticky6 { ip6 "
             "saddr : meta mark } return",
             kSpread + " update @sticky6 { ip6 saddr : meta mark }"}},
        // Before any uplink has IPv6, IPv6 returns at once and IPv4's rules are as they always were.
        ChainCase{"Ipv4Only",
                  [](MarkPlan& plan) {
                    plan.marks_ipv6 = false;
                    plan.v6 = {};
                    plan.unmarked_sources6 = {};
                  },
                  true,
                  {"meta nfproto ipv6 return", kLive, kArrival, kFib, kSpread}}),
    [](const auto& info) { return info.param.name; });

TEST(DualStackMaps, BothStickyMapsWhateverTheFamilies) {
  for (bool ipv6 : {false, true}) {
    MarkPlan plan = dual_plan();
    plan.marks_ipv6 = ipv6;
    plan.sticky_timeout_s = 600;
    Table table{"inet", "uplinkd", {}, {}};
    add_mark_chains(table, plan);
    ASSERT_EQ(table.maps.size(), 2u);
    EXPECT_EQ(table.maps[0], (Map{"sticky", "ipv4_addr : mark", "dynamic,timeout", 600}));
    EXPECT_EQ(table.maps[1], (Map{"sticky6", "ipv6_addr : mark", "dynamic,timeout", 600}));
  }
}

TEST(DualStackPin, Ipv6ConnectionsArePinnedByPrefix) {
  NatPlan nat{{"wan1", "wan2"}, {{*IpAddress::parse("100.64.1.10"), kA}}};
  nat.masquerade6_interfaces = {"wan1", "wan2"};
  nat.pinned6 = {
      {prefix("2001:db8:1::/64"), kA}, {prefix("2001:db8:1:100::/60"), kA}, {prefix("2001:db8:2::/64"), kB}};
  MarkPlan marks = dual_plan();
  marks.excluded = {prefix("fd00:77::/64")};
  TrafficMatch to6{{}, prefix("2001:db8:99::/48"), {}, {}, ""};
  marks.rules = {{to6, false, Spread::connection, {}, {{kA, 1}}}};
  Table table = uplinkd_table(nat, marks);
  ASSERT_EQ(table.chains.size(), 4u);
  EXPECT_EQ(table.chains[2].name, "pin");
  EXPECT_THAT(table.chains[2].rules,
              ElementsAreArray(
                  {"ip6 daddr fd00:77::/64 return", "ip6 daddr 2001:db8:99::/48 return",
                   "meta nfproto ipv4 ct direction original meta mark set ct reply ip daddr map { "
                   "100.64.1.10 : 0x750000c9 }",
                   "meta nfproto ipv4 ct direction reply meta mark set ct original ip daddr map { "
                   "100.64.1.10 : 0x750000c9 }",
                   // Per prefix length, shortest first: the longest matching prefix decides last.
                   "meta nfproto ipv6 ct direction original meta mark set ct reply ip6 daddr & "
                   "ffff:ffff:ffff:fff0:: map { 2001:db8:1:100:: : 0x750000c9 }",
                   "meta nfproto ipv6 ct direction reply meta mark set ct original ip6 daddr & "
                   "ffff:ffff:ffff:fff0:: map { 2001:db8:1:100:: : 0x750000c9 }",
                   "meta nfproto ipv6 ct direction original meta mark set ct reply ip6 daddr & "
                   "ffff:ffff:ffff:ffff:: map { 2001:db8:1:: : 0x750000c9, 2001:db8:2:: : 0x750000ca }",
                   "meta nfproto ipv6 ct direction reply meta mark set ct original ip6 daddr & "
                   "ffff:ffff:ffff:ffff:: map { 2001:db8:1:: : 0x750000c9, 2001:db8:2:: : 0x750000ca }"}));
}

TEST(DualStackPin, Ipv6AloneHasAPinChainToo) {
  NatPlan nat{{"wan1"}, {}};
  nat.pinned6 = {{prefix("2001:db8:1::/64"), kA}};
  Table table = nat_table(nat);
  ASSERT_EQ(table.chains.size(), 2u);
  EXPECT_THAT(table.chains[0].rules,
              ElementsAreArray({"meta nfproto ipv6 ct direction original meta mark set ct reply ip6 daddr & "
                                "ffff:ffff:ffff:ffff:: map { 2001:db8:1:: : 0x750000c9 }",
                                "meta nfproto ipv6 ct direction reply meta mark set ct original ip6 daddr & "
                                "ffff:ffff:ffff:ffff:: map { 2001:db8:1:: : 0x750000c9 }"}));
}

// A prefix given with host bits, and a /56 and a /60: each length's map has the networks, the /56's first.
TEST(DualStackPin, Ipv6PrefixesAreMaskedPerLength) {
  NatPlan nat{{"wan1", "wan2"}, {}};
  nat.pinned6 = {{prefix("2001:db8:1:100::/60"), kA}, {prefix("2001:db8:2:ff00::1/56"), kB}};
  Table table = nat_table(nat);
  ASSERT_FALSE(table.chains.empty());
  EXPECT_THAT(table.chains[0].rules,
              ElementsAreArray({"meta nfproto ipv6 ct direction original meta mark set ct reply ip6 daddr & "
                                "ffff:ffff:ffff:ff00:: map { 2001:db8:2:ff00:: : 0x750000ca }",
                                "meta nfproto ipv6 ct direction reply meta mark set ct original ip6 daddr & "
                                "ffff:ffff:ffff:ff00:: map { 2001:db8:2:ff00:: : 0x750000ca }",
                                "meta nfproto ipv6 ct direction original meta mark set ct reply ip6 daddr & "
                                "ffff:ffff:ffff:fff0:: map { 2001:db8:1:100:: : 0x750000c9 }",
                                "meta nfproto ipv6 ct direction reply meta mark set ct original ip6 daddr & "
                                "ffff:ffff:ffff:fff0:: map { 2001:db8:1:100:: : 0x750000c9 }"}));
}

}  // namespace
}  // namespace uplinkd::nft
