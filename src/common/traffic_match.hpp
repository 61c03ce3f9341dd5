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

}  // namespace uplinkd
