// SPDX-License-Identifier: GPL-2.0-or-later
// Modes packet and connection, exclude and [[rule]]s for IPv6: each family chooses its uplinks apart, every
// uplink's own and delegated prefixes are never marked (their source rule sends them, BCP 38), and NATed
// IPv6 connections are pinned by the prefixes they were translated into.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "fakes/world.hpp"
#include "plan/ownership.hpp"
#include "plan/plan.hpp"

namespace uplinkd {
namespace {

using testing::bring_up;
using testing::bring_up6;
using testing::config_with;
using testing::dhcpv6_event;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using testing::prefix;
using testing::uplink;

const uint32_t kMark1 = ownership::uplink_mark(201);
const uint32_t kMark2 = ownership::uplink_mark(202);

std::vector<netlink::Rule> rules_at(const Plan& plan, uint32_t priority, Family family) {
  std::vector<netlink::Rule> rules;
  for (const auto& rule : plan.rules)
    if (rule.priority == priority && rule.family == family) rules.push_back(rule);
  return rules;
}

std::vector<std::string> texts(const std::vector<Prefix>& prefixes) {
  std::vector<std::string> out;
  for (const auto& p : prefixes) out.push_back(p.to_string());
  return out;
}

// wan1 (weight 1) and wan2 (weight 3), both dual-stack: 2001:db8:N::10/64 by SLAAC, router fe80::1.
struct Marks6 : ::testing::Test {
  Config config = config_with({uplink("wan1", 201, 1), uplink("wan2", 202, 3)});
  State state{config};
  void SetUp() override {
    config.mode = Mode::connection;
    bring_up(state, "wan1", 1);
    bring_up(state, "wan2", 2);
    bring_up6(state, 1);
    bring_up6(state, 2);
  }
  void delegate(const std::string& interface, const std::vector<std::string>& prefixes) {
    state.on_hook(dhcpv6_event(DhcpClient::dhcpcd, interface, "BOUND6", LeaseChange::up, prefixes));
  }
  Plan plan() { return make_plan(config, state); }
};

TEST_F(Marks6, ConnectionModeSpreadsIpv6OverItsGroupByWeight) {
  Plan plan = this->plan();
  const FamilyMarks& v6 = plan.marks.v6;
  EXPECT_EQ(v6.shares, (std::vector<MarkShare>{{kMark1, 1}, {kMark2, 3}}));
  EXPECT_THAT(texts(v6.destinations), ElementsAre("default"));
  EXPECT_EQ(v6.live, (std::vector<uint32_t>{kMark1, kMark2}));
  ASSERT_EQ(v6.interface_marks.size(), 2u);
  EXPECT_EQ(v6.interface_marks[1], (std::pair<std::string, uint32_t>{"wan2", kMark2}));
  EXPECT_THAT(texts(plan.marks.v4.destinations), ElementsAre("default"));
  // One `fwmark MARK lookup TABLE` per family and usable uplink, at the same priority.
  for (Family family : {Family::v4, Family::v6}) {
    auto by_mark = rules_at(plan, ownership::kRulePriorityPinned, family);
    ASSERT_EQ(by_mark.size(), 2u);
    EXPECT_EQ(by_mark[0].fwmark, kMark1);
    EXPECT_EQ(by_mark[0].fwmask, 0xffffffffu);
    EXPECT_EQ(by_mark[0].table, 201u);
    EXPECT_EQ(by_mark[1].fwmark, kMark2);
    EXPECT_EQ(by_mark[1].table, 202u);
  }
}

TEST_F(Marks6, PacketModeSpreadsIpv6Too) {
  config.mode = Mode::packet;
  Plan plan = this->plan();
  EXPECT_EQ(plan.marks.spread, Spread::packet);
  EXPECT_EQ(plan.marks.v6.shares, (std::vector<MarkShare>{{kMark1, 1}, {kMark2, 3}}));
  EXPECT_TRUE(plan.marks.v6.interface_marks.empty());  // only connection mode keeps arrivals
  EXPECT_EQ(rules_at(plan, ownership::kRulePriorityPinned, Family::v6).size(), 2u);
}

// An uplink whose IPv6 is down keeps its IPv4 marks, and takes no IPv6 connection: its mark is not routed
// for IPv6 (a marked IPv6 packet would otherwise leave by a dead upstream).
TEST_F(Marks6, EachFamilyChoosesItsUplinksApart) {
  state.on_health("wan1", Family::v6, {Health::down, "3 rounds failed"});
  Plan plan = this->plan();
  EXPECT_EQ(plan.marks.v4.shares, (std::vector<MarkShare>{{kMark1, 1}, {kMark2, 3}}));
  EXPECT_EQ(plan.marks.v6.shares, (std::vector<MarkShare>{{kMark2, 3}}));
  EXPECT_EQ(plan.marks.v6.live, (std::vector<uint32_t>{kMark2}));
  ASSERT_EQ(plan.marks.v6.interface_marks.size(), 1u);
  EXPECT_EQ(plan.marks.v6.interface_marks[0].first, "wan2");
  EXPECT_EQ(rules_at(plan, ownership::kRulePriorityPinned, Family::v4).size(), 2u);
  auto by_mark6 = rules_at(plan, ownership::kRulePriorityPinned, Family::v6);
  ASSERT_EQ(by_mark6.size(), 1u);
  EXPECT_EQ(by_mark6[0].table, 202u);
}

TEST_F(Marks6, TheUplinksOwnAndDelegatedPrefixesAreNeverMarked) {
  delegate("wan1", {"2001:db8:1:100::/60"});
  // wan2 is down: its prefix's hosts still may only leave by it (or by nothing), never by a mark of wan1.
  state.on_health("wan2", Family::v6, {Health::down, "x"});
  Plan plan = this->plan();
  EXPECT_THAT(texts(plan.marks.unmarked_sources6),
              ElementsAre("2001:db8:1::/64", "2001:db8:1:100::/60", "2001:db8:2::/64", "fe80::/10"));
}

// The seed's same-address links, in IPv6: a prefix on both uplinks may leave by either, so it is marked.
TEST_F(Marks6, APrefixTwoUplinksShareIsMarked) {
  config.mode = Mode::packet;
  state.on_address(netlink::Address{12, prefix("2001:db8:1::20/64"), 0, 0}, false);
  Plan plan = this->plan();
  EXPECT_THAT(texts(plan.marks.unmarked_sources6), ElementsAre("2001:db8:2::/64", "fe80::/10"));
}

// The same links with their shared prefix listed as a destination: main holds a connected route to it per
// link and would send it all down the first, so the listed prefix's on-link part gets rules before main's,
// in IPv6 as in IPv4 (PlannerMarks.UplinksOwnSubnetsInListedDestinationsWinOverMain).
TEST_F(Marks6, UplinksOwnPrefixesInListedDestinationsWinOverMain) {
  config.mode = Mode::packet;
  config.destinations = {prefix("2001:db8::/32"), prefix("2001:db8:77::/48")};
  state.on_address(netlink::Address{12, prefix("2001:db8:1::20/64"), 0, 0}, false);
  Plan plan = this->plan();
  auto balanced = rules_at(plan, ownership::kRulePriorityDestination, Family::v6);
  ASSERT_EQ(balanced.size(), 2u);  // each prefix once (shared or not), 2001:db8:77::/48 not at all
  EXPECT_EQ(balanced[0].destination, prefix("2001:db8:1::/64"));
  EXPECT_EQ(balanced[1].destination, prefix("2001:db8:2::/64"));
  EXPECT_EQ(balanced[0].table, config.balance_table);
  auto marked = rules_at(plan, ownership::kRulePriorityMarkedDestination, Family::v6);
  ASSERT_EQ(marked.size(), 4u);  // each uplink's mark to each contested part
  EXPECT_EQ(marked[0].destination, prefix("2001:db8:1::/64"));
  EXPECT_EQ(marked[0].fwmark, kMark1);
  EXPECT_EQ(marked[0].table, 201u);
  EXPECT_TRUE(rules_at(plan, ownership::kRulePriorityDestination, Family::v4).empty());
  EXPECT_TRUE(rules_at(plan, ownership::kRulePriorityMarkedDestination, Family::v4).empty());
}

TEST_F(Marks6, NothingIpv6IsMarkedBeforeAnUplinkHasIpv6) {
  Config v4_only = config_with({uplink("wan1", 201, 1), uplink("wan2", 202, 3)});
  v4_only.mode = Mode::connection;
  v4_only.exclude = {prefix("fd00:77::/64")};
  TrafficRule rule;
  rule.match.destination = prefix("2001:db8:99::/48");
  rule.uplinks = {"wan1"};
  v4_only.rules.push_back(rule);
  State plain(v4_only);
  bring_up(plain, "wan1", 1);
  bring_up(plain, "wan2", 2);
  Plan plan = make_plan(v4_only, plain);
  EXPECT_FALSE(plan.marks.marks_ipv6);
  EXPECT_TRUE(plan.marks.v6.shares.empty());
  EXPECT_TRUE(plan.marks.rules.empty()) << "an IPv6 rule waits for IPv6";
  EXPECT_THAT(plan.notes, IsEmpty());
  for (const auto& planned : plan.rules) EXPECT_NE(planned.family, Family::v6);
}

TEST_F(Marks6, Ipv6ExclusionsAreRoutedByMainForIpv6) {
  config.exclude = {prefix("192.168.77.0/24"), prefix("fd00:77::/64")};
  TrafficRule both;  // no prefix: both families
  both.exclude = true;
  both.match.protocol = 17;
  both.match.dport = PortRange{500, 500};
  config.rules.push_back(both);
  TrafficRule icmpv6;
  icmpv6.exclude = true;
  icmpv6.match.protocol = 58;
  config.rules.push_back(icmpv6);
  Plan plan = this->plan();
  auto v4 = rules_at(plan, ownership::kRulePriorityExclude, Family::v4);
  auto v6 = rules_at(plan, ownership::kRulePriorityExclude, Family::v6);
  ASSERT_EQ(v4.size(), 2u);  // the IPv4 prefix and the rule without a prefix
  ASSERT_EQ(v6.size(), 3u);  // the IPv6 prefix, the rule without a prefix, the ICMPv6 rule
  EXPECT_EQ(v4[0].destination, prefix("192.168.77.0/24"));
  EXPECT_EQ(v6[0].destination, prefix("fd00:77::/64"));
  EXPECT_EQ(v6[0].table, 254u);
  EXPECT_EQ(v6[1].ip_proto, 17);
  EXPECT_EQ(v6[1].fwmask, 0xffffffffu);
  EXPECT_EQ(v6[2].ip_proto, 58);
  EXPECT_EQ(rules_at(plan, ownership::kRulePriorityExcludeUnreachable, Family::v6).size(), 3u);
  EXPECT_EQ(plan.marks.excluded, config.exclude);
}

struct RuleCase {
  std::string name;
  std::optional<std::string> destination;
  std::optional<uint8_t> protocol;
  bool wan1_ipv6_down;
  std::vector<MarkShare> shares, shares6;
  std::string note;  // a substring of the one note expected; empty: none
};

class Rules6 : public Marks6, public ::testing::WithParamInterface<RuleCase> {};

// A rule names wan1; which families it marks follows its keys, and each family its own wan1.
TEST_P(Rules6, EachFamilyOfARuleHasItsOwnShares) {
  const RuleCase& c = GetParam();
  TrafficRule rule;
  if (c.destination) rule.match.destination = prefix(*c.destination);
  rule.match.protocol = c.protocol;
  rule.uplinks = {"wan1"};
  rule.where = {"test.toml", 9, 1};
  config.rules.push_back(rule);
  if (c.wan1_ipv6_down) state.on_health("wan1", Family::v6, {Health::down, "x"});
  Plan plan = this->plan();
  if (c.shares.empty() && c.shares6.empty()) {
    EXPECT_TRUE(plan.marks.rules.empty());
  } else {
    ASSERT_EQ(plan.marks.rules.size(), 1u);
    EXPECT_EQ(plan.marks.rules[0].shares, c.shares);
    EXPECT_EQ(plan.marks.rules[0].shares6, c.shares6);
  }
  if (c.note.empty())
    EXPECT_THAT(plan.notes, IsEmpty());
  else
    EXPECT_THAT(plan.notes, ElementsAre(HasSubstr(c.note)));
}

const std::vector<MarkShare> kWan1 = {{ownership::uplink_mark(201), 1}};

INSTANTIATE_TEST_SUITE_P(
    Cases, Rules6,
    ::testing::Values(RuleCase{"NoPrefixMeetsBoth", {}, 17, false, kWan1, kWan1, ""},
                      RuleCase{"Ipv6DestinationMeetsIpv6Only", "2001:db8:99::/48", {}, false, {}, kWan1, ""},
                      RuleCase{"Ipv4DestinationMeetsIpv4Only", "198.51.100.0/24", {}, false, kWan1, {}, ""},
                      RuleCase{"IcmpMeetsIpv4Only", {}, 1, false, kWan1, {}, ""},
                      RuleCase{"Icmpv6MeetsIpv6Only", {}, 58, false, {}, kWan1, ""},
                      RuleCase{
                          "Ipv6DownLeavesTheIpv4Part", {}, 17, true, kWan1, {}, "no usable uplink for IPv6"},
                      RuleCase{"Ipv6RuleWithoutUplinkIsLeftOut",
                               "2001:db8:99::/48",
                               {},
                               true,
                               {},
                               {},
                               "test.toml:9:1 has no usable uplink: its traffic"}),
    [](const auto& info) { return info.param.name; });

TEST_F(Marks6, MasqueradedIpv6IsPinnedByTheUplinksPrefixes) {
  config.mode = Mode::flow;  // pinning works without marks
  for (auto& one : config.uplinks) one.masquerade = true;
  delegate("wan1", {"2001:db8:1:100::/60"});
  Plan plan = this->plan();
  ASSERT_EQ(plan.nat.pinned6.size(), 3u);
  EXPECT_EQ(plan.nat.pinned6[0], (PinnedPrefix{prefix("2001:db8:1::/64"), kMark1}));
  EXPECT_EQ(plan.nat.pinned6[1], (PinnedPrefix{prefix("2001:db8:1:100::/60"), kMark1}));
  EXPECT_EQ(plan.nat.pinned6[2], (PinnedPrefix{prefix("2001:db8:2::/64"), kMark2}));
  EXPECT_EQ(rules_at(plan, ownership::kRulePriorityPinned, Family::v6).size(), 2u);

  // A dead IPv6 side is not pinned: its connections must move (and are swept).
  state.on_health("wan1", Family::v6, {Health::down, "x"});
  plan = this->plan();
  EXPECT_EQ(plan.nat.pinned6, (std::vector<PinnedPrefix>{{prefix("2001:db8:2::/64"), kMark2}}));
  EXPECT_EQ(plan.nat.pinned.size(), 2u) << "its IPv4 side stays pinned";
}

TEST_F(Marks6, APrefixTwoUplinksShareIsNotPinned) {
  for (auto& one : config.uplinks) one.masquerade = true;
  state.on_address(netlink::Address{12, prefix("2001:db8:1::20/64"), 0, 0}, false);
  Plan plan = this->plan();
  EXPECT_EQ(plan.nat.pinned6, (std::vector<PinnedPrefix>{{prefix("2001:db8:2::/64"), kMark2}}));
}

TEST_F(Marks6, TheTableHoldsIpv6MarksAndPins) {
  for (auto& one : config.uplinks) one.masquerade = true;
  Plan plan = this->plan();
  std::string text;
  for (const auto& chain : plan.nftables.chains)
    for (const auto& rule : chain.rules) text += chain.name + ": " + rule + "\n";
  EXPECT_THAT(text, HasSubstr("balance: ip6 saddr { 2001:db8:1::/64, 2001:db8:2::/64, fe80::/10 } return\n"));
  EXPECT_THAT(text, Not(HasSubstr("meta nfproto ipv6 return")));
  EXPECT_THAT(
      text,
      HasSubstr("pin: meta nfproto ipv6 ct direction original meta mark set ct reply ip6 daddr & "
                "ffff:ffff:ffff:ffff:: map { 2001:db8:1:: : 0x750000c9, 2001:db8:2:: : 0x750000ca }\n"));
}

}  // namespace
}  // namespace uplinkd
