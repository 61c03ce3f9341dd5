// SPDX-License-Identifier: GPL-2.0-or-later
// What the decoders do with messages that are cut short, corrupt, or of another kind.
#include <gmock/gmock.h>
#include <linux/rtnetlink.h>

#include <functional>

#include "codec_test_util.hpp"

namespace uplinkd::netlink {
namespace {

using testing::Buffer;
using testing::ip;
using testing::prefix;

struct Kind {
  const char* name;
  std::function<nlmsghdr*(std::span<char>)> encode;
  std::function<bool(const nlmsghdr*)> decodes;
};

std::vector<Kind> kinds() {
  Route route;
  route.destination = prefix("10.0.0.0/8");
  route.gateway = ip("100.64.1.1");
  route.oif = 3;
  Rule rule;
  rule.priority = 20100;
  rule.table = 200;
  rule.source = prefix("100.64.1.10/32");
  rule.iifname = "lan0";
  Nexthop nexthop;
  nexthop.id = 0x75000001;
  nexthop.gateway = ip("100.64.1.1");
  nexthop.ifindex = 3;
  Address address{3, prefix("100.64.1.10/24"), 0};
  Link link{3, "wan0", true, true};
  return {
      {"route", [=](auto b) { return encode_route(b, Operation::add, route); },
       [](auto m) { return decode_route(m).has_value(); }},
      {"rule", [=](auto b) { return encode_rule(b, Operation::add, rule); },
       [](auto m) { return decode_rule(m).has_value(); }},
      {"nexthop", [=](auto b) { return encode_nexthop(b, Operation::add, nexthop); },
       [](auto m) { return decode_nexthop(m).has_value(); }},
      {"address", [=](auto b) { return encode_address(b, Operation::add, address); },
       [](auto m) { return decode_address(m).has_value(); }},
      {"link", [=](auto b) { return encode_link(b, link); },
       [](auto m) { return decode_link(m).has_value(); }},
  };
}

TEST(Malformed, EveryLengthShortOfTheWholeMessageIsRejectedOrSafe) {
  for (const auto& kind : kinds()) {
    Buffer buffer;
    nlmsghdr* message = kind.encode(buffer.span());
    ASSERT_NE(message, nullptr) << kind.name;
    ASSERT_TRUE(kind.decodes(message)) << kind.name;
    const uint32_t full = message->nlmsg_len;
    // Shorter than the family header: nothing to decode.
    message->nlmsg_len = MNL_NLMSG_HDRLEN + 2;
    EXPECT_FALSE(kind.decodes(message)) << kind.name;
    // Cutting into the last attribute makes it run past the message.
    message->nlmsg_len = full - 4;
    EXPECT_FALSE(kind.decodes(message)) << kind.name;
  }
}

TEST(Malformed, OtherKindsAreNotDecoded) {
  const auto all = kinds();
  for (size_t i = 0; i < all.size(); ++i) {
    Buffer buffer;
    nlmsghdr* message = all[i].encode(buffer.span());
    for (size_t j = 0; j < all.size(); ++j) {
      if (i == j) continue;
      EXPECT_FALSE(all[j].decodes(message)) << all[i].name << " as " << all[j].name;
    }
  }
}

TEST(Malformed, AttributeWithAZeroLengthIsRejected) {
  Buffer buffer;
  Route route;
  route.destination = prefix("10.0.0.0/8");
  route.oif = 3;
  nlmsghdr* message = encode_route(buffer.span(), Operation::add, route);
  auto* first = reinterpret_cast<nlattr*>(static_cast<char*>(mnl_nlmsg_get_payload(message)) + sizeof(rtmsg));
  first->nla_len = 0;
  EXPECT_FALSE(decode_route(message).has_value());
}

TEST(Malformed, AddressOfTheWrongSizeIsRejected) {
  Buffer buffer;
  Route route;
  route.destination = prefix("10.0.0.0/8");
  nlmsghdr* message = encode_route(buffer.span(), Operation::add, route);
  const uint8_t three[3] = {1, 2, 3};
  testing::append_attribute(message, RTA_GATEWAY, three, sizeof three);
  EXPECT_FALSE(decode_route(message).has_value());
}

TEST(Malformed, UnknownFamilyIsNotARoute) {
  Buffer buffer;
  Route route;
  route.destination = prefix("10.0.0.0/8");
  nlmsghdr* message = encode_route(buffer.span(), Operation::add, route);
  static_cast<rtmsg*>(mnl_nlmsg_get_payload(message))->rtm_family = 128;  // RTNL_FAMILY_IPMR
  EXPECT_FALSE(decode_route(message).has_value());
}

TEST(Malformed, UnknownAttributesAreIgnored) {
  Buffer buffer;
  Route route;
  route.destination = prefix("10.0.0.0/8");
  route.gateway = ip("100.64.1.1");
  nlmsghdr* message = encode_route(buffer.span(), Operation::add, route);
  const uint64_t junk = 0x1122334455667788;
  testing::append_attribute(message, RTA_CACHEINFO, &junk, sizeof junk);
  testing::append_attribute(message, 0x7ff, &junk, sizeof junk);
  testing::append_attribute(message, RTA_PREF, &junk, 1);
  EXPECT_EQ(decode_route(message), route);
}

}  // namespace
}  // namespace uplinkd::netlink
