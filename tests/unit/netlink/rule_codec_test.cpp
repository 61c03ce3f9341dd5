// SPDX-License-Identifier: GPL-2.0-or-later
#include <gmock/gmock.h>
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>

#include "codec_test_util.hpp"

namespace uplinkd::netlink {
namespace {

using testing::Buffer;
using testing::prefix;

std::vector<Rule> cases() {
  std::vector<Rule> rules;
  Rule r;
  r.priority = 20000;
  r.table = 254;
  r.protocol = 117;
  r.suppress_prefixlength = 0;
  rules.push_back(r);

  r = Rule{};
  r.priority = 20100;
  r.table = 200;
  r.protocol = 117;
  r.source = prefix("100.64.1.10/32");
  rules.push_back(r);

  r = Rule{};  // every field
  r.priority = 20555;
  r.table = 100000;
  r.protocol = 117;
  r.source = prefix("10.1.0.0/16");
  r.destination = prefix("192.0.2.0/24");
  r.fwmark = 0x10;
  r.fwmask = 0xff;
  r.suppress_prefixlength = 24;
  r.iifname = "lan0";
  r.oifname = "wan1";
  rules.push_back(r);

  r = Rule{};
  r.family = Family::v6;
  r.priority = 20100;
  r.table = 201;
  r.protocol = 117;
  r.source = prefix("2001:db8:1::10/128");
  r.destination = prefix("2001:db8:ff::/48");
  rules.push_back(r);

  r = Rule{};
  r.priority = 20999;
  r.action = FR_ACT_UNREACHABLE;
  r.protocol = 117;
  rules.push_back(r);
  return rules;
}

TEST(RuleCodec, RoundTripsEveryField) {
  for (const auto& rule : cases()) {
    Buffer buffer;
    nlmsghdr* message = encode_rule(buffer.span(), Operation::add, rule);
    ASSERT_NE(message, nullptr);
    const auto decoded = decode_rule(message);
    ASSERT_TRUE(decoded.has_value()) << rule.priority;
    EXPECT_EQ(*decoded, rule) << rule.priority;
  }
}

TEST(RuleCodec, ReplaceIsAnAddAndRemoveIsADelete) {
  Buffer buffer;
  auto* replace = encode_rule(buffer.span(), Operation::replace, cases()[0]);
  EXPECT_EQ(replace->nlmsg_type, RTM_NEWRULE);
  EXPECT_EQ(replace->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
  auto* remove = encode_rule(buffer.span(), Operation::remove, cases()[0]);
  EXPECT_EQ(remove->nlmsg_type, RTM_DELRULE);
}

TEST(RuleCodec, KernelsUnsetSuppressPrefixlengthIsNone) {
  Buffer buffer;
  Rule rule;
  rule.priority = 20100;
  rule.table = 200;
  auto* message = encode_rule(buffer.span(), Operation::add, rule);
  const uint32_t unset = 0xffffffff;
  testing::append_attribute(message, FRA_SUPPRESS_PREFIXLEN, &unset, sizeof unset);
  const auto decoded = decode_rule(message);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_FALSE(decoded->suppress_prefixlength.has_value());
}

TEST(RuleCodec, TableAbove255UsesFraTable) {
  Buffer buffer;
  auto rule = cases()[2];
  auto* message = encode_rule(buffer.span(), Operation::add, rule);
  EXPECT_EQ(static_cast<const fib_rule_hdr*>(mnl_nlmsg_get_payload(message))->table, RT_TABLE_UNSPEC);
  EXPECT_EQ(decode_rule(message)->table, 100000u);
}

TEST(RuleCodec, MarkWithoutMaskSendsNoMask) {
  Buffer buffer;
  Rule rule;
  rule.fwmark = 7;
  auto* message = encode_rule(buffer.span(), Operation::add, rule);
  EXPECT_EQ(testing::find_attribute(message, sizeof(fib_rule_hdr), FRA_FWMASK), nullptr);
  EXPECT_NE(testing::find_attribute(message, sizeof(fib_rule_hdr), FRA_FWMARK), nullptr);
}

}  // namespace
}  // namespace uplinkd::netlink
