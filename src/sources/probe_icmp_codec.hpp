// SPDX-License-Identifier: GPL-2.0-or-later
// ICMP echo packets (ICMPv4, and ICMPv6's echo of RFC 4443 4.1) as uplinkd's health probes send and read
// them. Pure code: no sockets, so every way a packet can be short, foreign or corrupt is unit-tested
// (tests/unit/sources/probe_icmp_codec_test.cpp).
//
// Both families have the same layout; they differ in the types (8/0 and 128/129) and the checksum. ICMPv6's
// covers a pseudo-header of addresses the kernel chooses, so an ICMPv6 message is encoded with a zero
// checksum: the kernel computes it on send (always, for ICMPv6 sockets: RFC 3542 section 3.1) and drops a
// message whose checksum is wrong before any socket sees it.
//
// The payload is 16 bytes — magic, sequence, send time — because some ISPs drop echo requests without a
// payload, and because the magic and the repeated sequence let a raw socket, which sees every echo reply
// that reaches the host, tell uplinkd's replies from anyone else's.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "common/ip.hpp"

namespace uplinkd::icmp {

inline constexpr uint8_t kEchoReply = 0;
inline constexpr uint8_t kEchoRequest = 8;
inline constexpr uint8_t kEcho6Request = 128;
inline constexpr uint8_t kEcho6Reply = 129;
inline constexpr size_t kHeaderSize = 8;
inline constexpr size_t kPayloadSize = 16;
inline constexpr uint32_t kMagic = 0x55504c4b;  // "UPLK"

struct Echo {
  uint8_t type = kEchoRequest;  // written as it is: kEcho6Request for ICMPv6
  uint16_t identifier = 0;      // a ping socket's kernel overwrites it with the socket's own on send
  uint16_t sequence = 0;
  uint64_t sent_ns = 0;  // the sender's clock, carried for tracing; RTTs are measured locally

  bool operator==(const Echo&) const = default;
};

// RFC 1071: the one's complement of the one's complement sum of 16-bit words (an odd byte padded with 0).
uint16_t internet_checksum(std::span<const uint8_t> bytes);

inline uint8_t echo_request_type(Family family) {
  return family == Family::v4 ? kEchoRequest : kEcho6Request;
}

// Header and payload, ready for sendto() on a raw or a ping socket of `family`: with a valid checksum for
// ICMPv4, a zero one for ICMPv6 (the header says why).
std::vector<uint8_t> encode_echo(const Echo& echo, Family family = Family::v4);

// An echo *reply* of uplinkd's (type 0 or 129, code 0, for ICMPv4 a valid checksum, our magic, the payload's
// sequence equal to the header's), or nothing for anything else: requests, errors, truncated packets, other
// programs' pings, the other family's reply type.
std::optional<Echo> decode_echo_reply(std::span<const uint8_t> icmp, Family family = Family::v4);

// What a raw IPv4 socket reads is the IP header followed by the ICMP message: the ICMP part and the packet's
// source, or nothing if it is not a whole, unfragmented ICMP packet.
struct Ipv4Icmp {
  IpAddress source;
  std::span<const uint8_t> icmp;
};
std::optional<Ipv4Icmp> strip_ipv4_header(std::span<const uint8_t> packet);

}  // namespace uplinkd::icmp
