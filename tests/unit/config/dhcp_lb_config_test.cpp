// SPDX-License-Identifier: GPL-2.0-or-later
// dhcp-lb's /etc/dhcp-lb format, accepted as it is and validated like TOML.
#include <gmock/gmock.h>

#include "error_case.hpp"

namespace uplinkd::testing {
namespace {

using ::testing::HasSubstr;

const std::string kExample =
    "# interface routing-table table-id weight\n"
    "eth0 table-eth0 200 1\n"
    "wlan0 table-wlan0 201 2\n";

Config parse(const std::string& text) {
  return parse_config(text, "/etc/dhcp-lb");
}

TEST(DhcpLbConfig, AcceptsTheExampleAsItIs) {
  auto config = parse(kExample);
  ASSERT_EQ(config.uplinks.size(), 2u);
  const auto& eth0 = config.uplinks[0];
  EXPECT_EQ(eth0.name, "eth0");
  EXPECT_EQ(eth0.interface, "eth0");
  EXPECT_EQ(eth0.table_name, "table-eth0");
  EXPECT_EQ(eth0.table, 200u);
  EXPECT_EQ(eth0.weight, 1);
  EXPECT_EQ(eth0.where.to_string(), "/etc/dhcp-lb:2:1");
  const auto& wlan0 = config.uplinks[1];
  EXPECT_EQ(wlan0.name, "wlan0");
  EXPECT_EQ(wlan0.table_name, "table-wlan0");
  EXPECT_EQ(wlan0.table, 201u);
  EXPECT_EQ(wlan0.weight, 2);
  EXPECT_EQ(wlan0.where.to_string(), "/etc/dhcp-lb:3:1");
}

TEST(DhcpLbConfig, EverythingElseTakesItsDefault) {
  auto config = parse(kExample);
  Config defaults;
  EXPECT_EQ(config.path, "/etc/dhcp-lb");
  EXPECT_EQ(config.mode, defaults.mode);
  EXPECT_EQ(config.destinations, defaults.destinations);
  EXPECT_EQ(config.socket, defaults.socket);
  EXPECT_EQ(config.rt_tables, defaults.rt_tables);
  EXPECT_EQ(config.balance_table, defaults.balance_table);
  EXPECT_EQ(config.balance_table_name, defaults.balance_table_name);
  EXPECT_EQ(config.on_exit, defaults.on_exit);
  const auto& uplink = config.uplinks[0];
  EXPECT_EQ(uplink.tier, 1u);
  EXPECT_EQ(uplink.gateway_kind, GatewayKind::automatic);
  EXPECT_FALSE(uplink.masquerade);
  EXPECT_TRUE(uplink.health.targets.empty());
}

TEST(DhcpLbConfig, AnyBlanksSeparateFields) {
  auto config = parse("  eth0\ttable-eth0   200 \t 1  \n");
  ASSERT_EQ(config.uplinks.size(), 1u);
  EXPECT_EQ(config.uplinks[0].table_name, "table-eth0");
  EXPECT_EQ(config.uplinks[0].weight, 1);
}

TEST(DhcpLbConfig, CommentsBlankLinesAndCrLf) {
  auto config = parse("\n# first\n   # indented\r\n\r\neth0 t0 200 1 # the DSL line\r\n\n\neth1 t1 201 3");
  ASSERT_EQ(config.uplinks.size(), 2u);
  EXPECT_EQ(config.uplinks[0].where.to_string(), "/etc/dhcp-lb:5:1");
  EXPECT_EQ(config.uplinks[0].weight, 1);
  EXPECT_EQ(config.uplinks[1].where.to_string(), "/etc/dhcp-lb:8:1");
  EXPECT_EQ(config.uplinks[1].weight, 3);
}

TEST(DhcpLbConfig, DocumentedMessage) {
  try {
    parse("eth0 table-eth0 200 1\n# the next one is mistyped\neth1 tbl-1 2x1 1\n");
    FAIL() << "accepted table id 2x1";
  } catch (const InputError& error) {
    EXPECT_THAT(error.what(), ::testing::StartsWith("/etc/dhcp-lb:3:12: table id \"2x1\" is not a number ("));
  }
}

std::vector<ErrorCase> dhcp_lb_errors() {
  return {
      {"TableIdNotNumber", "eth0 table-eth0 2x1 1\n", "1:17: table id \"2x1\" is not a number", "decimal"},
      {"TableIdHex", "eth0 table-eth0 0xc8 1\n", "1:17: table id \"0xc8\" is not a number", ""},
      {"TableIdHuge", "eth0 t 99999999999999999999 1\n", "1:8: table id 99999999999999999999 is out of range",
       ""},
      {"WeightNotNumber", "eth0 table-eth0 200 one\n", "1:21: weight \"one\" is not a number", ""},
      {"WeightPlusSign", "eth0 table-eth0 200 +1\n", "1:21: weight \"+1\" is not a number", ""},
      {"WeightTooBig", "eth0 table-eth0 200 300\n", "1:21: weight 300 is out of range",
       "weight must be 1–256"},
      {"WeightZero", "eth0 table-eth0 200 0\n", "1:21: weight 0 is out of range", ""},
      {"WeightNegative", "eth0 table-eth0 200 -1\n", "1:21: weight -1 is out of range", ""},
      {"TableReserved", "eth0 table-eth0 254 1\n", "1:17: table 254 is reserved", ""},
      {"TableZero", "eth0 table-eth0 0 1\n", "1:17: table 0 is reserved", ""},
      {"TableAboveNexthopRange", "eth0 t 15728640 1\n", "1:8: table 15728640 is out of range", ""},
      {"TableIsBalanceTable", "eth0 t 1000 1\n", "1:8: table 1000 is used twice", "balance_table by default"},
      {"MissingWeight", "eth0 table-eth0 200\n", "1:20: missing the weight",
       "interface table-name table-id weight"},
      {"MissingTableId", "eth0 table-eth0\n", "1:16: missing the table id", ""},
      {"MissingTableName", "# a\neth0\n", "2:5: missing the table name", ""},
      {"FifthField", "eth0 table-eth0 200 1 2\n", "1:23: unexpected fifth field \"2\"",
       "start a comment with #"},
      {"DuplicateInterface", "eth0 a 200 1\neth0 b 201 1\n", "2:1: interface \"eth0\" is used twice",
       "also /etc/dhcp-lb:1:1"},
      {"DuplicateTableId", "eth0 a 200 1\neth1 b 200 1\n", "2:8: table 200 is used twice", ""},
      {"DuplicateTableName", "eth0 isp 200 1\neth1 isp 201 1\n", "2:6: table name \"isp\" is used twice", ""},
      {"NumericTableName", "eth0 200 200 1\n", "1:6: table name \"200\" is a number", ""},
      {"ReservedTableName", "eth0 main 200 1\n", "1:6: table name \"main\" is reserved by iproute2", ""},
      {"HashInTableName", "eth0 isp#1 200 1\n", "1:6: table name \"isp#1\" contains whitespace or '#'", ""},
      {"InterfaceAlias", "eth0:1 isp 200 1\n", "1:1: interface \"eth0:1\" is not a valid interface name", ""},
      {"InterfaceTooLong", "abcdefghijklmnop isp 200 1\n",
       "1:1: interface \"abcdefghijklmnop\" is not a valid interface name", ""},
      {"NoUplinks", "# nothing here\n\n", "no uplinks are configured", ""},
      {"FirstProblemInFile", "eth0 a 200 1\neth1 b x 1\neth2 c 201 0\n",
       "2:8: table id \"x\" is not a number", ""},
  };
}

class DhcpLbError : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(DhcpLbError, PointsAtTheField) {
  const auto& c = GetParam();
  auto outcome = outcome_of(c.text, "/etc/dhcp-lb");
  bool has_line = c.message[0] >= '0' && c.message[0] <= '9';
  EXPECT_EQ(outcome.message, "/etc/dhcp-lb" + std::string(has_line ? ":" : ": ") + c.message);
  EXPECT_THAT(outcome.hint, HasSubstr(c.hint));
  EXPECT_FALSE(outcome.hint.empty()) << "every error says what to do";
}

INSTANTIATE_TEST_SUITE_P(Lines, DhcpLbError, ::testing::ValuesIn(dhcp_lb_errors()), case_name);

}  // namespace
}  // namespace uplinkd::testing
