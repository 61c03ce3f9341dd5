// SPDX-License-Identifier: GPL-2.0-or-later
#include "daemon/conflicting_hooks.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "fakes/world.hpp"

namespace uplinkd {
namespace {

using testing::config_with;
using ::testing::HasSubstr;
using testing::uplink;

Config two_uplinks() {
  auto config = config_with({uplink("wan1", 201), uplink("wan2", 202)});
  config.uplinks[1].table_name = "isp2";
  return config;
}

TEST(HookConflict, DhcpLbsRecipeIsNamedWithItsLine) {
  const std::string hook =
      "#!/bin/sh\n"
      "# rebuild the tables\n"
      "ip route flush table $T\n"
      "while ip rule del from $ADDR table $T; do :; done\n";
  auto why = hook_conflict(hook, two_uplinks());
  ASSERT_TRUE(why);
  EXPECT_THAT(*why, HasSubstr("as the LARTC recipe does (line 3: ip route flush table $T)"));
}

TEST(HookConflict, ATableOfUplinkdsByNumberOrNameIsNamed) {
  auto by_number = hook_conflict("ip route add default via 10.0.0.1 table 201\n", two_uplinks());
  ASSERT_TRUE(by_number);
  EXPECT_THAT(*by_number, HasSubstr("edits uplinkd's routing tables (line 1: ip route add default"));
  auto by_name = hook_conflict("  ip rule add from 10.0.0.2 lookup isp2\n", two_uplinks());
  ASSERT_TRUE(by_name);
  EXPECT_THAT(*by_name, HasSubstr("line 1: ip rule add from 10.0.0.2 lookup isp2"));
}

TEST(HookConflict, OtherHooksAndUplinkdsOwnAreNot) {
  const Config config = two_uplinks();
  EXPECT_FALSE(hook_conflict("#!/bin/sh\nexec uplinkctl hook dhclient\n", config));
  EXPECT_FALSE(hook_conflict("ip route add 10.1.0.0/16 via 10.0.0.1 table 2010\n", config));
  EXPECT_FALSE(hook_conflict("ip route add 10.1.0.0/16 via 10.0.0.1 table isp20\n", config));
  EXPECT_FALSE(hook_conflict("# ip route flush table 201\n", config));
  EXPECT_FALSE(hook_conflict("", config));
}

}  // namespace
}  // namespace uplinkd
