// SPDX-License-Identifier: GPL-2.0-or-later
#include "config/names.hpp"

#include <gtest/gtest.h>

namespace uplinkd {
namespace {

TEST(InterfaceName, KernelRules) {
  for (const char* good : {"eth0", "a", "wlp3s0", "enp0s31f6.100", "abcdefghijklmno", "wg+0", "br-lan"})
    EXPECT_TRUE(is_valid_interface_name(good)) << good;
  for (const char* bad : {"", ".", "..", "abcdefghijklmnop", "eth0:1", "a/b", "a b", "a\tb", "a\nb"})
    EXPECT_FALSE(is_valid_interface_name(bad)) << bad;
}

TEST(UplinkName, LettersDigitsAndPunctuation) {
  for (const char* good : {"dsl", "ISP_2", "lte.backup", "a-b"})
    EXPECT_TRUE(is_valid_uplink_name(good)) << good;
  EXPECT_TRUE(is_valid_uplink_name(std::string(32, 'x')));
  for (const char* bad : {"", "a b", "a/b", "ä", "x+y", "a:b"})
    EXPECT_FALSE(is_valid_uplink_name(bad)) << bad;
  EXPECT_FALSE(is_valid_uplink_name(std::string(33, 'x')));
}

TEST(TableName, AcceptsNamesAndNothing) {
  for (const char* good : {"", "isp1", "uplinkd-eth0", "1isp", "0x", "0xg1", "mainline", "T"})
    EXPECT_FALSE(check_table_name(good).has_value()) << good;
}

TEST(TableName, RejectsWhatIproute2WouldMisread) {
  for (const char* bad :
       {"200", "0", "0x10", "0XFF", "a b", "a#b", "#", "main", "local", "default", "unspec"})
    EXPECT_TRUE(check_table_name(bad).has_value()) << bad;
}

TEST(TableId, ReservedAndRange) {
  EXPECT_FALSE(check_table_id("table", 1, 100).has_value());
  EXPECT_FALSE(check_table_id("table", 100, 100).has_value());
  EXPECT_EQ(check_table_id("table", 101, 100)->what, "table 101 is out of range");
  EXPECT_EQ(check_table_id("table", -5, 100)->what, "table -5 is out of range");
  for (int reserved : {0, 253, 254, 255})
    EXPECT_EQ(check_table_id("balance_table", reserved, 1000)->what,
              "balance_table " + std::to_string(reserved) + " is reserved");
}

}  // namespace
}  // namespace uplinkd
