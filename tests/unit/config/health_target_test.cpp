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
                      TargetCase{"tcp:192.0.2.1:65536", false}, TargetCase{"tcp:192.0.2.1:", false},
                      TargetCase{"tcp:192.0.2.1:x1", false}, TargetCase{"tcp:[2001:db8::1]", false},
                      TargetCase{"tcp::443", false}, TargetCase{"icmp:1.1.1.1", false},
                      TargetCase{"ARP", false}, TargetCase{"::", false}, TargetCase{"", false},
                      TargetCase{"one.one.one.one", false}));

}  // namespace
}  // namespace uplinkd
