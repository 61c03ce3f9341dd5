// SPDX-License-Identifier: GPL-2.0-or-later
// The written forms of a health target, and that to_string() gives back what parse reads.
#include <gtest/gtest.h>

#include "config/config.hpp"

namespace uplinkd {
namespace {

struct TargetCase {
  const char* text;
  bool valid;
  HealthTarget::Kind kind = HealthTarget::Kind::icmp;
  uint16_t port = 0;
};

class HealthTargetTest : public ::testing::TestWithParam<TargetCase> {};

TEST_P(HealthTargetTest, ParsesAndPrintsBack) {
  const auto& c = GetParam();
  auto target = parse_health_target(c.text);
  ASSERT_EQ(target.has_value(), c.valid) << c.text;
  if (!target) return;
  EXPECT_EQ(target->kind, c.kind);
  EXPECT_EQ(target->port, c.port);
  EXPECT_EQ(to_string(*target), c.text);
}

INSTANTIATE_TEST_SUITE_P(
    Forms, HealthTargetTest,
    ::testing::Values(TargetCase{"1.1.1.1", true}, TargetCase{"2606:4700:4700::1111", true},
                      TargetCase{"tcp:192.0.2.1:443", true, HealthTarget::Kind::tcp, 443},
                      TargetCase{"tcp:[2001:db8::1]:80", true, HealthTarget::Kind::tcp, 80},
                      TargetCase{"tcp:192.0.2.1:65535", true, HealthTarget::Kind::tcp, 65535},
                      TargetCase{"arp", true, HealthTarget::Kind::arp},
                      TargetCase{"ndp", true, HealthTarget::Kind::ndp}, TargetCase{"NDP", false},
                      TargetCase{"tcp:192.0.2.1:65536", false}, TargetCase{"tcp:192.0.2.1:", false},
                      TargetCase{"tcp:192.0.2.1:x1", false}, TargetCase{"tcp:[2001:db8::1]", false},
                      TargetCase{"tcp::443", false}, TargetCase{"icmp:1.1.1.1", false},
                      TargetCase{"ARP", false}, TargetCase{"::", false}, TargetCase{"", false},
                      TargetCase{"one.one.one.one", false}));

TEST(HealthOfFamily, EachFamilyGetsItsOwnTargetsAndAQuorumItCanReach) {
  HealthConfig health;
  for (const char* text : {"192.0.2.1", "arp", "tcp:[2001:db8::1]:443", "198.51.100.1", "ndp"})
    health.targets.push_back(*parse_health_target(text));
  health.min_up = 3;
  health.down_after = 4;

  const HealthConfig v4 = health_of_family(health, Family::v4);
  ASSERT_EQ(v4.targets.size(), 3u);
  EXPECT_EQ(to_string(v4.targets[1]), "arp");
  EXPECT_EQ(v4.min_up, 3);
  EXPECT_EQ(v4.down_after, 4);

  const HealthConfig v6 = health_of_family(health, Family::v6);
  ASSERT_EQ(v6.targets.size(), 2u);
  EXPECT_EQ(to_string(v6.targets[0]), "tcp:[2001:db8::1]:443");
  EXPECT_EQ(to_string(v6.targets[1]), "ndp");
  EXPECT_EQ(v6.min_up, 2);  // both of its own, not three it does not have

  health.targets.resize(1);
  EXPECT_TRUE(health_of_family(health, Family::v6).targets.empty());
  EXPECT_EQ(target_family(*parse_health_target("ndp")), Family::v6);
  EXPECT_EQ(target_family(*parse_health_target("arp")), Family::v4);
}

}  // namespace
}  // namespace uplinkd
