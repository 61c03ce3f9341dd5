// SPDX-License-Identifier: GPL-2.0-or-later
#include "sources/probe_ndp_codec.hpp"

#include <gtest/gtest.h>

#include <random>
#include <vector>

namespace uplinkd::ndp {
namespace {

using Bytes = std::vector<uint8_t>;

const MacAddress kOurMac{0x02, 0x00, 0x00, 0x00, 0x01, 0x0a};
const MacAddress kRouterMac{0x02, 0x00, 0x00, 0x00, 0x01, 0x01};
const IpAddress kRouter = *IpAddress::parse("fe80::1");
const IpAddress kOurLinkLocal = *IpAddress::parse("fe80::ff:fe00:10a");

IpAddress ip(const char* text) {
  return *IpAddress::parse(text);
}

constexpr uint8_t kRouterFlag = 0x80, kSolicitedFlag = 0x40, kOverrideFlag = 0x20;

Bytes option(uint8_t type, uint8_t units, uint8_t fill = 0) {
  Bytes bytes(static_cast<size_t>(units) * 8, fill);
  if (!bytes.empty()) bytes[0] = type;
  if (bytes.size() > 1) bytes[1] = units;
  return bytes;
}

Bytes target_mac_option(const MacAddress& mac) {
  Bytes bytes = option(2, 1);
  std::copy(mac.begin(), mac.end(), bytes.begin() + 2);
  return bytes;
}

// An advertisement as a Linux router sends one in answer to a multicast solicitation: router, solicited and
// override flags, its MAC in a target link-layer address option.
Bytes advertisement(const IpAddress& target = kRouter,
                    uint8_t flags = kRouterFlag | kSolicitedFlag | kOverrideFlag,
                    const Bytes& options = target_mac_option(kRouterMac)) {
  Bytes message(kMessageSize, 0);
  message[0] = kNeighbourAdvertisement;
  message[2] = 0x12;  // a checksum, whatever it is: the kernel checked it
  message[3] = 0x34;
  message[4] = flags;
  std::copy_n(target.data(), 16, message.begin() + 8);
  message.insert(message.end(), options.begin(), options.end());
  return message;
}

// Sent by the router to our link-local address with hop limit 255.
Envelope from_router(int hop_limit = kHopLimit) {
  return Envelope{kRouter, kOurLinkLocal, hop_limit};
}

TEST(NdpAddresses, LinkLocalAndMulticast) {
  EXPECT_TRUE(is_link_local(ip("fe80::1")));
  EXPECT_TRUE(is_link_local(ip("febf:ffff::1"))) << "fe80::/10 is wider than the /64 in use";
  EXPECT_FALSE(is_link_local(ip("fec0::1"))) << "site-local, deprecated";
  EXPECT_FALSE(is_link_local(ip("2001:db8::1")));
  EXPECT_FALSE(is_link_local(ip("fd00::1")));
  EXPECT_FALSE(is_link_local(ip("254.128.0.1"))) << "IPv4 with fe80 in its first bytes";
  EXPECT_TRUE(is_multicast(ip("ff02::1")));
  EXPECT_TRUE(is_multicast(ip("ff02::1:ff00:1")));
  EXPECT_FALSE(is_multicast(ip("fe80::1")));
  EXPECT_FALSE(is_multicast(ip("255.255.255.255")));
}

TEST(NdpAddresses, SolicitedNodeGroup) {
  // RFC 4291 2.7.1: ff02::1:ff00:0/104 and the address's low 24 bits.
  EXPECT_EQ(ip("ff02::1:ff00:1"), solicited_node(ip("fe80::1")));
  EXPECT_EQ(ip("ff02::1:ff12:3456"), solicited_node(ip("2001:db8::abcd:ef12:3456")));
  EXPECT_EQ(ip("ff02::1:ffff:ffff"), solicited_node(ip("fe80::ffff:ffff:ffff:ffff")));
}

TEST(NdpCodec, SolicitationLayout) {
  const Bytes expected = {
      135,  0,    0,    0,    0,    0,    0,    0,     // type, code, checksum (the kernel's), reserved
      0xfe, 0x80, 0,    0,    0,    0,    0,    0,     // target fe80::1
      0,    0,    0,    0,    0,    0,    0,    1,     //
      1,    1,    0x02, 0x00, 0x00, 0x00, 0x01, 0x0a,  // source link-layer address, one unit: our MAC
  };
  EXPECT_EQ(expected, encode_solicitation(kRouter, kOurMac));
  EXPECT_EQ(kSolicitationSize, expected.size());
}

TEST(NdpCodec, RouterAnswerDecodesAndAnswers) {
  const auto decoded = decode_advertisement(advertisement(), from_router());
  ASSERT_TRUE(decoded);
  EXPECT_EQ((Advertisement{true, true, true, kRouter, kRouterMac}), *decoded);
  EXPECT_TRUE(answers(*decoded, from_router(), kRouter));

  // Without the option (allowed when the solicitation was unicast), and from a host that is not a router:
  // the router flag is not asked for, the answer is what counts.
  const auto bare = decode_advertisement(advertisement(kRouter, kSolicitedFlag, {}), from_router());
  ASSERT_TRUE(bare);
  EXPECT_EQ(std::nullopt, bare->mac);
  EXPECT_FALSE(bare->router);
  EXPECT_TRUE(answers(*bare, from_router(), kRouter));

  // A global router address is answered the same way.
  const IpAddress global = ip("2001:db8:1::1");
  const Envelope from_global{global, kOurLinkLocal, kHopLimit};
  const auto decoded_global = decode_advertisement(advertisement(global), from_global);
  ASSERT_TRUE(decoded_global);
  EXPECT_TRUE(answers(*decoded_global, from_global, global));
}

TEST(NdpCodec, HopLimitMustBe255) {
  for (int hop_limit : {254, 64, 1, 0, 256, -1}) {
    EXPECT_FALSE(decode_advertisement(advertisement(), from_router(hop_limit))) << "hop limit " << hop_limit;
  }
}

TEST(NdpCodec, OptionsAreWalkedSafely) {
  const Bytes nonce = option(14, 1, 0x77);  // RFC 3971's nonce, as SEND and the kernel's DAD use it
  const Bytes unknown = option(200, 2, 0x55);
  Bytes options = nonce;
  options.insert(options.end(), unknown.begin(), unknown.end());
  const Bytes mac = target_mac_option(kRouterMac);
  options.insert(options.end(), mac.begin(), mac.end());
  const auto decoded = decode_advertisement(advertisement(kRouter, kSolicitedFlag, options), from_router());
  ASSERT_TRUE(decoded);
  EXPECT_EQ(kRouterMac, decoded->mac) << "found after options of other kinds";

  // A target link-layer option of another size is another link type's address, not a MAC.
  const auto wide =
      decode_advertisement(advertisement(kRouter, kSolicitedFlag, option(2, 2, 0x11)), from_router());
  ASSERT_TRUE(wide);
  EXPECT_EQ(std::nullopt, wide->mac);

  struct Case {
    Bytes options;
    const char* what;
  };
  Bytes past_end = target_mac_option(kRouterMac);
  past_end[1] = 2;
  Bytes zero_length = target_mac_option(kRouterMac);
  zero_length[1] = 0;
  const Case cases[] = {
      {zero_length, "an option of length 0"},
      {past_end, "an option longer than the message"},
      {{2}, "one byte of an option"},
      {Bytes(7, 0x02), "less than a unit"},
  };
  for (const auto& c : cases) {
    EXPECT_FALSE(decode_advertisement(advertisement(kRouter, kSolicitedFlag, c.options), from_router()))
        << c.what;
  }
}

TEST(NdpCodec, RejectsInvalidAdvertisements) {
  const Bytes good = advertisement();
  for (size_t length = 0; length < kMessageSize; ++length) {
    EXPECT_FALSE(decode_advertisement(std::span(good).first(length), from_router()))
        << "truncated to " << length;
  }
  EXPECT_TRUE(decode_advertisement(std::span(good).first(kMessageSize), from_router()))
      << "no options at all";

  Bytes solicitation = encode_solicitation(kRouter, kRouterMac);
  EXPECT_FALSE(decode_advertisement(solicitation, from_router())) << "a solicitation";
  Bytes code = good;
  code[1] = 1;
  EXPECT_FALSE(decode_advertisement(code, from_router())) << "code 1";
  Bytes redirect = good;
  redirect[0] = 137;
  EXPECT_FALSE(decode_advertisement(redirect, from_router())) << "a redirect";
  EXPECT_FALSE(decode_advertisement(advertisement(ip("ff02::1")), from_router())) << "a multicast target";

  // Solicited, to a multicast destination: RFC 4861 7.1.2 says drop it.
  const Envelope to_all_nodes{kRouter, ip("ff02::1"), kHopLimit};
  EXPECT_FALSE(decode_advertisement(good, to_all_nodes));
  // Unsolicited to all nodes (a router announcing a new MAC) is valid, and no answer.
  const auto announced =
      decode_advertisement(advertisement(kRouter, kRouterFlag | kOverrideFlag), to_all_nodes);
  ASSERT_TRUE(announced);
  EXPECT_FALSE(answers(*announced, to_all_nodes, kRouter));
  // The destination unknown (no IPV6_PKTINFO): only the hop limit decides.
  EXPECT_TRUE(decode_advertisement(good, Envelope{kRouter, std::nullopt, kHopLimit}));
}

TEST(NdpCodec, OtherAdvertisementsDoNotAnswer) {
  const IpAddress other = ip("fe80::2");
  struct Case {
    Bytes message;
    Envelope envelope;
    const char* what;
  };
  const Case cases[] = {
      {advertisement(kRouter, kRouterFlag | kOverrideFlag), from_router(), "not solicited"},
      {advertisement(other), Envelope{other, kOurLinkLocal, kHopLimit}, "another address answering"},
      {advertisement(kRouter), Envelope{other, kOurLinkLocal, kHopLimit}, "a proxy answering for the router"},
      {advertisement(kRouter, kSolicitedFlag, target_mac_option(arp::kBroadcast)), from_router(),
       "the broadcast MAC"},
      {advertisement(kRouter, kSolicitedFlag, target_mac_option({0x33, 0x33, 0, 0, 0, 1})), from_router(),
       "a multicast MAC"},
      {advertisement(kRouter, kSolicitedFlag, target_mac_option({})), from_router(), "a zero MAC"},
  };
  for (const auto& c : cases) {
    const auto decoded = decode_advertisement(c.message, c.envelope);
    ASSERT_TRUE(decoded) << c.what << " is well-formed";
    EXPECT_FALSE(answers(*decoded, c.envelope, kRouter)) << c.what;
  }
}

TEST(NdpCodec, GarbageIsReadSafelyAndNeverAnswers) {
  // Random messages of every length, half of them behind a valid first word (type, code, checksum, flags):
  // decode reads only within the span (ASan checks that in the sanitizer build), and garbage answers only if
  // it happens to carry exactly the router's address.
  std::mt19937 random(20261213);
  std::uniform_int_distribution<int> byte(0, 255);
  int answered = 0;
  for (int round = 0; round < 20000; ++round) {
    Bytes message(static_cast<size_t>(round % 96));
    for (auto& b : message) b = static_cast<uint8_t>(byte(random));
    if (round % 2 == 0 && message.size() >= 8) std::copy_n(advertisement().begin(), 8, message.begin());
    const auto decoded = decode_advertisement(message, from_router());
    if (decoded && answers(*decoded, from_router(), kRouter)) ++answered;
  }
  EXPECT_EQ(0, answered);
}

}  // namespace
}  // namespace uplinkd::ndp
