// SPDX-License-Identifier: GPL-2.0-or-later
// Event decoding and ack parsing work on plain buffers, so they are tested without a socket.
#include "netlink/monitor.hpp"

#include <gmock/gmock.h>
#include <linux/if.h>
#include <linux/rtnetlink.h>

#include <cstring>

#include "codec_test_util.hpp"
#include "netlink/socket.hpp"

namespace uplinkd::netlink {
namespace {

using testing::ip;
using testing::prefix;

struct Stream {
  alignas(nlmsghdr) std::array<char, 8192> bytes{};
  size_t used = 0;
  std::span<char> next() { return std::span<char>(bytes).subspan(used); }
  void commit(const nlmsghdr* message) { used += MNL_ALIGN(message->nlmsg_len); }
};

TEST(DecodeEvents, TurnsEachMessageIntoATypedEvent) {
  Stream stream;
  Route route;
  route.destination = prefix("default");
  route.table = 200;
  route.gateway = ip("100.64.1.1");
  auto* added = encode_route(stream.next(), Operation::add, route);
  stream.commit(added);
  auto* removed = encode_route(stream.next(), Operation::remove, route);
  removed->nlmsg_type = RTM_DELROUTE;
  static_cast<rtmsg*>(mnl_nlmsg_get_payload(removed))->rtm_scope = 0;  // as the kernel reports it
  stream.commit(removed);
  const Link link{3, "wan0", true, true};
  auto* link_message = encode_link(stream.next(), link);
  static_cast<ifinfomsg*>(mnl_nlmsg_get_payload(link_message))->ifi_flags |= IFF_LOWER_UP;
  stream.commit(link_message);
  Nexthop nexthop;
  nexthop.id = 0x75000001;
  nexthop.ifindex = 3;
  auto* nexthop_message = encode_nexthop(stream.next(), Operation::add, nexthop);
  stream.commit(nexthop_message);
  auto* unrelated = encode_route_dump(stream.next(), Family::v4, 0, 0);  // RTM_GETROUTE: not an event
  stream.commit(unrelated);
  Rule rule;
  rule.priority = 20100;
  rule.table = 200;
  auto* rule_message = encode_rule(stream.next(), Operation::remove, rule);
  stream.commit(rule_message);
  const Address address{3, prefix("100.64.1.10/24"), 0};
  stream.commit(encode_address(stream.next(), Operation::add, address));

  const auto events = decode_events(stream.bytes.data(), stream.used);
  ASSERT_EQ(events.size(), 6u);
  EXPECT_EQ(std::get<RouteEvent>(events[0]), (RouteEvent{EventKind::added, route}));
  EXPECT_EQ(std::get<RouteEvent>(events[1]), (RouteEvent{EventKind::removed, route}));
  EXPECT_EQ(std::get<LinkEvent>(events[2]), (LinkEvent{EventKind::added, link}));
  EXPECT_EQ(std::get<NexthopEvent>(events[3]), (NexthopEvent{EventKind::added, nexthop}));
  EXPECT_EQ(std::get<RuleEvent>(events[4]), (RuleEvent{EventKind::removed, rule}));
  EXPECT_EQ(std::get<AddressEvent>(events[5]), (AddressEvent{EventKind::added, address}));
}

TEST(ExtendedAck, ReadsTheKernelsMessageFromACappedAck) {
  alignas(nlmsghdr) std::array<char, 512> bytes{};
  nlmsghdr* message = mnl_nlmsg_put_header(bytes.data());
  message->nlmsg_type = NLMSG_ERROR;
  message->nlmsg_flags = NLM_F_CAPPED | NLM_F_ACK_TLVS;
  auto* error = static_cast<nlmsgerr*>(mnl_nlmsg_put_extra_header(message, sizeof(nlmsgerr)));
  error->error = -ENODEV;
  error->msg.nlmsg_len = 200;  // the request's length; capped, so its body is not echoed
  mnl_attr_put_strz(message, NLMSGERR_ATTR_MSG, "Nexthop device is not up");
  EXPECT_EQ(extended_ack_message(message), "Nexthop device is not up");

  message->nlmsg_flags = NLM_F_CAPPED;  // no TLVs: nothing to read
  EXPECT_EQ(extended_ack_message(message), "");
}

TEST(ExtendedAck, SkipsTheEchoedRequestOfAnUncappedAck) {
  alignas(nlmsghdr) std::array<char, 512> bytes{};
  nlmsghdr* message = mnl_nlmsg_put_header(bytes.data());
  message->nlmsg_type = NLMSG_ERROR;
  message->nlmsg_flags = NLM_F_ACK_TLVS;
  auto* error = static_cast<nlmsgerr*>(mnl_nlmsg_put_extra_header(message, sizeof(nlmsgerr)));
  error->error = -EINVAL;
  error->msg.nlmsg_len = sizeof(nlmsghdr) + 12;
  mnl_nlmsg_put_extra_header(message, 12);  // the echoed request body
  mnl_attr_put_strz(message, NLMSGERR_ATTR_MSG, "Invalid prefix for given prefix length");
  EXPECT_EQ(extended_ack_message(message), "Invalid prefix for given prefix length");
}

}  // namespace
}  // namespace uplinkd::netlink
