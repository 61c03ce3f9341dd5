// SPDX-License-Identifier: GPL-2.0-or-later
#include "sources/probe_icmp_codec.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace uplinkd::icmp {
namespace {

using Bytes = std::vector<uint8_t>;

struct ChecksumCase {
  Bytes bytes;
  uint16_t checksum;
};

TEST(InternetChecksum, KnownVectors) {
  const ChecksumCase cases[] = {
      // RFC 1071 section 3's example: the sum is 0xddf2, its complement 0x220d.
      {{0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7}, 0x220d},
      // An echo request id 1 seq 1 without payload, as tcpdump shows it: checksum 0xf7fd.
      {{0x08, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01}, 0xf7fd},
      // An odd length is padded with a zero byte.
      {{0x01}, 0xfeff},
      {{}, 0xffff},
      // Carries fold back in: 0xffff + 0x0001 = 0x0001 after folding.
      {{0xff, 0xff, 0x00, 0x01}, 0xfffe},
  };
  for (const auto& c : cases) EXPECT_EQ(c.checksum, internet_checksum(c.bytes));
}

Echo reply(uint16_t id, uint16_t seq, uint64_t ns) {
  return Echo{.type = kEchoReply, .identifier = id, .sequence = seq, .sent_ns = ns};
}

TEST(EchoCodec, RequestLayout) {
  const Bytes packet =
      encode_echo(Echo{.identifier = 0x1234, .sequence = 0x0102, .sent_ns = 0x0a0b0c0d0e0f1011});
  ASSERT_EQ(kHeaderSize + kPayloadSize, packet.size());
  EXPECT_EQ(kEchoRequest, packet[0]);
  EXPECT_EQ(0, packet[1]);
  EXPECT_EQ(Bytes({0x12, 0x34, 0x01, 0x02}), Bytes(packet.begin() + 4, packet.begin() + 8));
  EXPECT_EQ(Bytes({'U', 'P', 'L', 'K', 0x01, 0x02, 0, 0}), Bytes(packet.begin() + 8, packet.begin() + 16));
  EXPECT_EQ(0, internet_checksum(packet)) << "a packet with its checksum sums to zero";
}

TEST(EchoCodec, RoundTrips) {
  for (const Echo& echo : {reply(0, 0, 0), reply(1, 1, 1), reply(0xffff, 0xffff, ~0ull),
                           reply(0x8000, 0x7fff, 1'700'000'000'123'456'789ull)}) {
    EXPECT_EQ(echo, decode_echo_reply(encode_echo(echo)));
  }
}

TEST(EchoCodec, IgnoresWhatIsNotOurReply) {
  const Bytes good = encode_echo(reply(7, 42, 99));
  ASSERT_TRUE(decode_echo_reply(good));

  EXPECT_FALSE(decode_echo_reply(encode_echo(Echo{.identifier = 7, .sequence = 42})))
      << "our own request looped back";
  for (size_t length = 0; length < good.size(); ++length) {
    EXPECT_FALSE(decode_echo_reply(std::span(good).first(length))) << "truncated to " << length;
  }

  Bytes corrupt = good;
  corrupt[20] ^= 0x01;
  EXPECT_FALSE(decode_echo_reply(corrupt)) << "bad checksum";

  Bytes error = good;  // destination unreachable, checksum fixed up so only the type is wrong
  error[0] = 3;
  error[2] = error[3] = 0;
  const uint16_t sum = internet_checksum(error);
  error[2] = static_cast<uint8_t>(sum >> 8);
  error[3] = static_cast<uint8_t>(sum);
  EXPECT_FALSE(decode_echo_reply(error));

  // Another program's ping (iputils puts a timeval first): valid ICMP, but not our magic.
  Bytes foreign(kHeaderSize + kPayloadSize, 0x5a);
  foreign[0] = kEchoReply;
  foreign[1] = 0;
  foreign[2] = foreign[3] = 0;
  const uint16_t foreign_sum = internet_checksum(foreign);
  foreign[2] = static_cast<uint8_t>(foreign_sum >> 8);
  foreign[3] = static_cast<uint8_t>(foreign_sum);
  EXPECT_FALSE(decode_echo_reply(foreign));
}

TEST(EchoCodec, PayloadSequenceMustMatchHeader) {
  Bytes packet = encode_echo(reply(1, 5, 0));
  packet[13] = 6;             // payload says 6, header says 5
  packet[2] = packet[3] = 0;  // fix the checksum so only the mismatch is wrong
  const uint16_t sum = internet_checksum(packet);
  packet[2] = static_cast<uint8_t>(sum >> 8);
  packet[3] = static_cast<uint8_t>(sum);
  EXPECT_FALSE(decode_echo_reply(packet));
}

TEST(EchoCodec, LongerRepliesAreAccepted) {
  // A reply echoes our payload; some middleboxes pad it. Trailing bytes change the checksum, so add them
  // before it is computed.
  Bytes packet = encode_echo(reply(3, 4, 5));
  packet.push_back(0);
  packet.push_back(0);
  EXPECT_TRUE(decode_echo_reply(packet)) << "zero padding keeps the checksum";
}

// ICMPv6 echo: the same layout, types 128 and 129, and a checksum the kernel computes and checks.

Echo reply6(uint16_t id, uint16_t seq, uint64_t ns) {
  return Echo{.type = kEcho6Reply, .identifier = id, .sequence = seq, .sent_ns = ns};
}

TEST(Echo6Codec, RequestLayout) {
  const Bytes packet = encode_echo(
      Echo{.type = echo_request_type(Family::v6), .identifier = 0x1234, .sequence = 0x0102, .sent_ns = 7},
      Family::v6);
  ASSERT_EQ(kHeaderSize + kPayloadSize, packet.size());
  EXPECT_EQ(128, packet[0]);
  EXPECT_EQ(0, packet[1]);
  EXPECT_EQ(Bytes({0, 0}), Bytes(packet.begin() + 2, packet.begin() + 4)) << "the kernel's to fill in";
  EXPECT_EQ(Bytes({0x12, 0x34, 0x01, 0x02}), Bytes(packet.begin() + 4, packet.begin() + 8));
  EXPECT_EQ(Bytes({'U', 'P', 'L', 'K', 0x01, 0x02, 0, 0}), Bytes(packet.begin() + 8, packet.begin() + 16));
  EXPECT_EQ(8, echo_request_type(Family::v4));
}

TEST(Echo6Codec, RoundTrips) {
  for (const Echo& echo : {reply6(0, 0, 0), reply6(1, 1, 1), reply6(0xffff, 0xffff, ~0ull)}) {
    EXPECT_EQ(echo, decode_echo_reply(encode_echo(echo, Family::v6), Family::v6));
  }
}

TEST(Echo6Codec, AnyChecksumIsTheKernelsBusiness) {
  // What a raw or ping socket delivers carries the sender's real checksum, over a pseudo-header the codec
  // never sees; the kernel dropped the message already if it was wrong.
  Bytes packet = encode_echo(reply6(9, 10, 11), Family::v6);
  packet[2] = 0xab;
  packet[3] = 0xcd;
  EXPECT_EQ(reply6(9, 10, 11), decode_echo_reply(packet, Family::v6));
}

TEST(Echo6Codec, IgnoresWhatIsNotOurReply) {
  const Bytes good = encode_echo(reply6(7, 42, 99), Family::v6);
  ASSERT_TRUE(decode_echo_reply(good, Family::v6));
  for (size_t length = 0; length < good.size(); ++length) {
    EXPECT_FALSE(decode_echo_reply(std::span(good).first(length), Family::v6)) << "truncated to " << length;
  }
  struct Case {
    size_t at;
    uint8_t value;
    const char* what;
  };
  const Case cases[] = {
      {0, kEcho6Request, "our own request looped back"},
      {0, 1, "destination unreachable"},
      {0, 3, "time exceeded"},
      {0, kEchoReply, "ICMPv4's reply type"},
      {0, 136, "a neighbour advertisement"},
      {1, 1, "code 1"},
      {8, 'X', "not our magic (another program's ping)"},
      {13, 43, "payload sequence other than the header's"},
  };
  for (const auto& c : cases) {
    Bytes bad = good;
    bad[c.at] = c.value;
    EXPECT_FALSE(decode_echo_reply(bad, Family::v6)) << c.what;
  }
  EXPECT_FALSE(decode_echo_reply(encode_echo(reply(7, 42, 99)), Family::v6)) << "an ICMPv4 reply";
  EXPECT_FALSE(decode_echo_reply(good, Family::v4)) << "an ICMPv6 reply read as ICMPv4";
}

TEST(Echo6Codec, LongerRepliesAreAccepted) {
  Bytes packet = encode_echo(reply6(3, 4, 5), Family::v6);
  packet.insert(packet.end(), {1, 2, 3});
  EXPECT_EQ(reply6(3, 4, 5), decode_echo_reply(packet, Family::v6));
}

Bytes ipv4(const Bytes& icmp, uint8_t protocol = 1, uint8_t ihl = 5, uint16_t flags_offset = 0) {
  Bytes packet(static_cast<size_t>(ihl) * 4, 0);
  packet[0] = static_cast<uint8_t>(0x40 | ihl);
  packet[6] = static_cast<uint8_t>(flags_offset >> 8);
  packet[7] = static_cast<uint8_t>(flags_offset);
  packet[9] = protocol;
  const uint8_t source[] = {198, 51, 100, 1};
  std::copy(std::begin(source), std::end(source), packet.begin() + 12);
  packet.insert(packet.end(), icmp.begin(), icmp.end());
  return packet;
}

TEST(StripIpv4Header, FindsIcmpAndSource) {
  const Bytes icmp = encode_echo(reply(1, 2, 3));
  for (uint8_t ihl : {5, 6, 15}) {  // with and without IP options
    const Bytes packet = ipv4(icmp, 1, ihl);
    const auto stripped = strip_ipv4_header(packet);
    ASSERT_TRUE(stripped) << "ihl " << int(ihl);
    EXPECT_EQ("198.51.100.1", stripped->source.to_string());
    EXPECT_EQ(reply(1, 2, 3), decode_echo_reply(stripped->icmp));
  }
}

TEST(StripIpv4Header, RejectsOthers) {
  const Bytes icmp = encode_echo(reply(1, 2, 3));
  EXPECT_FALSE(strip_ipv4_header(ipv4(icmp, 6))) << "TCP";
  EXPECT_FALSE(strip_ipv4_header(ipv4(icmp, 1, 4))) << "ihl below 5";
  EXPECT_FALSE(strip_ipv4_header(ipv4(icmp, 1, 5, 0x2000))) << "more fragments";
  EXPECT_FALSE(strip_ipv4_header(ipv4(icmp, 1, 5, 0x0010))) << "a later fragment";
  EXPECT_TRUE(strip_ipv4_header(ipv4(icmp, 1, 5, 0x4000))) << "don't-fragment is fine";
  Bytes v6 = ipv4(icmp);
  v6[0] = 0x65;
  EXPECT_FALSE(strip_ipv4_header(v6)) << "version 6";
  const Bytes packet = ipv4(icmp, 1, 15);
  EXPECT_FALSE(strip_ipv4_header(std::span(packet).first(40))) << "shorter than its own header";
  EXPECT_FALSE(strip_ipv4_header({})) << "empty";
}

}  // namespace
}  // namespace uplinkd::icmp
