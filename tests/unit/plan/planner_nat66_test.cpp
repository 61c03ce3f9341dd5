// SPDX-License-Identifier: GPL-2.0-or-later
// Address translation for IPv6 (plan.nat): `masquerade = true` covers IPv6 on the uplinks that carry it, with
// every uplink's own and delegated prefixes left untranslated; `nptv6` maps the LAN prefix into each
// uplink's delegated prefix, and masquerades it where there is none.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "fakes/world.hpp"
#include "plan/nat_planner.hpp"
#include "plan/plan.hpp"

namespace uplinkd {
namespace {

using testing::bring_up;
using testing::bring_up6;
using testing::config_with;
using testing::dhcpv6_event;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::prefix;
using testing::uplink;

std::vector<std::string> texts(const std::vector<Prefix>& prefixes) {
  std::vector<std::string> out;
  for (const auto& p : prefixes) out.push_back(p.to_string());
  return out;
}

struct PlannedNat66 : ::testing::Test {
  Config config = config_with({uplink("wan1", 201), uplink("wan2", 202)});
  State state{config};
  void SetUp() override {
    for (auto& one : config.uplinks) one.masquerade = true;
    bring_up(state, "wan1", 1);
    bring_up(state, "wan2", 2);
    bring_up6(state, 1);
    bring_up6(state, 2);
  }
  void delegate(const std::string& interface, const std::vector<std::string>& prefixes) {
    state.on_hook(dhcpv6_event(DhcpClient::dhcpcd, interface, "BOUND6", LeaseChange::up, prefixes));
  }
  std::vector<std::string> rules_of(const std::string& name) {
    Plan plan = make_plan(config, state);
    for (const auto& chain : plan.nftables.chains)
      if (chain.name == name) return chain.rules;
    return {};
  }
  std::vector<std::string> postrouting() { return rules_of("postrouting"); }
};

TEST_F(PlannedNat66, MasqueradeCoversIpv6WithTheRoutedPrefixesLeftAlone) {
  delegate("wan1", {"2001:db8:1:100::/60"});
  Plan plan = make_plan(config, state);
  EXPECT_THAT(plan.nat.masquerade6_interfaces, ElementsAre("wan1", "wan2"));
  EXPECT_THAT(texts(plan.nat.untranslated6),
              ElementsAre("2001:db8:1::/64", "2001:db8:1:100::/60", "2001:db8:2::/64", "fe80::/10"));
  EXPECT_THAT(postrouting(), ElementsAre("meta nfproto ipv4 oifname \"wan1\" masquerade",
                                         "meta nfproto ipv6 oifname \"wan1\" ip6 saddr != { 2001:db8:1::/64, "
                                         "2001:db8:1:100::/60, 2001:db8:2::/64, fe80::/10 } masquerade",
                                         "meta nfproto ipv4 oifname \"wan2\" masquerade",
                                         "meta nfproto ipv6 oifname \"wan2\" ip6 saddr != { 2001:db8:1::/64, "
                                         "2001:db8:1:100::/60, 2001:db8:2::/64, fe80::/10 } masquerade"));
}

// A dead uplink's prefixes stay out of translation: its hosts must be told to stop using them (the
// deprecation hook), not silently masqueraded by another ISP.
TEST_F(PlannedNat66, ADeadUplinksPrefixesStayUntranslated) {
  delegate("wan1", {"2001:db8:1:100::/60"});
  state.on_link(netlink::Link{11, "wan1", true, false}, false);  // carrier lost
  Plan plan = make_plan(config, state);
  ASSERT_FALSE(plan.uplinks[0].status6.usable);
  EXPECT_THAT(texts(plan.nat.untranslated6), ::testing::Contains("2001:db8:1:100::/60"));
}

TEST_F(PlannedNat66, PrefixesInsideAnotherAreLeftOutOfTheSet) {
  delegate("wan1", {"2001:db8:1::/48"});  // holds wan1's own /64
  Plan plan = make_plan(config, state);
  EXPECT_THAT(texts(plan.nat.untranslated6), ElementsAre("2001:db8:1::/48", "2001:db8:2::/64", "fe80::/10"));
}

TEST_F(PlannedNat66, AnIpv4OnlyUplinkMasqueradesIpv4Only) {
  config.uplinks[1].families = IpFamilies::v4;
  Plan plan = make_plan(config, state);
  EXPECT_THAT(plan.nat.masquerade_interfaces, ElementsAre("wan1", "wan2"));
  EXPECT_THAT(plan.nat.masquerade6_interfaces, ElementsAre("wan1"));
  for (const auto& rule : postrouting()) {
    if (rule.find("wan2") != std::string::npos) {
      EXPECT_THAT(rule, HasSubstr("ipv4"));
    }
  }
}

TEST_F(PlannedNat66, NoMasqueradeNoIpv6Nat) {
  for (auto& one : config.uplinks) one.masquerade = false;
  Plan plan = make_plan(config, state);
  EXPECT_TRUE(plan.nat.masquerade6_interfaces.empty());
  EXPECT_TRUE(plan.nat.untranslated6.empty());
  EXPECT_TRUE(plan.nftables.chains.empty());
}

TEST_F(PlannedNat66, Nptv6MapsTheLanPrefixIntoEachDelegation) {
  config.nptv6 = prefix("fd00:1::/64");
  delegate("wan1", {"2001:db8:1:100::/60"});
  delegate("wan2", {"2001:db8:2:200::/56"});
  Plan plan = make_plan(config, state);
  ASSERT_EQ(plan.nat.translations6.size(), 2u);
  EXPECT_EQ(plan.nat.translations6[0],
            (PrefixTranslation{"wan1", prefix("fd00:1::/64"), prefix("2001:db8:1:10f::/64")}));
  EXPECT_EQ(plan.nat.translations6[1],
            (PrefixTranslation{"wan2", prefix("fd00:1::/64"), prefix("2001:db8:2:2ff::/64")}));
  auto rules = postrouting();
  EXPECT_THAT(rules, ::testing::Contains("oifname \"wan1\" ip6 saddr fd00:1::/64 snat ip6 prefix to "
                                         "2001:db8:1:10f::/64"));
  EXPECT_THAT(rules_of("prerouting"),
              ElementsAre("iifname \"wan1\" ip6 daddr 2001:db8:1:10f::/64 dnat ip6 prefix to fd00:1::/64",
                          "iifname \"wan2\" ip6 daddr 2001:db8:2:2ff::/64 dnat ip6 prefix to fd00:1::/64"));
  EXPECT_TRUE(plan.notes.empty()) << plan.notes.front();
}

TEST_F(PlannedNat66, Nptv6WithoutADelegationMasqueradesAndSaysSo) {
  config.nptv6 = prefix("fd00:1::/64");
  delegate("wan1", {"2001:db8:1:100::/60"});
  Plan plan = make_plan(config, state);
  ASSERT_EQ(plan.nat.translations6.size(), 1u);
  EXPECT_EQ(plan.nat.translations6[0].interface, "wan1");
  EXPECT_THAT(plan.notes,
              ::testing::Contains(HasSubstr("uplink wan2 has no delegated prefix of /64 or wider: "
                                            "nptv6 fd00:1::/64 is masqueraded there")));
}

TEST(TranslationTarget, TakesTheLastSubnetOfTheFirstWideEnoughDelegation) {
  auto lan = prefix("fd00:1::/64");
  EXPECT_EQ(translation_target(lan, {prefix("2001:db8:1:100::/60")}), prefix("2001:db8:1:10f::/64"));
  EXPECT_EQ(translation_target(lan, {prefix("2001:db8:1:100::/64")}), prefix("2001:db8:1:100::/64"));
  EXPECT_EQ(translation_target(lan, {prefix("2001:db8:9::/48")}), prefix("2001:db8:9:ffff::/64"));
  EXPECT_EQ(translation_target(lan, {prefix("2001:db8:1:100::/72"), prefix("2001:db8:2::/56")}),
            prefix("2001:db8:2:ff::/64"));
  EXPECT_EQ(translation_target(prefix("fd00:1::/56"), {prefix("2001:db8:1:100::/60")}), std::nullopt)
      << "a /60 cannot hold a /56 LAN";
  EXPECT_EQ(translation_target(lan, {}), std::nullopt);
}

}  // namespace
}  // namespace uplinkd
