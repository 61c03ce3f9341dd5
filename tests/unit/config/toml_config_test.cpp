// SPDX-License-Identifier: GPL-2.0-or-later
// Valid TOML configs: what each key sets, and the defaults when it is left out.
#include <gmock/gmock.h>

#include "config/config.hpp"

namespace uplinkd {
namespace {

using ::testing::ElementsAre;

Config parse(const std::string& text) {
  return parse_config(text, "uplinkd.toml");
}

TEST(TomlConfig, FamilyLimitsTheDefaultDestinationsAndIsEachUplinksDefault) {
  auto config = parse(
      "family = \"ipv4\"\n[[uplink]]\ninterface = \"eth0\"\n[[uplink]]\ninterface = \"eth1\"\n"
      "family = \"ipv6\"\ngateway6 = \"fe80::1\"\n");
  EXPECT_THAT(config.destinations, ElementsAre(Prefix::default_route(Family::v4)));
  EXPECT_EQ(config.uplinks.at(0).families, IpFamilies::v4);
  EXPECT_EQ(config.uplinks.at(1).families, IpFamilies::v6);
  EXPECT_EQ(config.uplinks.at(1).gateway6, IpAddress::parse("fe80::1"));
  EXPECT_THAT(parse("family = \"ipv6\"\n[[uplink]]\ninterface = \"eth0\"\n").destinations,
              ElementsAre(Prefix::default_route(Family::v6)));
}

TEST(TomlConfig, OneInterfaceIsEnough) {
  auto config = parse("[[uplink]]\ninterface = \"eth0\"\n");
  EXPECT_EQ(config.path, "uplinkd.toml");
  EXPECT_EQ(config.mode, Mode::flow);
  EXPECT_EQ(config.families, IpFamilies::both);
  EXPECT_THAT(config.destinations,
              ElementsAre(Prefix::default_route(Family::v4), Prefix::default_route(Family::v6)));
  EXPECT_EQ(config.uplinks.at(0).families, IpFamilies::both);
  EXPECT_EQ(config.uplinks.at(0).gateway6_kind, GatewayKind::automatic);
  EXPECT_EQ(config.socket, "/run/uplinkd/uplinkd.sock");
  EXPECT_EQ(config.rt_tables, "/etc/iproute2/rt_tables.d/uplinkd.conf");
  EXPECT_EQ(config.state_file, "/var/lib/uplinkd/state.json");
  EXPECT_EQ(config.balance_table, 1000u);
  EXPECT_EQ(config.balance_table_name, "uplinkd-balance");
  EXPECT_FALSE(config.multipath_hash_policy.has_value());
  EXPECT_EQ(config.resilient_buckets, 128);
  EXPECT_EQ(config.resilient_idle_timer_s, 120u);
  EXPECT_EQ(config.on_exit, OnExit::flush);
  ASSERT_EQ(config.uplinks.size(), 1u);
}

TEST(TomlConfig, UplinkDefaults) {
  auto uplink = parse("mode = \"flow\"\n\n[[uplink]]\ninterface = \"eth0\"\n").uplinks.at(0);
  EXPECT_EQ(uplink.name, "eth0");
  EXPECT_EQ(uplink.interface, "eth0");
  EXPECT_EQ(uplink.table, 200u);
  EXPECT_EQ(uplink.table_name, "uplinkd-eth0");
  EXPECT_EQ(uplink.weight, 1);
  EXPECT_EQ(uplink.tier, 1u);
  EXPECT_EQ(uplink.gateway_kind, GatewayKind::automatic);
  EXPECT_FALSE(uplink.gateway.has_value());
  EXPECT_FALSE(uplink.masquerade);
  EXPECT_TRUE(uplink.health.targets.empty());
  EXPECT_DOUBLE_EQ(uplink.health.interval_s, 0.36);
  EXPECT_DOUBLE_EQ(uplink.health.timeout_s, 0.4);
  EXPECT_EQ(uplink.health.up_after, 5);
  EXPECT_EQ(uplink.health.min_up, 1);
  EXPECT_FALSE(uplink.health.max_loss_percent);
  EXPECT_FALSE(uplink.health.max_rtt_ms);
  EXPECT_DOUBLE_EQ(uplink.health.window_s, 10);
  EXPECT_DOUBLE_EQ(uplink.health.hold_down_s, 10);
  EXPECT_EQ(uplink.health.timing, ProbeTiming::adaptive);
  EXPECT_DOUBLE_EQ(uplink.health.min_timeout_s, 0.08);
  EXPECT_EQ(uplink.health.down_after, 4);
  EXPECT_EQ(uplink.where.to_string(), "uplinkd.toml:3:1");
}

// fixed timing is uplinkd 0.1's behaviour, down_after's default of 3 included; a down_after given stays.
TEST(TomlConfig, FixedTimingBringsBackItsDownAfter) {
  auto fixed = parse("[[uplink]]\ninterface = \"eth0\"\n[uplink.health]\ntiming = \"fixed\"\n").uplinks.at(0);
  EXPECT_EQ(fixed.health.timing, ProbeTiming::fixed);
  EXPECT_EQ(fixed.health.down_after, 3);
  auto given = parse(
                   "[[uplink]]\ninterface = \"eth0\"\n[uplink.health]\ntiming = \"fixed\"\ndown_after = 6\n"
                   "min_timeout = 0.05\n")
                   .uplinks.at(0);
  EXPECT_EQ(given.health.down_after, 6);
  EXPECT_DOUBLE_EQ(given.health.min_timeout_s, 0.05);
}

TEST(TomlConfig, TableNameDefaultsToTheName) {
  auto uplink = parse("[[uplink]]\ninterface = \"ppp0\"\nname = \"dsl\"\n").uplinks.at(0);
  EXPECT_EQ(uplink.name, "dsl");
  EXPECT_EQ(uplink.table_name, "uplinkd-dsl");
}

TEST(TomlConfig, EmptyTableNameMeansNone) {
  auto config = parse("balance_table_name = \"\"\n[[uplink]]\ninterface = \"eth0\"\ntable_name = \"\"\n");
  EXPECT_EQ(config.balance_table_name, "");
  EXPECT_EQ(config.uplinks.at(0).table_name, "");
}

TEST(TomlConfig, EveryKey) {
  auto config = parse(R"(
mode = "resilient"
destinations = ["default", "default6", "10.0.0.0/8", "2001:db8::/32", "192.0.2.1"]
socket = "/tmp/u.sock"
rt_tables = "/tmp/rt_tables"
state_file = "/tmp/state.json"
balance_table = 3000
balance_table_name = "balanced"
multipath_hash_policy = "l4"
on_exit = "keep"

[resilient]
buckets = 512
idle_timer = 0

[[uplink]]
name = "dsl"
interface = "ppp0"
table = 301
table_name = "isp-dsl"
weight = 256
tier = 0
gateway = "none"
masquerade = true
[uplink.health]
targets = ["1.1.1.1", "2606:4700:4700::1111", "tcp:192.0.2.7:443", "arp"]
interval = 1
timeout = 0.75
down_after = 5
up_after = 2
min_up = 2
max_loss = 20
max_rtt = 250.5
window = 30
hold_down = 0

[[uplink]]
interface = "eth1"
gateway6 = "fe80::1"
tier = 2
)");
  EXPECT_EQ(config.mode, Mode::resilient);
  EXPECT_THAT(config.destinations,
              ElementsAre(Prefix::default_route(Family::v4), Prefix::default_route(Family::v6),
                          *Prefix::parse("10.0.0.0/8"), *Prefix::parse("2001:db8::/32"),
                          *Prefix::parse("192.0.2.1/32")));
  EXPECT_EQ(config.socket, "/tmp/u.sock");
  EXPECT_EQ(config.rt_tables, "/tmp/rt_tables");
  EXPECT_EQ(config.state_file, "/tmp/state.json");
  EXPECT_EQ(config.balance_table, 3000u);
  EXPECT_EQ(config.balance_table_name, "balanced");
  EXPECT_EQ(config.multipath_hash_policy, 1);
  EXPECT_EQ(config.on_exit, OnExit::keep);
  EXPECT_EQ(config.resilient_buckets, 512);
  EXPECT_EQ(config.resilient_idle_timer_s, 0u);
  ASSERT_EQ(config.uplinks.size(), 2u);
  const auto& dsl = config.uplinks[0];
  EXPECT_EQ(dsl.name, "dsl");
  EXPECT_EQ(dsl.interface, "ppp0");
  EXPECT_EQ(dsl.table, 301u);
  EXPECT_EQ(dsl.table_name, "isp-dsl");
  EXPECT_EQ(dsl.weight, 256);
  EXPECT_EQ(dsl.tier, 0u);
  EXPECT_EQ(dsl.gateway_kind, GatewayKind::none);
  EXPECT_TRUE(dsl.masquerade);
  ASSERT_EQ(dsl.health.targets.size(), 4u);
  EXPECT_EQ(to_string(dsl.health.targets[0]), "1.1.1.1");
  EXPECT_EQ(dsl.health.targets[1].kind, HealthTarget::Kind::icmp);
  EXPECT_EQ(dsl.health.targets[1].address, IpAddress::parse("2606:4700:4700::1111"));
  EXPECT_EQ(dsl.health.targets[2].kind, HealthTarget::Kind::tcp);
  EXPECT_EQ(dsl.health.targets[2].port, 443);
  EXPECT_EQ(dsl.health.targets[3].kind, HealthTarget::Kind::arp);
  EXPECT_EQ(dsl.health.min_up, 2);
  EXPECT_EQ(dsl.health.max_loss_percent, 20.0);
  EXPECT_EQ(dsl.health.max_rtt_ms, 250.5);
  EXPECT_DOUBLE_EQ(dsl.health.window_s, 30);
  EXPECT_DOUBLE_EQ(dsl.health.hold_down_s, 0);
  EXPECT_DOUBLE_EQ(dsl.health.interval_s, 1.0);
  EXPECT_DOUBLE_EQ(dsl.health.timeout_s, 0.75);
  EXPECT_EQ(dsl.health.down_after, 5);
  EXPECT_EQ(dsl.health.up_after, 2);
  EXPECT_EQ(dsl.where.to_string(), "uplinkd.toml:16:1");
  const auto& eth1 = config.uplinks[1];
  EXPECT_EQ(eth1.gateway6_kind, GatewayKind::fixed);
  EXPECT_EQ(eth1.gateway6, IpAddress::parse("fe80::1"));
  EXPECT_EQ(eth1.tier, 2u);
  EXPECT_EQ(eth1.table, 200u);
}

struct HashPolicyCase {
  std::string written;
  int value;
};

class HashPolicy : public ::testing::TestWithParam<HashPolicyCase> {};

TEST_P(HashPolicy, IsTheSysctlValue) {
  auto config =
      parse("multipath_hash_policy = " + GetParam().written + "\n[[uplink]]\ninterface = \"eth0\"\n");
  EXPECT_EQ(config.multipath_hash_policy, GetParam().value);
}

INSTANTIATE_TEST_SUITE_P(Words, HashPolicy,
                         ::testing::Values(HashPolicyCase{"\"l3\"", 0}, HashPolicyCase{"\"l4\"", 1},
                                           HashPolicyCase{"\"l3-inner\"", 2}, HashPolicyCase{"0", 0},
                                           HashPolicyCase{"3", 3}));

TEST(TomlConfig, EveryModeByName) {
  for (auto mode : {Mode::flow, Mode::resilient, Mode::connection, Mode::packet}) {
    auto text = "mode = \"" + std::string(mode_name(mode)) + "\"\n[[uplink]]\ninterface = \"eth0\"\n";
    EXPECT_EQ(parse(text).mode, mode) << mode_name(mode);
  }
}

TEST(TomlConfig, GatewayAddressIsFixed) {
  auto uplink = parse("[[uplink]]\ninterface = \"eth0\"\ngateway = \"192.0.2.1\"\n").uplinks.at(0);
  EXPECT_EQ(uplink.gateway_kind, GatewayKind::fixed);
  EXPECT_EQ(uplink.gateway, IpAddress::parse("192.0.2.1"));
}

TEST(TomlConfig, GatewayAutoIsExplicitDefault) {
  auto uplink = parse("[[uplink]]\ninterface = \"eth0\"\ngateway = \"auto\"\n").uplinks.at(0);
  EXPECT_EQ(uplink.gateway_kind, GatewayKind::automatic);
}

TEST(TomlConfig, WeightBoundsAreAccepted) {
  auto config =
      parse("[[uplink]]\ninterface = \"a\"\nweight = 1\n[[uplink]]\ninterface = \"b\"\nweight = 256\n");
  EXPECT_EQ(config.uplinks[0].weight, 1);
  EXPECT_EQ(config.uplinks[1].weight, 256);
}

TEST(TomlConfig, LargestUplinkTableIsAccepted) {
  EXPECT_EQ(parse("[[uplink]]\ninterface = \"a\"\ntable = 15728639\n").uplinks[0].table, 0x00efffffu);
}

TEST(TomlConfig, BalanceTableMayBeAnyKernelTable) {
  EXPECT_EQ(parse("balance_table = 4294967295\n[[uplink]]\ninterface = \"a\"\n").balance_table, 4294967295u);
}

TEST(TomlConfig, InlineUplinkTables) {
  auto config = parse("uplink = [{interface = \"eth0\"}, {interface = \"eth1\", weight = 2}]\n");
  ASSERT_EQ(config.uplinks.size(), 2u);
  EXPECT_EQ(config.uplinks[1].weight, 2);
  EXPECT_EQ(config.uplinks[1].where.to_string(), "uplinkd.toml:1:33");
}

TEST(TomlConfig, DefaultTablesSkipTakenOnes) {
  auto config = parse(
      "[[uplink]]\ninterface = \"a\"\n"
      "[[uplink]]\ninterface = \"b\"\ntable = 200\n"
      "[[uplink]]\ninterface = \"c\"\n");
  EXPECT_EQ(config.uplinks[0].table, 201u);
  EXPECT_EQ(config.uplinks[1].table, 200u);
  EXPECT_EQ(config.uplinks[2].table, 202u);
}

TEST(TomlConfig, DefaultTablesSkipTheBalanceTable) {
  auto config = parse("balance_table = 200\n[[uplink]]\ninterface = \"a\"\n");
  EXPECT_EQ(config.uplinks[0].table, 201u);
}

TEST(TomlConfig, DefaultTablesSkipReservedIds) {
  std::string text;
  for (int table = 200; table <= 252; ++table)
    text +=
        "[[uplink]]\ninterface = \"e" + std::to_string(table) + "\"\ntable = " + std::to_string(table) + "\n";
  text += "[[uplink]]\ninterface = \"last\"\n";
  EXPECT_EQ(parse(text).uplinks.back().table, 256u);
}

TEST(TomlConfig, DuplicateTierAndWeightAreFine) {
  auto config = parse("[[uplink]]\ninterface = \"a\"\n[[uplink]]\ninterface = \"b\"\n");
  EXPECT_EQ(config.uplinks[0].tier, config.uplinks[1].tier);
}

TEST(TomlConfig, FindUplink) {
  auto config = parse("[[uplink]]\nname = \"dsl\"\ninterface = \"ppp0\"\n[[uplink]]\ninterface = \"eth1\"\n");
  ASSERT_NE(config.find_uplink("dsl"), nullptr);
  EXPECT_EQ(config.find_uplink("dsl")->interface, "ppp0");
  EXPECT_EQ(config.find_uplink("ppp0"), nullptr);
  ASSERT_NE(config.find_uplink_by_interface("eth1"), nullptr);
  EXPECT_EQ(config.find_uplink_by_interface("eth1")->name, "eth1");
  EXPECT_EQ(config.find_uplink_by_interface("dsl"), nullptr);
}

TEST(ModeName, NamesEveryMode) {
  EXPECT_EQ(mode_name(Mode::flow), "flow");
  EXPECT_EQ(mode_name(Mode::resilient), "resilient");
  EXPECT_EQ(mode_name(Mode::connection), "connection");
  EXPECT_EQ(mode_name(Mode::packet), "packet");
}

}  // namespace
}  // namespace uplinkd

namespace uplinkd {
namespace {

// The example in docs/configuration.md, kept in step with it.
TEST(TomlConfig, DocumentedExample) {
  auto config = parse_config(R"(# /etc/uplinkd/uplinkd.toml
mode = "flow"
multipath_hash_policy = "l4"

[[uplink]]
name = "cable"
interface = "eth0"
weight = 1
masquerade = true
[uplink.health]
targets = ["1.1.1.1", "9.9.9.9"]

[[uplink]]
name = "fibre"
interface = "eth1"
weight = 2
masquerade = true
[uplink.health]
targets = ["1.1.1.1", "9.9.9.9"]
)",
                             "uplinkd.toml");
  ASSERT_EQ(config.uplinks.size(), 2u);
  EXPECT_EQ(config.uplinks[0].table, 200u);
  EXPECT_EQ(config.uplinks[0].table_name, "uplinkd-cable");
  EXPECT_EQ(config.uplinks[0].weight, 1);
  EXPECT_EQ(config.uplinks[1].table, 201u);
  EXPECT_EQ(config.uplinks[1].table_name, "uplinkd-fibre");
  EXPECT_EQ(config.uplinks[1].weight, 2);
  EXPECT_EQ(config.uplinks[1].health.targets.size(), 2u);
  EXPECT_EQ(config.balance_table, 1000u);
}

TEST(DhcpLbConfig, DocumentedReservedTableMessage) {
  try {
    parse_config("eth0 table-eth0 200 1\nwlan0 table-wlan0 254 2\n", "/etc/dhcp-lb");
    FAIL();
  } catch (const InputError& error) {
    EXPECT_STREQ(
        error.what(),
        "/etc/dhcp-lb:2:19: table 254 is reserved (0 (unspec), 253 (default), 254 (main) and 255 (local) "
        "are the kernel's; use another id, e.g. 200)");
  }
}

TEST(TomlConfig, MptcpIsOffByDefault) {
  auto config = parse("[[uplink]]\ninterface = \"eth0\"\n");
  EXPECT_FALSE(config.mptcp);
  EXPECT_FALSE(config.uplinks.at(0).mptcp);
}

// The top-level `mptcp` is each uplink's default; an uplink's own wins, either way.
TEST(TomlConfig, MptcpAtTheTopIsEachUplinksDefault) {
  auto on = parse(
      "mptcp = true\n[[uplink]]\ninterface = \"eth0\"\n[[uplink]]\ninterface = \"eth1\"\nmptcp = false\n");
  EXPECT_TRUE(on.mptcp);
  EXPECT_TRUE(on.uplinks.at(0).mptcp);
  EXPECT_FALSE(on.uplinks.at(1).mptcp);
  auto off = parse("[[uplink]]\ninterface = \"eth0\"\n[[uplink]]\ninterface = \"eth1\"\nmptcp = true\n");
  EXPECT_FALSE(off.mptcp);
  EXPECT_FALSE(off.uplinks.at(0).mptcp);
  EXPECT_TRUE(off.uplinks.at(1).mptcp);
}

TEST(TomlConfig, WebIsOffByDefault) {
  EXPECT_FALSE(parse("[[uplink]]\ninterface = \"eth0\"\n").web);
}

struct ListenCase {
  std::string listen;
  std::string address;
  uint16_t port;
  std::string shown;
};

class WebListen : public ::testing::TestWithParam<ListenCase> {};

TEST_P(WebListen, GivesAddressAndPort) {
  const auto& c = GetParam();
  const auto config =
      parse("[web]\nlisten = \"" + c.listen + "\"\nallow_remote = true\n[[uplink]]\ninterface = \"eth0\"\n");
  ASSERT_TRUE(config.web);
  EXPECT_EQ(config.web->address.to_string(), c.address);
  EXPECT_EQ(config.web->port, c.port);
  EXPECT_EQ(config.web->to_string(), c.shown);
}

INSTANTIATE_TEST_SUITE_P(Forms, WebListen,
                         ::testing::Values(ListenCase{"127.0.0.1:8080", "127.0.0.1", 8080, "127.0.0.1:8080"},
                                           ListenCase{"127.0.0.1", "127.0.0.1", 9470, "127.0.0.1:9470"},
                                           ListenCase{"127.8.9.10:1", "127.8.9.10", 1, "127.8.9.10:1"},
                                           ListenCase{"[::1]:9471", "::1", 9471, "[::1]:9471"},
                                           ListenCase{"[::1]", "::1", 9470, "[::1]:9470"},
                                           ListenCase{"::1", "::1", 9470, "[::1]:9470"},
                                           ListenCase{"0.0.0.0:65535", "0.0.0.0", 65535, "0.0.0.0:65535"},
                                           ListenCase{"[2001:db8::1]:80", "2001:db8::1", 80,
                                                      "[2001:db8::1]:80"}));

TEST(TomlConfig, WebOnLoopbackNeedsNoAllowRemote) {
  const auto config = parse("[web]\nlisten = \"[::1]:9470\"\n[[uplink]]\ninterface = \"eth0\"\n");
  ASSERT_TRUE(config.web);
  EXPECT_EQ(config.web->to_string(), "[::1]:9470");
}

}  // namespace
}  // namespace uplinkd
