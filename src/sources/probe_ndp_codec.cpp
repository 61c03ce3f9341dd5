// SPDX-License-Identifier: GPL-2.0-or-later
#include "sources/probe_ndp_codec.hpp"

#include <algorithm>

namespace uplinkd::ndp {
namespace {

constexpr size_t kTargetOffset = 8;
constexpr uint8_t kFlagRouter = 0x80;
constexpr uint8_t kFlagSolicited = 0x40;
constexpr uint8_t kFlagOverride = 0x20;
constexpr uint8_t kOptionSourceLinkLayer = 1;
constexpr uint8_t kOptionTargetLinkLayer = 2;
constexpr size_t kOptionUnit = 8;  // option lengths count 8-byte units

bool is_unicast(const MacAddress& mac) {
  const bool group = (mac[0] & 0x01) != 0;  // the I/G bit: broadcast and multicast
  return !group && mac != MacAddress{};
}

}  // namespace

bool is_link_local(const IpAddress& address) {
  return address.family() == Family::v6 && address.data()[0] == 0xfe && (address.data()[1] & 0xc0) == 0x80;
}

bool is_multicast(const IpAddress& address) {
  return address.family() == Family::v6 && address.data()[0] == 0xff;
}

IpAddress solicited_node(const IpAddress& target) {
  uint8_t bytes[16] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff};
  std::copy_n(target.data() + 13, 3, bytes + 13);
  return IpAddress::from_bytes(Family::v6, bytes);
}

std::vector<uint8_t> encode_solicitation(const IpAddress& target, const MacAddress& our_mac) {
  std::vector<uint8_t> message(kSolicitationSize, 0);
  message[0] = kNeighbourSolicitation;
  // Code, checksum and the reserved word stay zero.
  std::copy_n(target.data(), 16, message.begin() + kTargetOffset);
  message[kMessageSize] = kOptionSourceLinkLayer;
  message[kMessageSize + 1] = 1;
  std::copy(our_mac.begin(), our_mac.end(), message.begin() + kMessageSize + 2);
  return message;
}

std::optional<Advertisement> decode_advertisement(std::span<const uint8_t> icmp6, const Envelope& envelope) {
  if (envelope.hop_limit != kHopLimit) return std::nullopt;
  if (icmp6.size() < kMessageSize || icmp6[0] != kNeighbourAdvertisement || icmp6[1] != 0)
    return std::nullopt;
  Advertisement advertisement{.router = (icmp6[4] & kFlagRouter) != 0,
                              .solicited = (icmp6[4] & kFlagSolicited) != 0,
                              .override_cache = (icmp6[4] & kFlagOverride) != 0,
                              .target = IpAddress::from_bytes(Family::v6, icmp6.data() + kTargetOffset),
                              .mac = std::nullopt};
  if (is_multicast(advertisement.target)) return std::nullopt;
  if (advertisement.solicited && envelope.destination && is_multicast(*envelope.destination)) {
    return std::nullopt;
  }
  for (size_t at = kMessageSize; at < icmp6.size();) {
    if (icmp6.size() - at < 2) return std::nullopt;
    const size_t length = static_cast<size_t>(icmp6[at + 1]) * kOptionUnit;
    if (length == 0 || length > icmp6.size() - at) return std::nullopt;
    // Ethernet's option is exactly one unit: type, length, 6 bytes of MAC.
    if (icmp6[at] == kOptionTargetLinkLayer && length == kOptionUnit) {
      MacAddress mac;
      std::copy_n(icmp6.begin() + static_cast<std::ptrdiff_t>(at + 2), mac.size(), mac.begin());
      advertisement.mac = mac;
    }
    at += length;
  }
  return advertisement;
}

bool answers(const Advertisement& advertisement, const Envelope& envelope, const IpAddress& router) {
  if (advertisement.mac && !is_unicast(*advertisement.mac)) return false;
  return advertisement.solicited && advertisement.target == router && envelope.source == router;
}

}  // namespace uplinkd::ndp
