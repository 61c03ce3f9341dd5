// SPDX-License-Identifier: GPL-2.0-or-later
#include "sources/probe_icmp_codec.hpp"

namespace uplinkd::icmp {
namespace {

uint16_t get16(std::span<const uint8_t> b, size_t at) {
  return static_cast<uint16_t>(b[at] << 8 | b[at + 1]);
}
uint32_t get32(std::span<const uint8_t> b, size_t at) {
  return static_cast<uint32_t>(get16(b, at)) << 16 | get16(b, at + 2);
}
uint64_t get64(std::span<const uint8_t> b, size_t at) {
  return static_cast<uint64_t>(get32(b, at)) << 32 | get32(b, at + 4);
}
void put16(std::vector<uint8_t>& b, size_t at, uint16_t v) {
  b[at] = static_cast<uint8_t>(v >> 8);
  b[at + 1] = static_cast<uint8_t>(v);
}
void put32(std::vector<uint8_t>& b, size_t at, uint32_t v) {
  put16(b, at, static_cast<uint16_t>(v >> 16));
  put16(b, at + 2, static_cast<uint16_t>(v));
}
void put64(std::vector<uint8_t>& b, size_t at, uint64_t v) {
  put32(b, at, static_cast<uint32_t>(v >> 32));
  put32(b, at + 4, static_cast<uint32_t>(v));
}

}  // namespace

uint16_t internet_checksum(std::span<const uint8_t> bytes) {
  uint32_t sum = 0;
  size_t i = 0;
  for (; i + 1 < bytes.size(); i += 2) sum += get16(bytes, i);
  if (i < bytes.size()) sum += static_cast<uint32_t>(bytes[i]) << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

std::vector<uint8_t> encode_echo(const Echo& echo, Family family) {
  std::vector<uint8_t> packet(kHeaderSize + kPayloadSize, 0);
  packet[0] = echo.type;
  put16(packet, 4, echo.identifier);
  put16(packet, 6, echo.sequence);
  put32(packet, 8, kMagic);
  put16(packet, 12, echo.sequence);  // bytes 14-15 stay zero
  put64(packet, 16, echo.sent_ns);
  if (family == Family::v4) put16(packet, 2, internet_checksum(packet));
  return packet;
}

std::optional<Echo> decode_echo_reply(std::span<const uint8_t> icmp, Family family) {
  const uint8_t reply_type = family == Family::v4 ? kEchoReply : kEcho6Reply;
  if (icmp.size() < kHeaderSize + kPayloadSize) return std::nullopt;
  if (icmp[0] != reply_type || icmp[1] != 0) return std::nullopt;
  // Summed over a packet that includes its checksum, the complement is 0 when the packet is intact. An
  // ICMPv6 checksum cannot be checked without the pseudo-header; the kernel has checked it.
  if (family == Family::v4 && internet_checksum(icmp) != 0) return std::nullopt;
  Echo echo{.type = reply_type, .identifier = get16(icmp, 4), .sequence = get16(icmp, 6), .sent_ns = 0};
  if (get32(icmp, 8) != kMagic || get16(icmp, 12) != echo.sequence) return std::nullopt;
  echo.sent_ns = get64(icmp, 16);
  return echo;
}

std::optional<Ipv4Icmp> strip_ipv4_header(std::span<const uint8_t> packet) {
  if (packet.size() < 20 || packet[0] >> 4 != 4) return std::nullopt;
  const size_t header = static_cast<size_t>(packet[0] & 0x0f) * 4;
  if (header < 20 || packet.size() < header) return std::nullopt;
  constexpr uint8_t kProtocolIcmp = 1;
  if (packet[9] != kProtocolIcmp) return std::nullopt;
  // A fragment's ICMP header may be missing or belong to a packet not yet whole: more-fragments or offset
  // set.
  if ((get16(packet, 6) & 0x3fff) != 0) return std::nullopt;
  return Ipv4Icmp{IpAddress::from_bytes(Family::v4, packet.data() + 12), packet.subspan(header)};
}

}  // namespace uplinkd::icmp
