// SPDX-License-Identifier: GPL-2.0-or-later
#include "sources/probe_arp_codec.hpp"

#include <algorithm>
#include <cstdio>

namespace uplinkd::arp {
namespace {

constexpr uint16_t kHardwareEthernet = 1;
constexpr uint16_t kProtocolIpv4 = 0x0800;
constexpr uint8_t kMacLength = 6;
constexpr uint8_t kIpv4Length = 4;
constexpr size_t kSenderMacOffset = 8;
constexpr size_t kSenderIpOffset = 14;
constexpr size_t kTargetMacOffset = 18;

uint16_t get16(std::span<const uint8_t> b, size_t at) {
  return static_cast<uint16_t>(b[at] << 8 | b[at + 1]);
}
void put16(std::vector<uint8_t>& b, size_t at, uint16_t v) {
  b[at] = static_cast<uint8_t>(v >> 8);
  b[at + 1] = static_cast<uint8_t>(v);
}
MacAddress get_mac(std::span<const uint8_t> b, size_t at) {
  MacAddress mac;
  std::copy_n(b.begin() + static_cast<std::ptrdiff_t>(at), mac.size(), mac.begin());
  return mac;
}

bool is_unicast(const MacAddress& mac) {
  const bool group = (mac[0] & 0x01) != 0;  // the I/G bit: broadcast and multicast
  return !group && mac != MacAddress{};
}

}  // namespace

std::string to_string(const MacAddress& mac) {
  char text[18];
  std::snprintf(text, sizeof text, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
                mac[5]);
  return text;
}

std::vector<uint8_t> encode_request(const MacAddress& our_mac, const IpAddress& our_address,
                                    const IpAddress& gateway) {
  std::vector<uint8_t> packet(kPacketSize, 0);
  put16(packet, 0, kHardwareEthernet);
  put16(packet, 2, kProtocolIpv4);
  packet[4] = kMacLength;
  packet[5] = kIpv4Length;
  put16(packet, kOperationOffset, kRequest);
  std::copy(our_mac.begin(), our_mac.end(), packet.begin() + kSenderMacOffset);
  std::copy_n(our_address.data(), kIpv4Length, packet.begin() + kSenderIpOffset);
  // The target MAC (bytes 18-23) stays zero: it is what the request asks for.
  std::copy_n(gateway.data(), kIpv4Length, packet.begin() + kTargetIpOffset);
  return packet;
}

std::optional<Packet> decode(std::span<const uint8_t> bytes) {
  if (bytes.size() < kPacketSize) return std::nullopt;
  if (get16(bytes, 0) != kHardwareEthernet || get16(bytes, 2) != kProtocolIpv4) return std::nullopt;
  // Checked, never used as offsets: other lengths would mean another layout than the one read below.
  if (bytes[4] != kMacLength || bytes[5] != kIpv4Length) return std::nullopt;
  const uint16_t operation = get16(bytes, kOperationOffset);
  if (operation != kRequest && operation != kReply) return std::nullopt;
  return Packet{.operation = operation,
                .sender_mac = get_mac(bytes, kSenderMacOffset),
                .sender_ip = IpAddress::from_bytes(Family::v4, bytes.data() + kSenderIpOffset),
                .target_mac = get_mac(bytes, kTargetMacOffset),
                .target_ip = IpAddress::from_bytes(Family::v4, bytes.data() + kTargetIpOffset)};
}

bool answers(const Packet& packet, const IpAddress& our_address, const IpAddress& gateway) {
  return packet.operation == kReply && packet.sender_ip == gateway && packet.target_ip == our_address &&
         is_unicast(packet.sender_mac);
}

void Outstanding::add(const Request& request) {
  std::erase_if(requests_, [&](const Request& r) {
    return r.sequence == request.sequence && r.gateway == request.gateway;
  });
  if (capacity_ == 0) return;
  if (requests_.size() >= capacity_) requests_.pop_front();
  requests_.push_back(request);
}

std::optional<Outstanding::Request> Outstanding::answer(const IpAddress& gateway) {
  // Newest first: the header says why.
  const auto match = std::find_if(requests_.rbegin(), requests_.rend(),
                                  [&](const Request& r) { return r.gateway == gateway; });
  if (match == requests_.rend()) return std::nullopt;
  const Request request = *match;
  requests_.erase(std::next(match).base());
  return request;
}

}  // namespace uplinkd::arp
