// SPDX-License-Identifier: GPL-2.0-or-later
// What a traffic rule matches. Shared by the config (what the user wrote), the plan (the nftables chains and
// the routing rules made from it) and the renderers, so one definition says what "matches" means.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/ip.hpp"

namespace uplinkd {

// A transport port or a range of them, both ends included ("5060" is 5060–5060).
struct PortRange {
  uint16_t first = 0;
  uint16_t last = 0;
  bool operator==(const PortRange&) const = default;
};

// Every given field must match; none given matches everything.
struct TrafficMatch {
  std::optional<Prefix> source;
  std::optional<Prefix> destination;
  std::optional<uint8_t> protocol;  // IP protocol number
  std::optional<PortRange> dport;   // only with tcp, udp or sctp
  std::string iif;                  // the arriving interface; never matches the machine's own traffic
  bool operator==(const TrafficMatch&) const = default;
};

inline constexpr uint8_t kProtocolIcmp = 1;     // IPv4's ICMP
inline constexpr uint8_t kProtocolIcmpv6 = 58;  // IPv6's

// The one family a match can meet: the family of its prefixes, or of its protocol when that is ICMP or
// ICMPv6 (each exists in one family only). Nullopt: both. The config refuses a match whose keys disagree.
inline std::optional<Family> match_family(const TrafficMatch& match) {
  if (match.source) return match.source->family();
  if (match.destination) return match.destination->family();
  if (match.protocol == kProtocolIcmp) return Family::v4;
  if (match.protocol == kProtocolIcmpv6) return Family::v6;
  return std::nullopt;
}

// True when traffic of `family` can match.
inline bool matches_family(const TrafficMatch& match, Family family) {
  auto only = match_family(match);
  return !only || *only == family;
}

}  // namespace uplinkd
