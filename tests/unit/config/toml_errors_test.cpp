// SPDX-License-Identifier: GPL-2.0-or-later
// Every class of mistake in a TOML config, each with the exact place and words of its message.
#include <gmock/gmock.h>

#include "error_case.hpp"

namespace uplinkd::testing {
namespace {

using ::testing::HasSubstr;

const std::string kUplink = "[[uplink]]\ninterface = \"eth0\"\n";
const std::string kMasqueradingUplink = kUplink + "masquerade = true\n";

std::vector<ErrorCase> syntax_and_shape() {
  return {
      {"UnterminatedString", "mode = \"flow\n" + kUplink, "1:13: invalid TOML: ", ""},
      {"DuplicateKey", "mode = \"flow\"\nmode = \"packet\"\n" + kUplink, "2:8: invalid TOML: ", ""},
      {"UnknownTopLevelKey", "mood = \"flow\"\n" + kUplink, "1:1: unknown key \"mood\" in the top level",
       "did you mean \"mode\"?"},
      {"UnknownKeyListsAllowed", "colour = 1\n" + kUplink, "1:1: unknown key \"colour\" in the top level",
       "allowed keys: mode, family, destinations, socket"},
      {"UnknownUplinkKey", kUplink + "weigth = 2\n", "3:1: unknown key \"weigth\" in [[uplink]]",
       "did you mean \"weight\"?"},
      {"UnknownHealthKey", kUplink + "[uplink.health]\nintervall = 1\n",
       "4:1: unknown key \"intervall\" in [uplink.health]", "allowed keys: targets, interval, timeout"},
      {"UnknownResilientKey", "[resilient]\nbucket = 4\n" + kUplink,
       "2:1: unknown key \"bucket\" in [resilient]", "allowed keys: buckets, idle_timer"},
      {"UnknownKeyInInlineTable", "uplink = [{interface = \"eth0\", mtu = 1500}]\n",
       "1:32: unknown key \"mtu\" in [[uplink]]", ""},
      {"ModeNotString", "mode = 1\n" + kUplink, "1:8: mode must be a string, not an integer", ""},
      {"WeightNotInteger", kUplink + "weight = \"2\"\n", "3:10: weight must be an integer, not a string", ""},
      {"TableNotInteger", kUplink + "table = 200.0\n",
       "3:9: table must be an integer, not a floating-point number", ""},
      {"MasqueradeNotBool", kUplink + "masquerade = \"yes\"\n",
       "3:14: masquerade must be true or false, not a string", ""},
      {"InterfaceNotString", "[[uplink]]\ninterface = 7\n",
       "2:13: interface must be a string, not an integer", ""},
      {"DestinationsNotArray", "destinations = \"default\"\n" + kUplink,
       "1:16: destinations must be an array of strings, not a string", ""},
      {"DestinationNotString", "destinations = [\"default\", 6]\n" + kUplink,
       "1:28: each element of destinations must be a string, not an integer", ""},
      {"TargetsNotArray", kUplink + "[uplink.health]\ntargets = \"1.1.1.1\"\n",
       "4:11: targets must be an array of strings, not a string", ""},
      {"IntervalNotNumber", kUplink + "[uplink.health]\ninterval = \"1s\"\n",
       "4:12: interval must be a number, not a string", ""},
      {"DownAfterNotInteger", kUplink + "[uplink.health]\ndown_after = 1.5\n",
       "4:14: down_after must be an integer, not a floating-point number", ""},
      {"HashPolicyWrongType", "multipath_hash_policy = 1.5\n" + kUplink,
       "1:25: multipath_hash_policy must be a string or an integer, not a floating-point number", ""},
      {"UplinkSingleTable", "[uplink]\ninterface = \"eth0\"\n",
       "1:1: uplink must be an array of tables, not a table", "[[uplink]]"},
      {"UplinkArrayOfStrings", "uplink = [\"eth0\"]\n", "1:11: each uplink must be a table, not a string",
       ""},
      {"ResilientNotTable", "resilient = 5\n" + kUplink,
       "1:13: resilient must be a table ([resilient]), not an integer", ""},
      {"HealthNotTable", kUplink + "health = 3\n",
       "3:10: health must be a table ([uplink.health]), not an integer", ""},
      {"BalanceTableNotInteger", "balance_table = \"1000\"\n" + kUplink,
       "1:17: balance_table must be an integer, not a string", ""},
      {"SocketNotString", "socket = 1\n" + kUplink, "1:10: socket must be a string, not an integer", ""},
  };
}

std::vector<ErrorCase> whole_config() {
  return {
      {"NoUplinks", "mode = \"flow\"\n", "no uplinks are configured", "[[uplink]]"},
      {"EmptyFile", "", "no uplinks are configured", ""},
      {"EmptyUplinkArray", "uplink = []\n", "no uplinks are configured", ""},
      {"MissingInterface", "mode = \"flow\"\n[[uplink]]\nname = \"a\"\n", "2:1: uplink has no interface",
       "interface = \"eth0\""},
      {"DuplicateName",
       "[[uplink]]\nname = \"a\"\ninterface = \"eth0\"\n[[uplink]]\nname = \"a\"\ninterface = \"eth1\"\n",
       "5:8: uplink name \"a\" is used twice", "also uplinkd.toml:2:8"},
      {"DuplicateInterface", kUplink + kUplink, "4:13: interface \"eth0\" is used twice",
       "also uplinkd.toml:2:13"},
      {"DuplicateInterfaceNamed", kUplink + "name = \"a\"\n[[uplink]]\ninterface = \"eth0\"\nname = \"b\"\n",
       "5:13: interface \"eth0\" is used twice", ""},
      {"DuplicateTable", kUplink + "table = 200\n[[uplink]]\ninterface = \"eth1\"\ntable = 200\n",
       "6:9: table 200 is used twice", "also uplinkd.toml:3:9"},
      {"TableClashesWithBalanceTable", "balance_table = 300\n" + kUplink + "table = 300\n",
       "4:9: table 300 is used twice", "also balance_table at uplinkd.toml:1:17"},
      {"TableClashesWithDefaultBalanceTable", kUplink + "table = 1000\n", "3:9: table 1000 is used twice",
       "also balance_table by default"},
      {"DuplicateTableName",
       kUplink + "table_name = \"isp\"\n[[uplink]]\ninterface = \"eth1\"\ntable_name = \"isp\"\n",
       "6:14: table name \"isp\" is used twice", ""},
      {"TableNameClashesWithDefault",
       kUplink + "[[uplink]]\ninterface = \"eth1\"\ntable_name = \"uplinkd-eth0\"\n",
       "5:14: table name \"uplinkd-eth0\" is used twice", "also uplinkd.toml:2:13"},
      {"TableNameClashesWithBalanceName", kUplink + "table_name = \"uplinkd-balance\"\n",
       "3:14: table name \"uplinkd-balance\" is used twice", "also balance_table_name by default"},
      {"FirstInFileWinsOverCheckOrder", "[[uplink]]\nweight = 0\ninterface = \"eth0\"\ntable = 0\n",
       "2:10: weight 0 is out of range", ""},
      {"FirstInFileWinsOverKeyOrder", "zzz = 1\naaa = 2\n" + kUplink,
       "1:1: unknown key \"zzz\" in the top level", ""},
      {"ShapeBeforeMeaning", "mode = \"fast\"\n" + kUplink + "weight = \"x\"\n",
       "4:10: weight must be an integer, not a string", ""},
  };
}

std::vector<ErrorCase> values() {
  return {
      {"WeightTooBig", kUplink + "weight = 300\n", "3:10: weight 300 is out of range",
       "weight must be 1–256"},
      {"WeightZero", kUplink + "weight = 0\n", "3:10: weight 0 is out of range", ""},
      {"WeightNegative", kUplink + "weight = -3\n", "3:10: weight -3 is out of range", ""},
      {"TableZero", kUplink + "table = 0\n", "3:9: table 0 is reserved", "253 (default)"},
      {"Table253", kUplink + "table = 253\n", "3:9: table 253 is reserved", ""},
      {"Table254", kUplink + "table = 254\n", "3:9: table 254 is reserved", ""},
      {"Table255", kUplink + "table = 255\n", "3:9: table 255 is reserved", ""},
      {"TableAboveNexthopRange", kUplink + "table = 15728640\n", "3:9: table 15728640 is out of range",
       "nexthop ids"},
      {"TableNegative", kUplink + "table = -1\n", "3:9: table -1 is out of range", ""},
      {"BalanceTableReserved", "balance_table = 254\n" + kUplink, "1:17: balance_table 254 is reserved", ""},
      {"BalanceTableZero", "balance_table = 0\n" + kUplink, "1:17: balance_table 0 is reserved", ""},
      {"BalanceTableTooBig", "balance_table = 4294967296\n" + kUplink,
       "1:17: balance_table 4294967296 is out of range", ""},
      {"GatewayNotAddress", kUplink + "gateway = \"1.2.3\"\n",
       "3:11: gateway \"1.2.3\" is not an IPv4 address", "\"auto\""},
      {"GatewayUnspecified", kUplink + "gateway = \"0.0.0.0\"\n",
       "3:11: gateway \"0.0.0.0\" is not an IPv4 address", ""},
      {"GatewayBroadcast", kUplink + "gateway = \"255.255.255.255\"\n",
       "3:11: gateway \"255.255.255.255\" is the limited broadcast address, not a router's address",
       "unicast"},
      {"GatewayLoopback", kUplink + "gateway = \"127.0.0.1\"\n",
       "3:11: gateway \"127.0.0.1\" is a loopback address (127.0.0.0/8), not a router's address", ""},
      {"GatewayMulticast", kUplink + "gateway = \"224.0.0.5\"\n",
       "3:11: gateway \"224.0.0.5\" is a multicast address (224.0.0.0/4), not a router's address", ""},
      {"GatewayV6Multicast", kUplink + "gateway6 = \"ff02::1\"\n",
       "3:12: gateway6 \"ff02::1\" is a multicast address (ff00::/8), not a router's address", ""},
      {"GatewayWord", kUplink + "gateway = \"dhcp\"\n", "3:11: gateway \"dhcp\" is not an IPv4 address", ""},
      {"GatewayV6InGateway", kUplink + "gateway = \"fe80::1\"\n",
       "3:11: gateway \"fe80::1\" is not an IPv4 address", "an IPv6 router goes in gateway6"},
      {"Gateway6V4", kUplink + "gateway6 = \"192.0.2.1\"\n",
       "3:12: gateway6 \"192.0.2.1\" is not an IPv6 address", "an IPv4 router goes in gateway"},
      {"FamilyWord", "family = \"inet6\"\n" + kUplink, "1:10: family \"inet6\" is not a choice", "\"ipv6\""},
      {"UplinkFamilyWord", kUplink + "family = \"v4\"\n", "3:10: family \"v4\" is not a choice", "\"ipv4\""},
      {"DestinationOfAnotherFamily",
       "family = \"ipv4\"\ndestinations = [\"default\", \"default6\"]\n" + kUplink,
       "2:28: destination \"default6\" is IPv6, but family = \"ipv4\"", "family = \"both\""},
      {"DestinationNotPrefix", "destinations = [\"10.0.0.0/33\"]\n" + kUplink,
       "1:17: destination \"10.0.0.0/33\" is not a prefix", ""},
      {"DestinationGarbage", "destinations = [\"default\", \"internet\"]\n" + kUplink,
       "1:28: destination \"internet\" is not a prefix", ""},
      {"DestinationHostBits", "destinations = [\"10.1.2.3/8\"]\n" + kUplink,
       "1:17: destination \"10.1.2.3/8\" has host bits set", "did you mean \"10.0.0.0/8\"?"},
      {"DestinationHostBitsV6", "destinations = [\"2001:db8::1/64\"]\n" + kUplink,
       "1:17: destination \"2001:db8::1/64\" has host bits set", "2001:db8::/64"},
      {"DestinationTwice", "destinations = [\"default\", \"0.0.0.0/0\"]\n" + kUplink,
       "1:28: destination \"0.0.0.0/0\" is listed twice", ""},
      {"DestinationsEmpty", "destinations = []\n" + kUplink, "1:16: destinations is empty", ""},
      {"HealthTargetNotAddress", kUplink + "[uplink.health]\ntargets = [\"one.one.one.one\"]\n",
       "4:12: health target \"one.one.one.one\" is not an IP address", ""},
      {"AcceptRaOutOfRange", kUplink + "accept_ra = 3\n", "3:13: accept_ra 3 is out of range",
       "2 takes them also on a router"},
      {"HealthTargetOfAnotherFamily",
       kUplink + "family = \"ipv4\"\n[uplink.health]\ntargets = [\"192.0.2.1\", \"ndp\"]\n",
       "5:25: health target \"ndp\" probes IPv6, but the uplink's family is \"ipv4\"", "family = \"both\""},
      {"HealthTargetOfAFamilyLeftOutAtTheTop",
       "family = \"ipv6\"\n" + kUplink + "[uplink.health]\ntargets = [\"tcp:192.0.2.1:80\"]\n",
       "5:12: health target \"tcp:192.0.2.1:80\" probes IPv4, but the uplink's family is \"ipv6\"", ""},
      {"TableNameNumeric", kUplink + "table_name = \"200\"\n", "3:14: table name \"200\" is a number",
       "iproute2"},
      {"TableNameHex", kUplink + "table_name = \"0xc8\"\n", "3:14: table name \"0xc8\" is a number", ""},
      {"TableNameSpace", kUplink + "table_name = \"isp 1\"\n",
       "3:14: table name \"isp 1\" contains whitespace or '#'", ""},
      {"TableNameTab", kUplink + "table_name = \"isp\\t1\"\n",
       "3:14: table name \"isp\t1\" contains whitespace or '#'", ""},
      {"TableNameHash", kUplink + "table_name = \"isp#1\"\n",
       "3:14: table name \"isp#1\" contains whitespace or '#'", ""},
      {"TableNameMain", kUplink + "table_name = \"main\"\n",
       "3:14: table name \"main\" is reserved by iproute2", ""},
      {"TableNameLocal", kUplink + "table_name = \"local\"\n",
       "3:14: table name \"local\" is reserved by iproute2", ""},
      {"TableNameDefault", kUplink + "table_name = \"default\"\n",
       "3:14: table name \"default\" is reserved by iproute2", ""},
      {"TableNameUnspec", kUplink + "table_name = \"unspec\"\n",
       "3:14: table name \"unspec\" is reserved by iproute2", ""},
      {"BalanceTableNameReserved", "balance_table_name = \"main\"\n" + kUplink,
       "1:22: table name \"main\" is reserved by iproute2", ""},
      {"BalanceTableNameNumeric", "balance_table_name = \"1000\"\n" + kUplink,
       "1:22: table name \"1000\" is a number", ""},
      {"ModeUnknown", "mode = \"fast\"\n" + kUplink, "1:8: mode \"fast\" is not a mode", "\"resilient\""},
      {"ModeCase", "mode = \"Flow\"\n" + kUplink, "1:8: mode \"Flow\" is not a mode", ""},
      {"OnExitUnknown", "on_exit = \"drop\"\n" + kUplink, "1:11: on_exit \"drop\" is not a choice",
       "\"keep\""},
      {"HashPolicyUnknown", "multipath_hash_policy = \"l5\"\n" + kUplink,
       "1:25: multipath_hash_policy \"l5\" is not a policy", "\"l3-inner\""},
      {"HashPolicyTooBig", "multipath_hash_policy = 4\n" + kUplink,
       "1:25: multipath_hash_policy 4 is out of range", ""},
      {"HashPolicyNegative", "multipath_hash_policy = -1\n" + kUplink,
       "1:25: multipath_hash_policy -1 is out of range", ""},
      {"BucketsZero", "[resilient]\nbuckets = 0\n" + kUplink, "2:11: buckets 0 is out of range", ""},
      {"BucketsTooMany", "[resilient]\nbuckets = 65536\n" + kUplink, "2:11: buckets 65536 is out of range",
       ""},
      {"IdleTimerNegative", "[resilient]\nidle_timer = -1\n" + kUplink, "2:14: idle_timer -1 is out of range",
       ""},
      {"InterfaceAlias", "[[uplink]]\ninterface = \"eth0:1\"\n",
       "2:13: interface \"eth0:1\" is not a valid interface name", "1–15 characters"},
      {"InterfaceSlash", "[[uplink]]\ninterface = \"a/b\"\n",
       "2:13: interface \"a/b\" is not a valid interface name", ""},
      {"InterfaceSpace", "[[uplink]]\ninterface = \"my eth\"\n",
       "2:13: interface \"my eth\" is not a valid interface name", ""},
      {"InterfaceTooLong", "[[uplink]]\ninterface = \"abcdefghijklmnop\"\n",
       "2:13: interface \"abcdefghijklmnop\" is not a valid interface name", ""},
      {"InterfaceEmpty", "[[uplink]]\ninterface = \"\"\n",
       "2:13: interface \"\" is not a valid interface name", ""},
      {"InterfaceDotDot", "[[uplink]]\ninterface = \"..\"\n",
       "2:13: interface \"..\" is not a valid interface name", ""},
      {"NameWithSpace", kUplink + "name = \"dsl line\"\n", "3:8: uplink name \"dsl line\" is not valid",
       "A-Z"},
      {"NameEmpty", kUplink + "name = \"\"\n", "3:8: uplink name \"\" is not valid", ""},
      {"NameTooLong", kUplink + "name = \"" + std::string(33, 'a') + "\"\n",
       "3:8: uplink name \"" + std::string(33, 'a') + "\" is not valid", ""},
      {"DefaultNameFromOddInterface", "[[uplink]]\ninterface = \"wg+0\"\n",
       "2:13: interface \"wg+0\" cannot be the uplink's name, as it is by default", "give the uplink a name"},
      {"TierNegative", kUplink + "tier = -1\n", "3:8: tier -1 is out of range", ""},
      {"IntervalZero", kUplink + "[uplink.health]\ninterval = 0\n",
       "4:12: interval must be more than 0 seconds and less than a day", ""},
      {"IntervalNan", kUplink + "[uplink.health]\ninterval = nan\n",
       "4:12: interval must be more than 0 seconds and less than a day", ""},
      {"TimeoutNegative", kUplink + "[uplink.health]\ntimeout = -0.5\n",
       "4:11: timeout must be more than 0 seconds and less than a day", ""},
      {"DownAfterZero", kUplink + "[uplink.health]\ndown_after = 0\n", "4:14: down_after 0 is out of range",
       ""},
      {"UpAfterZero", kUplink + "[uplink.health]\nup_after = 0\n", "4:12: up_after 0 is out of range", ""},
      {"MinUpZero", kUplink + "[uplink.health]\ntargets = [\"1.1.1.1\"]\nmin_up = 0\n",
       "5:10: min_up 0 is out of range", ""},
      {"MinUpAboveTargets", kUplink + "[uplink.health]\ntargets = [\"1.1.1.1\", \"9.9.9.9\"]\nmin_up = 3\n",
       "5:10: min_up 3 is more than the 2 targets given", "add targets or lower min_up"},
      {"MaxLossAbove100", kUplink + "[uplink.health]\nmax_loss = 120\n", "4:12: max_loss is out of range",
       "percentage"},
      {"MaxLossNegative", kUplink + "[uplink.health]\nmax_loss = -1\n", "4:12: max_loss is out of range", ""},
      {"MaxRttInSeconds", kUplink + "[uplink.health]\nmax_rtt = 0.25\n", "4:11: max_rtt is out of range",
       "milliseconds"},
      {"MaxRttNotNumber", kUplink + "[uplink.health]\nmax_rtt = \"250ms\"\n",
       "4:11: max_rtt must be a number, not a string", ""},
      {"WindowZero", kUplink + "[uplink.health]\nwindow = 0\n",
       "4:10: window must be more than 0 seconds and less than a day", ""},
      {"WindowShorterThanInterval", kUplink + "[uplink.health]\ninterval = 2\nwindow = 1\n",
       "5:10: window is shorter than interval, so it would hold no probe", ""},
      {"HoldDownNegative", kUplink + "[uplink.health]\nhold_down = -5\n", "4:13: hold_down is out of range",
       ""},
      {"TcpTargetNoPort", kUplink + "[uplink.health]\ntargets = [\"tcp:1.1.1.1\"]\n",
       "4:12: health target \"tcp:1.1.1.1\" is not an IP address", "tcp:1.1.1.1:443"},
      {"TcpTargetPortZero", kUplink + "[uplink.health]\ntargets = [\"1.1.1.1\", \"tcp:1.1.1.1:0\"]\n",
       "4:23: health target \"tcp:1.1.1.1:0\" is not an IP address", ""},
      {"TcpTargetV6WithoutBrackets", kUplink + "[uplink.health]\ntargets = [\"tcp:2001:db8::1:443\"]\n",
       "4:12: health target \"tcp:2001:db8::1:443\" is not an IP address", "brackets"},
      {"TargetUnspecified", kUplink + "[uplink.health]\ntargets = [\"0.0.0.0\"]\n",
       "4:12: health target \"0.0.0.0\" is not an IP address", ""},
      {"SocketEmpty", "socket = \"\"\n" + kUplink, "1:10: socket is empty", ""},
      {"RtTablesEmpty", "rt_tables = \"\"\n" + kUplink, "1:13: rt_tables is empty", ""},
      {"StateFileEmpty", "state_file = \"\"\n" + kUplink, "1:14: state_file is empty", ""},
      {"Nptv6NotAPrefix", "nptv6 = \"fd00:1::/200\"\n" + kMasqueradingUplink,
       "1:9: nptv6 \"fd00:1::/200\" is not a prefix", ""},
      {"Nptv6HostBits", "nptv6 = \"fd00:1::5/64\"\n" + kMasqueradingUplink,
       "1:9: nptv6 \"fd00:1::5/64\" has host bits set", "fd00:1::/64"},
      {"Nptv6IsIpv4", "nptv6 = \"192.168.77.0/24\"\n" + kMasqueradingUplink,
       "1:9: nptv6 \"192.168.77.0/24\" is IPv4", "masqueraded"},
      {"Nptv6LinkLocal", "nptv6 = \"fe80::/64\"\n" + kMasqueradingUplink,
       "1:9: nptv6 \"fe80::/64\" is link-local (fe80::/10)", "ULA"},
      {"Nptv6TooWide", "nptv6 = \"fd00::/8\"\n" + kMasqueradingUplink,
       "1:9: nptv6 \"fd00::/8\" is wider than /16, wider than any LAN", "ULA"},
      {"Nptv6NotAString", "nptv6 = 64\n" + kMasqueradingUplink, "1:9: nptv6 must be a string, not an integer",
       ""},
      {"Nptv6WithoutMasquerade", "nptv6 = \"fd00:1::/64\"\n" + kUplink,
       "1:9: nptv6 \"fd00:1::/64\" needs an uplink that masquerades IPv6", "masquerade = true"},
      {"Nptv6OnlyIpv4Masquerades", "nptv6 = \"fd00:1::/64\"\n" + kMasqueradingUplink + "family = \"ipv4\"\n",
       "1:9: nptv6 \"fd00:1::/64\" needs an uplink that masquerades IPv6", ""},
  };
}

class TomlError : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(TomlError, PointsAtTheMistake) {
  const auto& c = GetParam();
  auto outcome = outcome_of(c.text, "uplinkd.toml");
  bool has_line = !c.message.empty() && c.message[0] >= '0' && c.message[0] <= '9';
  std::string expected = "uplinkd.toml" + std::string(has_line ? ":" : ": ") + c.message;
  if (c.message.find("invalid TOML") != std::string::npos)
    EXPECT_THAT(outcome.message, ::testing::StartsWith(expected));
  else
    EXPECT_EQ(outcome.message, expected);
  EXPECT_THAT(outcome.hint, HasSubstr(c.hint));
  EXPECT_FALSE(outcome.hint.empty()) << "every error says what to do";
}

INSTANTIATE_TEST_SUITE_P(SyntaxAndShape, TomlError, ::testing::ValuesIn(syntax_and_shape()), case_name);
INSTANTIATE_TEST_SUITE_P(WholeConfig, TomlError, ::testing::ValuesIn(whole_config()), case_name);
INSTANTIATE_TEST_SUITE_P(Values, TomlError, ::testing::ValuesIn(values()), case_name);

TEST(TomlErrorMessage, ReadsAsDocumented) {
  std::string text =
      "mode = \"flow\"\n\n[[uplink]]\ninterface = \"eth0\"\n\n[[uplink]]\nweight = 300\ninterface = "
      "\"eth1\"\n";
  try {
    parse_config(text, "uplinkd.toml");
    FAIL() << "accepted weight 300";
  } catch (const InputError& error) {
    EXPECT_STREQ(error.what(), "uplinkd.toml:7:10: weight 300 is out of range (weight must be 1–256)");
    EXPECT_EQ(error.where().file, "uplinkd.toml");
    EXPECT_EQ(error.where().line, 7);
    EXPECT_EQ(error.where().column, 10);
  }
}

}  // namespace
}  // namespace uplinkd::testing
