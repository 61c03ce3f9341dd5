// SPDX-License-Identifier: GPL-2.0-or-later
// The keys of modes packet and connection: exclude, tcp_max_reordering, sticky_timeout and [[rule]], the
// forms accepted and each mistake's place and message.
#include <gmock/gmock.h>

#include "error_case.hpp"

namespace uplinkd::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

const std::string kUplinks =
    "[[uplink]]\nname = \"a\"\ninterface = \"eth0\"\n[[uplink]]\nname = \"b\"\ninterface = \"eth1\"\n";

Config parse(const std::string& text) {
  return parse_config(text, "uplinkd.toml");
}

Prefix prefix(const char* text) {
  return *Prefix::parse(text);
}

TEST(ModesConfig, NothingByDefault) {
  auto config = parse(kUplinks);
  EXPECT_TRUE(config.exclude.empty());
  EXPECT_TRUE(config.rules.empty());
  EXPECT_FALSE(config.tcp_max_reordering);
  EXPECT_EQ(config.sticky_timeout_s, 0);
}

// The seed's example, from a config file alone.
TEST(ModesConfig, SeedExample) {
  auto config = parse(
      "mode = \"packet\"\ndestinations = [\"192.168.1.0/24\"]\ntcp_max_reordering = 1000\n"
      "[[uplink]]\ninterface = \"eth0\"\ngateway = \"none\"\n"
      "[[uplink]]\ninterface = \"eth1\"\ngateway = \"none\"\n");
  EXPECT_EQ(config.mode, Mode::packet);
  EXPECT_THAT(config.destinations, ElementsAre(prefix("192.168.1.0/24")));
  EXPECT_EQ(config.tcp_max_reordering, 1000);
  EXPECT_EQ(config.uplinks[1].gateway_kind, GatewayKind::none);
}

TEST(ModesConfig, ConnectionWithStickySources) {
  auto config = parse("mode = \"connection\"\nsticky_timeout = 600\n" + kUplinks);
  EXPECT_EQ(config.mode, Mode::connection);
  EXPECT_DOUBLE_EQ(config.sticky_timeout_s, 600);
}

TEST(ModesConfig, RulesInFileOrder) {
  auto config = parse("mode = \"connection\"\nexclude = [\"192.168.77.0/24\", \"203.0.113.7\"]\n" + kUplinks +
                      "[[rule]]\nproto = \"udp\"\ndport = 5060\nuplinks = [\"a\"]\n"
                      "[[rule]]\nsrc = \"10.0.0.0/8\"\ndst = \"198.51.100.0/24\"\nproto = \"tcp\"\n"
                      "dport = \"5000-5010\"\niif = \"lan0\"\nmode = \"packet\"\n"
                      "[[rule]]\ndst = \"198.51.100.9/32\"\nproto = 50\nexclude = true\n");
  EXPECT_THAT(config.exclude, ElementsAre(prefix("192.168.77.0/24"), prefix("203.0.113.7/32")));
  ASSERT_EQ(config.rules.size(), 3u);
  const auto& voip = config.rules[0];
  EXPECT_EQ(voip.match.protocol, 17);
  EXPECT_EQ(voip.match.dport, (PortRange{5060, 5060}));
  EXPECT_THAT(voip.uplinks, ElementsAre("a"));
  EXPECT_FALSE(voip.mode);
  EXPECT_EQ(voip.where.line, 9);
  const auto& bulk = config.rules[1];
  EXPECT_EQ(bulk.match.source, prefix("10.0.0.0/8"));
  EXPECT_EQ(bulk.match.destination, prefix("198.51.100.0/24"));
  EXPECT_EQ(bulk.match.protocol, 6);
  EXPECT_EQ(bulk.match.dport, (PortRange{5000, 5010}));
  EXPECT_EQ(bulk.match.iif, "lan0");
  EXPECT_EQ(bulk.mode, Mode::packet);
  EXPECT_TRUE(bulk.uplinks.empty());
  EXPECT_TRUE(config.rules[2].exclude);
  EXPECT_EQ(config.rules[2].match.protocol, 50);
}

// Dual stack: IPv6 prefixes in exclude and in rules, ICMPv6 by name; each is matched in its own family.
TEST(ModesConfig, Ipv6ExcludeAndRules) {
  auto config =
      parse("mode = \"connection\"\nexclude = [\"192.168.77.0/24\", \"fd00:77::/64\"]\n" + kUplinks +
            "[[rule]]\ndst = \"2001:db8:99::/48\"\nuplinks = [\"a\"]\n"
            "[[rule]]\nsrc = \"fd00:1::/64\"\ndst = \"default6\"\nproto = \"tcp\"\nexclude = true\n"
            "[[rule]]\nproto = \"icmpv6\"\nuplinks = [\"b\"]\n");
  EXPECT_THAT(config.exclude, ElementsAre(prefix("192.168.77.0/24"), prefix("fd00:77::/64")));
  ASSERT_EQ(config.rules.size(), 3u);
  EXPECT_EQ(config.rules[0].match.destination, prefix("2001:db8:99::/48"));
  EXPECT_EQ(match_family(config.rules[0].match), Family::v6);
  EXPECT_EQ(config.rules[1].match.source, prefix("fd00:1::/64"));
  EXPECT_EQ(config.rules[1].match.destination, prefix("default6"));
  EXPECT_EQ(config.rules[2].match.protocol, 58);
  EXPECT_EQ(match_family(config.rules[2].match), Family::v6);
}

class ModesConfigError : public ::testing::TestWithParam<ErrorCase> {};

std::vector<ErrorCase> cases() {
  const std::string u = kUplinks;  // 6 lines
  return {
      {"ExcludeNotAPrefix", "exclude = [\"lan\"]\n" + u, "1:12: exclude \"lan\" is not a prefix"},
      {"ExcludeHostBits", "exclude = [\"10.0.0.1/8\"]\n" + u,
       "1:12: exclude \"10.0.0.1/8\" has host bits set"},
      {"ReorderingTooSmall", "tcp_max_reordering = 1\n" + u, "1:22: tcp_max_reordering 1 is out of range",
       "3–65535"},
      {"StickyOutsideConnectionMode", "sticky_timeout = 60\n" + u,
       "1:18: sticky_timeout only applies to mode \"connection\""},
      {"StickyZero", "mode = \"connection\"\nsticky_timeout = 0\n" + u,
       "2:18: sticky_timeout must be 1–604800 seconds"},
      {"RuleDoesNothing", u + "[[rule]]\nproto = \"tcp\"\n", "7:1: this rule does nothing", "exclude = true"},
      {"RuleUnknownUplink", u + "[[rule]]\nuplinks = [\"c\"]\n", "8:12: no uplink is named \"c\"",
       "the uplinks are \"a\", \"b\""},
      {"RuleUplinkTwice", u + "[[rule]]\nuplinks = [\"a\", \"a\"]\n", "8:17: uplink \"a\" is listed twice"},
      {"RuleExcludeAndUplinks", u + "[[rule]]\nexclude = true\nuplinks = [\"a\"]\n",
       "8:11: a rule with exclude = true cannot also choose uplinks or a mode"},
      {"RuleDportWithoutProto", u + "[[rule]]\ndport = 53\nexclude = true\n", "8:9: dport needs a proto"},
      {"RuleDportWithIcmp", u + "[[rule]]\nproto = \"icmp\"\ndport = 53\nexclude = true\n",
       "9:9: dport needs proto \"tcp\", \"udp\" or \"sctp\""},
      {"RuleBadRange", u + "[[rule]]\nproto = \"tcp\"\ndport = \"20-10\"\nexclude = true\n",
       "9:9: dport \"20-10\" is not a port or a range of ports"},
      {"RuleUnknownProto", u + "[[rule]]\nproto = \"quic\"\nexclude = true\n",
       "8:9: proto \"quic\" is not a protocol uplinkd knows by name"},
      {"RuleBadPrefix", u + "[[rule]]\nsrc = \"10.0.0/8\"\nexclude = true\n",
       "8:7: src \"10.0.0/8\" is not a prefix"},
      {"RuleFamiliesDisagree",
       u + "[[rule]]\nsrc = \"10.0.0.0/8\"\ndst = \"2001:db8::/32\"\nexclude = true\n",
       "9:7: dst \"2001:db8::/32\" is IPv6 but src \"10.0.0.0/8\" is IPv4", "split this into two rules"},
      {"RuleIcmpToIpv6", u + "[[rule]]\ndst = \"2001:db8::/32\"\nproto = \"icmp\"\nexclude = true\n",
       "9:9: proto \"icmp\" never meets IPv6 traffic", "proto = \"icmpv6\""},
      {"RuleIcmpv6ToIpv4", u + "[[rule]]\nsrc = \"10.0.0.0/8\"\nproto = \"icmpv6\"\nexclude = true\n",
       "9:9: proto \"icmpv6\" never meets IPv4 traffic", "proto = \"icmp\""},
      {"RuleBadMode", u + "[[rule]]\nmode = \"flow\"\n",
       "8:8: a rule's mode \"flow\" is not \"packet\" or \"connection\""},
      {"RuleBadIif", u + "[[rule]]\niif = \"a b\"\nexclude = true\n",
       "8:7: iif \"a b\" is not a valid interface name"},
      {"RuleUnknownKey", u + "[[rule]]\nport = 53\nexclude = true\n", "8:1: unknown key \"port\" in [[rule]]",
       "did you mean \"dport\"?"},
      {"RuleNotATable", "rule = 5\n" + u, "1:8: rule must be an array of tables, not an integer", "[[rule]]"},
  };
}

TEST_P(ModesConfigError, PointsAtTheMistake) {
  const auto& c = GetParam();
  auto outcome = outcome_of(c.text, "uplinkd.toml");
  EXPECT_EQ(outcome.message, "uplinkd.toml:" + c.message);
  EXPECT_THAT(outcome.hint, HasSubstr(c.hint));
  EXPECT_FALSE(outcome.hint.empty()) << "every error says what to do";
}

INSTANTIATE_TEST_SUITE_P(Values, ModesConfigError, ::testing::ValuesIn(cases()), case_name);

}  // namespace
}  // namespace uplinkd::testing
