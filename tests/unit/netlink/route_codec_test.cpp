// SPDX-License-Identifier: GPL-2.0-or-later
#include <gmock/gmock.h>
#include <linux/rtnetlink.h>

#include "codec_test_util.hpp"

namespace uplinkd::netlink {
namespace {

using testing::Buffer;
using testing::ip;
using testing::prefix;

Route base(std::string_view destination) {
  Route route;
  route.destination = prefix(destination);
  route.table = 200;
  route.protocol = 117;
  return route;
}

std::vector<Route> cases() {
  std::vector<Route> routes;
  auto r = base("default");
  r.gateway = ip("100.64.1.1");
  r.oif = 3;
  routes.push_back(r);

  r = base("10.0.0.0/8");
  r.table = 100000;  // needs RTA_TABLE
  r.priority = 50;
  r.prefsrc = ip("100.64.1.10");
  r.gateway = ip("100.64.1.1");
  r.oif = 4;
  r.onlink = true;
  routes.push_back(r);

  r = base("100.64.1.0/24");
  r.scope = 253;
  r.oif = 2;
  r.prefsrc = ip("100.64.1.10");
  routes.push_back(r);

  r = base("default");
  r.nexthop_id = 0x75f00000;
  routes.push_back(r);

  r = base("default");
  r.type = 6;  // RTN_PROHIBIT
  routes.push_back(r);

  r = base("default");
  r.multipath = {
      {ip("100.64.1.1"), 3, 1, false}, {ip("100.64.2.1"), 4, 256, true}, {std::nullopt, 5, 7, false}};
  routes.push_back(r);

  r = base("default6");
  r.gateway = ip("fe80::1");
  r.oif = 3;
  r.priority = 1024;
  routes.push_back(r);

  r = base("2001:db8::/32");
  r.prefsrc = ip("2001:db8::10");
  r.multipath = {{ip("fe80::1"), 3, 3, false}, {ip("fe80::2"), 4, 1, false}};
  routes.push_back(r);

  r = base("default");  // IPv4 via an IPv6 router: RTA_VIA
  r.gateway = ip("fe80::1");
  r.oif = 3;
  routes.push_back(r);

  r = base("default");
  r.multipath = {{ip("fe80::1"), 3, 2, false}, {ip("100.64.2.1"), 4, 1, false}};
  routes.push_back(r);
  return routes;
}

TEST(RouteCodec, RoundTripsEveryShape) {
  for (const auto operation : {Operation::add, Operation::replace}) {
    for (const auto& route : cases()) {
      Buffer buffer;
      nlmsghdr* message = encode_route(buffer.span(), operation, route);
      ASSERT_NE(message, nullptr);
      const auto decoded = decode_route(message);
      ASSERT_TRUE(decoded.has_value()) << route.destination.to_string();
      EXPECT_EQ(*decoded, route) << route.destination.to_string();
    }
  }
}

TEST(RouteCodec, FlagsFollowTheOperation) {
  Buffer buffer;
  auto* add = encode_route(buffer.span(), Operation::add, base("default"));
  EXPECT_EQ(add->nlmsg_type, RTM_NEWROUTE);
  EXPECT_EQ(add->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
  auto* replace = encode_route(buffer.span(), Operation::replace, base("default"));
  EXPECT_EQ(replace->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE);
  auto* remove = encode_route(buffer.span(), Operation::remove, base("default"));
  EXPECT_EQ(remove->nlmsg_type, RTM_DELROUTE);
  EXPECT_EQ(remove->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);
  EXPECT_EQ(static_cast<const rtmsg*>(mnl_nlmsg_get_payload(remove))->rtm_scope, RT_SCOPE_NOWHERE);
}

TEST(RouteCodec, LargeTableGoesInRtaTableOnly) {
  Buffer buffer;
  auto route = base("default");
  route.table = 70000;
  auto* message = encode_route(buffer.span(), Operation::add, route);
  EXPECT_EQ(static_cast<const rtmsg*>(mnl_nlmsg_get_payload(message))->rtm_table, RT_TABLE_UNSPEC);
  EXPECT_EQ(decode_route(message)->table, 70000u);
}

TEST(RouteCodec, MultipathWeightIsHopsPlusOne) {
  Buffer buffer;
  auto route = base("default");
  route.multipath = {{ip("100.64.1.1"), 3, 10, false}};
  auto* message = encode_route(buffer.span(), Operation::add, route);
  nlattr* multipath = testing::find_attribute(message, sizeof(rtmsg), RTA_MULTIPATH);
  ASSERT_NE(multipath, nullptr);
  const auto* hop = static_cast<const rtnexthop*>(mnl_attr_get_payload(multipath));
  EXPECT_EQ(hop->rtnh_hops, 9);
  EXPECT_EQ(hop->rtnh_ifindex, 3);
}

TEST(RouteCodec, NexthopIdHidesTheKernelsExpansion) {
  // With nexthop_compat_mode the kernel reports the nexthop's gateway and device beside RTA_NH_ID.
  Buffer buffer;
  auto route = base("default");
  route.nexthop_id = 0x75000064;
  auto* message = encode_route(buffer.span(), Operation::add, route);
  const auto gateway = ip("100.64.1.1");
  testing::append_attribute(message, RTA_GATEWAY, gateway.data(), 4);
  const uint32_t oif = 3;
  testing::append_attribute(message, RTA_OIF, &oif, sizeof oif);
  EXPECT_EQ(decode_route(message), route);
}

TEST(RouteCodec, DumpRequestCarriesTheFilter) {
  Buffer buffer;
  auto* message = encode_route_dump(buffer.span(), Family::v6, 300, 117);
  EXPECT_EQ(message->nlmsg_type, RTM_GETROUTE);
  EXPECT_EQ(message->nlmsg_flags, NLM_F_REQUEST | NLM_F_DUMP);
  const auto* header = static_cast<const rtmsg*>(mnl_nlmsg_get_payload(message));
  EXPECT_EQ(header->rtm_family, AF_INET6);
  EXPECT_EQ(header->rtm_protocol, 117);
  EXPECT_EQ(header->rtm_table, RT_TABLE_UNSPEC);
  const nlattr* table = testing::find_attribute(message, sizeof(rtmsg), RTA_TABLE);
  ASSERT_NE(table, nullptr);
  EXPECT_EQ(mnl_attr_get_u32(table), 300u);
}

TEST(RouteCodec, TooSmallABufferYieldsNothing) {
  std::array<char, 40> small{};
  auto route = base("default");
  route.multipath = {{ip("100.64.1.1"), 3, 1, false}, {ip("100.64.2.1"), 4, 1, false}};
  EXPECT_EQ(encode_route(small, Operation::add, route), nullptr);
}

}  // namespace
}  // namespace uplinkd::netlink
