// SPDX-License-Identifier: GPL-2.0-or-later
#include <gmock/gmock.h>
#include <linux/nexthop.h>
#include <linux/rtnetlink.h>
#include <unistd.h>

#include <map>

#include "codec_test_util.hpp"

namespace uplinkd::netlink {
namespace {

using testing::Buffer;
using testing::ip;

std::vector<Nexthop> cases() {
  std::vector<Nexthop> nexthops;
  Nexthop n;
  n.id = 0x750000c8;
  n.protocol = 117;
  n.gateway = ip("100.64.1.1");
  n.ifindex = 3;
  nexthops.push_back(n);

  n.onlink = true;
  nexthops.push_back(n);

  n = Nexthop{};
  n.id = 0x750000c9;
  n.family = Family::v6;
  n.protocol = 117;
  n.gateway = ip("fe80::1");
  n.ifindex = 4;
  nexthops.push_back(n);

  n = Nexthop{};
  n.id = 0x750000ca;
  n.protocol = 117;
  n.ifindex = 5;  // a device nexthop, for a direct link
  nexthops.push_back(n);

  n = Nexthop{};
  n.id = 0x750000cb;
  n.protocol = 117;
  n.blackhole = true;
  nexthops.push_back(n);

  n = Nexthop{};
  n.id = 0x75f00000;
  n.protocol = 117;
  n.group = {{0x750000c8, 1}, {0x750000c9, 256}, {0x750000ca, 17}};
  nexthops.push_back(n);

  n = Nexthop{};
  n.id = 0x75f00010;
  n.protocol = 117;
  n.group = {{0x750000c8, 3}, {0x750000c9, 1}};
  n.group_type = NexthopGroupType::resilient;
  n.resilient = ResilientGroupParams{64, 300, 30};
  nexthops.push_back(n);
  return nexthops;
}

TEST(NexthopCodec, RoundTripsSinglesAndGroups) {
  for (const auto operation : {Operation::add, Operation::replace}) {
    for (const auto& nexthop : cases()) {
      Buffer buffer;
      nlmsghdr* message = encode_nexthop(buffer.span(), operation, nexthop);
      ASSERT_NE(message, nullptr);
      const auto decoded = decode_nexthop(message);
      ASSERT_TRUE(decoded.has_value()) << nexthop.id;
      EXPECT_EQ(*decoded, nexthop) << nexthop.id;
    }
  }
}

TEST(NexthopCodec, GroupTravelsAsUnspecWithWeightMinusOne) {
  Buffer buffer;
  const auto group = cases()[5];
  auto* message = encode_nexthop(buffer.span(), Operation::add, group);
  EXPECT_EQ(static_cast<const nhmsg*>(mnl_nlmsg_get_payload(message))->nh_family, AF_UNSPEC);
  nlattr* group_attr = testing::find_attribute(message, sizeof(nhmsg), NHA_GROUP);
  ASSERT_NE(group_attr, nullptr);
  const auto* entries = static_cast<const nexthop_grp*>(mnl_attr_get_payload(group_attr));
  EXPECT_EQ(entries[0].weight, 0);
  EXPECT_EQ(entries[1].weight, 255);
  EXPECT_EQ(entries[2].weight, 16);

  auto v6_group = group;  // the family of a group is not kept: it decodes as v4
  v6_group.family = Family::v6;
  EXPECT_EQ(decode_nexthop(encode_nexthop(buffer.span(), Operation::add, v6_group))->family, Family::v4);
}

TEST(NexthopCodec, ResilientTimersAreClockTicks) {
  Buffer buffer;
  auto* message = encode_nexthop(buffer.span(), Operation::add, cases()[6]);
  const nlattr* nest = testing::find_attribute(message, sizeof(nhmsg), NHA_RES_GROUP);
  ASSERT_NE(nest, nullptr);
  const long hz = sysconf(_SC_CLK_TCK);
  std::map<uint16_t, uint32_t> values;
  for (nlattr* attr : testing::nested(nest)) {
    const uint16_t type = mnl_attr_get_type(attr);
    values[type] = type == NHA_RES_GROUP_BUCKETS ? mnl_attr_get_u16(attr) : mnl_attr_get_u32(attr);
  }
  EXPECT_EQ(values[NHA_RES_GROUP_BUCKETS], 64u);
  EXPECT_EQ(values[NHA_RES_GROUP_IDLE_TIMER], 300 * hz);
  EXPECT_EQ(values[NHA_RES_GROUP_UNBALANCED_TIMER], 30 * hz);
}

TEST(NexthopCodec, DeleteCarriesOnlyTheId) {
  // The kernel refuses a delete with any other attribute or a non-zero header.
  Buffer buffer;
  auto* message = encode_nexthop(buffer.span(), Operation::remove, cases()[0]);
  EXPECT_EQ(message->nlmsg_type, RTM_DELNEXTHOP);
  const auto* header = static_cast<const nhmsg*>(mnl_nlmsg_get_payload(message));
  EXPECT_EQ(header->nh_family, 0);
  EXPECT_EQ(header->nh_protocol, 0);
  EXPECT_EQ(header->nh_flags, 0u);
  EXPECT_EQ(message->nlmsg_len, MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(nhmsg)) + MNL_ATTR_HDRLEN + 4);
}

TEST(NexthopCodec, IgnoresTheKernelsExtraGroupAttributes) {
  Buffer buffer;
  auto* message = encode_nexthop(buffer.span(), Operation::add, cases()[6]);
  const uint32_t dead = 0;
  testing::append_attribute(message, NHA_RES_BUCKET, &dead, sizeof dead);
  testing::append_attribute(message, 250, &dead, sizeof dead);
  EXPECT_EQ(decode_nexthop(message), cases()[6]);
}

}  // namespace
}  // namespace uplinkd::netlink
