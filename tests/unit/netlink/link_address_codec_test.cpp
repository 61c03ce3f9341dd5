// SPDX-License-Identifier: GPL-2.0-or-later
#include <gmock/gmock.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>

#include "codec_test_util.hpp"

namespace uplinkd::netlink {
namespace {

using testing::Buffer;
using testing::prefix;

TEST(LinkCodec, RoundTripsNameAndFlags) {
  for (const bool up : {false, true}) {
    Buffer buffer;
    Link link{7, "wan0", up, false};
    auto* message = encode_link(buffer.span(), link);
    ASSERT_NE(message, nullptr);
    EXPECT_EQ(decode_link(message), link);
  }
}

TEST(LinkCodec, CarrierIsLowerUp) {
  Buffer buffer;
  auto* message = encode_link(buffer.span(), Link{3, "lte0", true, false});
  static_cast<ifinfomsg*>(mnl_nlmsg_get_payload(message))->ifi_flags |= IFF_LOWER_UP | IFF_RUNNING;
  message->nlmsg_type = RTM_DELLINK;
  EXPECT_EQ(decode_link(message), (Link{3, "lte0", true, true}));
}

TEST(AddressCodec, RoundTripsBothFamilies) {
  const Address cases[] = {
      {3, prefix("100.64.1.10/24"), 0}, {4, prefix("2001:db8::10/64"), 0}, {5, prefix("fe80::1/64"), 253}};
  for (const auto operation : {Operation::add, Operation::remove}) {
    for (const auto& address : cases) {
      Buffer buffer;
      auto* message = encode_address(buffer.span(), operation, address);
      ASSERT_NE(message, nullptr);
      EXPECT_EQ(decode_address(message), address) << address.local.to_string();
    }
  }
}

TEST(AddressCodec, PointToPointKeepsOwnEndFromIfaLocal) {
  Buffer buffer;
  Address address{3, prefix("10.64.64.10/32"), 0};
  auto* message = encode_address(buffer.span(), Operation::add, address);
  // Rewrite IFA_ADDRESS to the peer's address, as the kernel reports a PPP link.
  nlattr* peer = testing::find_attribute(message, sizeof(ifaddrmsg), IFA_ADDRESS);
  ASSERT_NE(peer, nullptr);
  static_cast<uint8_t*>(mnl_attr_get_payload(peer))[3] = 1;
  EXPECT_EQ(decode_address(message), address);
}

}  // namespace
}  // namespace uplinkd::netlink
