// SPDX-License-Identifier: GPL-2.0-or-later
#include "sources/probe_arp_codec.hpp"

#include <gtest/gtest.h>

#include <random>
#include <vector>

namespace uplinkd::arp {
namespace {

using Bytes = std::vector<uint8_t>;
using namespace std::chrono_literals;

const MacAddress kOurMac{0x02, 0x00, 0x00, 0x00, 0x01, 0x0a};
const MacAddress kGatewayMac{0x02, 0x00, 0x00, 0x00, 0x01, 0x01};
const IpAddress kOurs = *IpAddress::parse("100.64.1.10");
const IpAddress kGateway = *IpAddress::parse("100.64.1.1");

// The gateway's answer as a Linux gateway sends it: sender and target swapped, padded to Ethernet's
// 60-byte minimum frame (46 bytes after the 14-byte header).
Bytes reply(const IpAddress& from = kGateway, const IpAddress& to = kOurs,
            const MacAddress& from_mac = kGatewayMac, size_t padded_to = 46) {
  Bytes packet = encode_request(from_mac, from, to);
  packet[7] = kReply;
  std::copy(kOurMac.begin(), kOurMac.end(), packet.begin() + 18);
  packet.resize(padded_to, 0);
  return packet;
}

TEST(ArpCodec, RequestLayout) {
  // RFC 826's layout, field for field as the kernel's own requests have it.
  const Bytes expected = {
      0x00, 0x01, 0x08, 0x00, 6,    4,    0x00, 0x01,  // Ethernet, IPv4, lengths, request
      0x02, 0x00, 0x00, 0x00, 0x01, 0x0a,              // sender MAC
      100,  64,   1,    10,                            // sender IP
      0,    0,    0,    0,    0,    0,                 // target MAC: unknown, asked for
      100,  64,   1,    1,                             // target IP
  };
  EXPECT_EQ(expected, encode_request(kOurMac, kOurs, kGateway));
}

TEST(ArpCodec, DecodesItsOwnRequest) {
  const auto packet = decode(encode_request(kOurMac, kOurs, kGateway));
  ASSERT_TRUE(packet);
  EXPECT_EQ((Packet{kRequest, kOurMac, kOurs, MacAddress{}, kGateway}), *packet);
  EXPECT_FALSE(answers(*packet, kOurs, kGateway)) << "our own request looped back is no answer";
}

TEST(ArpCodec, GatewayReplyAnswers) {
  for (size_t length : {size_t{28}, size_t{46}, size_t{1500}}) {
    const auto packet = decode(reply(kGateway, kOurs, kGatewayMac, length));
    ASSERT_TRUE(packet) << "length " << length;
    EXPECT_EQ(kGatewayMac, packet->sender_mac);
    EXPECT_EQ(kOurMac, packet->target_mac);
    EXPECT_TRUE(answers(*packet, kOurs, kGateway)) << "length " << length;
  }
}

TEST(ArpCodec, OtherRepliesDoNotAnswer) {
  const IpAddress other_host = *IpAddress::parse("100.64.1.20");
  const IpAddress other_gateway = *IpAddress::parse("100.64.2.1");
  struct Case {
    Bytes bytes;
    const char* what;
  };
  const Case cases[] = {
      {reply(other_gateway, kOurs), "another address answering us"},
      {reply(kGateway, other_host), "the gateway answering another host"},
      {reply(kGateway, IpAddress::any(Family::v4)), "the gateway answering an RFC 5227 probe"},
      {reply(kGateway, kGateway), "a gratuitous reply"},
      {reply(kGateway, kOurs, kBroadcast), "from the broadcast MAC"},
      {reply(kGateway, kOurs, {0x01, 0x00, 0x5e, 0x00, 0x00, 0x01}), "from a multicast MAC"},
      {reply(kGateway, kOurs, MacAddress{}), "from a zero MAC"},
  };
  for (const auto& c : cases) {
    const auto packet = decode(c.bytes);
    ASSERT_TRUE(packet) << c.what << " is well-formed";
    EXPECT_FALSE(answers(*packet, kOurs, kGateway)) << c.what;
  }
  // The gateway asking for us is alive, but did not answer: a request proves nothing about our probes.
  const auto asking = decode(encode_request(kGatewayMac, kGateway, kOurs));
  ASSERT_TRUE(asking);
  EXPECT_FALSE(answers(*asking, kOurs, kGateway));
}

TEST(ArpCodec, RejectsMalformed) {
  const Bytes good = reply();
  ASSERT_TRUE(decode(good));
  for (size_t length = 0; length < kPacketSize; ++length) {
    EXPECT_FALSE(decode(std::span(good).first(length))) << "truncated to " << length;
  }
  struct Corruption {
    size_t at;
    uint8_t value;
    const char* what;
  };
  const Corruption corruptions[] = {
      {1, 6, "hardware type IEEE 802 (6)"},
      {0, 1, "hardware type 257"},
      {2, 0x86, "protocol IPv6's ethertype"},
      {3, 0x06, "protocol 0x0806"},
      {4, 8, "hardware length 8 (e.g. a 64-bit EUI)"},
      {4, 0, "hardware length 0"},
      {4, 255, "hardware length 255"},
      {5, 16, "protocol length 16"},
      {5, 0, "protocol length 0"},
      {7, 0, "operation 0"},
      {7, 3, "RARP request"},
      {7, 4, "RARP reply"},
      {7, 8, "InARP request"},
      {6, 1, "operation 258"},
  };
  for (const auto& c : corruptions) {
    Bytes bad = good;
    bad[c.at] = c.value;
    EXPECT_FALSE(decode(bad)) << c.what;
  }
  EXPECT_FALSE(decode({})) << "empty";
}

TEST(ArpCodec, GarbageIsReadSafelyAndNeverAnswers) {
  // Random frames of every length, and random bytes behind a valid header: decode reads only within the
  // span (ASan checks that in the sanitizer build), and garbage answers only if it happens to carry exactly
  // our addresses.
  std::mt19937 random(20240611);
  std::uniform_int_distribution<int> byte(0, 255);
  int answered = 0;
  for (int round = 0; round < 20000; ++round) {
    Bytes frame(static_cast<size_t>(round % 80));
    for (auto& b : frame) b = static_cast<uint8_t>(byte(random));
    if (round % 2 == 0 && frame.size() >= 8) std::copy_n(reply().begin(), 8, frame.begin());
    const auto packet = decode(frame);
    if (packet && answers(*packet, kOurs, kGateway)) ++answered;
  }
  EXPECT_EQ(0, answered);
}

TEST(ArpCodec, MacToString) {
  EXPECT_EQ("02:00:00:00:01:0a", to_string(kOurMac));
  EXPECT_EQ("ff:ff:ff:ff:ff:ff", to_string(kBroadcast));
}

using Clock = Outstanding::Clock;
const Clock::time_point t0{};

TEST(ArpOutstanding, AnswersTheNewestRequestToThatGateway) {
  Outstanding outstanding(8);
  const IpAddress other = *IpAddress::parse("100.64.2.1");
  outstanding.add({kGateway, 1, t0});
  outstanding.add({kGateway, 2, t0 + 360ms});
  outstanding.add({other, 2, t0 + 360ms});
  const auto answered = outstanding.answer(kGateway);
  ASSERT_TRUE(answered);
  EXPECT_EQ(2, answered->sequence);
  EXPECT_EQ(t0 + 360ms, answered->sent);
  EXPECT_EQ(2u, outstanding.size());
  EXPECT_EQ(1, outstanding.answer(kGateway)->sequence) << "a second reply answers the older one";
  EXPECT_FALSE(outstanding.answer(kGateway)) << "nothing outstanding to that gateway";
  EXPECT_EQ(2, outstanding.answer(other)->sequence);
  EXPECT_FALSE(outstanding.answer(kOurs)) << "never asked";
}

TEST(ArpOutstanding, OneLostReplyDoesNotShiftTheLaterOnes) {
  // Round 1's reply is lost; every later round is answered 1 ms after its request. Each reply must be
  // credited to its own round with its own round trip (pairing with the oldest would credit round k's reply
  // to round k-1, one interval late, for ever).
  Outstanding outstanding(64);
  const auto interval = 360ms;
  outstanding.add({kGateway, 1, t0});
  for (uint16_t sequence = 2; sequence <= 20; ++sequence) {
    const auto sent = t0 + interval * (sequence - 1);
    outstanding.add({kGateway, sequence, sent});
    const auto answered = outstanding.answer(kGateway);
    ASSERT_TRUE(answered);
    EXPECT_EQ(sequence, answered->sequence);
    EXPECT_EQ(sent, answered->sent);
  }
  EXPECT_EQ(1u, outstanding.size()) << "only the lost request stays";
}

TEST(ArpOutstanding, ReusedSequenceReplacesAndCapacityBounds) {
  Outstanding outstanding(3);
  outstanding.add({kGateway, 7, t0});
  outstanding.add({kGateway, 7, t0 + 1s});
  EXPECT_EQ(1u, outstanding.size());
  EXPECT_EQ(t0 + 1s, outstanding.answer(kGateway)->sent);
  for (uint16_t sequence = 1; sequence <= 5; ++sequence) outstanding.add({kGateway, sequence, t0});
  EXPECT_EQ(3u, outstanding.size());
  EXPECT_EQ(5, outstanding.answer(kGateway)->sequence);
  EXPECT_EQ(4, outstanding.answer(kGateway)->sequence);
  EXPECT_EQ(3, outstanding.answer(kGateway)->sequence) << "1 and 2 were dropped as the oldest";
  EXPECT_FALSE(outstanding.answer(kGateway));

  Outstanding none(0);
  none.add({kGateway, 1, t0});
  EXPECT_FALSE(none.answer(kGateway));
}

}  // namespace
}  // namespace uplinkd::arp
