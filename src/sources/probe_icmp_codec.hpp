// ICMPv4 echo packets as uplinkd's health probes send and read them. Pure code: no sockets, so every way a
// packet can be short, foreign or corrupt is unit-tested (tests/unit/sources/probe_icmp_codec_test.cpp).
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
inline constexpr size_t kHeaderSize = 8;
inline constexpr size_t kPayloadSize = 16;
inline constexpr uint32_t kMagic = 0x55504c4b;  // "UPLK"

struct Echo {
  uint8_t type = kEchoRequest;
  uint16_t identifier = 0;  // a ping socket's kernel overwrites it with the socket's own on send
  uint16_t sequence = 0;
  uint64_t sent_ns = 0;  // the sender's clock, carried for tracing; RTTs are measured locally

  bool operator==(const Echo&) const = default;
};

// RFC 1071: the one's complement of the one's complement sum of 16-bit words (an odd byte padded with 0).
uint16_t internet_checksum(std::span<const uint8_t> bytes);

// Header and payload with a valid checksum, ready for sendto() on a raw or a ping socket.
std::vector<uint8_t> encode_echo(const Echo& echo);

// An echo *reply* of uplinkd's (type 0, code 0, valid checksum, our magic, the payload's sequence equal to
// the header's), or nothing for anything else: requests, errors, truncated packets, other programs' pings.
std::optional<Echo> decode_echo_reply(std::span<const uint8_t> icmp);

// What a raw IPv4 socket reads is the IP header followed by the ICMP message: the ICMP part and the packet's
// source, or nothing if it is not a whole, unfragmented ICMP packet.
struct Ipv4Icmp {
  IpAddress source;
  std::span<const uint8_t> icmp;
};
std::optional<Ipv4Icmp> strip_ipv4_header(std::span<const uint8_t> packet);

}  // namespace uplinkd::icmp
