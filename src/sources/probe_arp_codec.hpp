// SPDX-License-Identifier: GPL-2.0-or-later
// ARP for Ethernet and IPv4 (RFC 826) as uplinkd's gateway probes send and read it, and which outstanding
// request a reply answers. Pure code: no sockets, so every short, foreign or malformed frame is unit-tested
// (tests/unit/sources/probe_arp_codec_test.cpp).
//
// The bytes are the ARP message only: a SOCK_DGRAM packet socket adds and strips the Ethernet header.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/ip.hpp"

namespace uplinkd::arp {

using MacAddress = std::array<uint8_t, 6>;
inline constexpr MacAddress kBroadcast{0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

inline constexpr uint16_t kRequest = 1;
inline constexpr uint16_t kReply = 2;
// Fixed header (8) + two MAC/IPv4 pairs (2 × 10). Frames arrive padded to Ethernet's 60-byte minimum.
inline constexpr size_t kPacketSize = 28;
// Offsets that the socket's kernel filter reads too (probe_arp.cpp).
inline constexpr size_t kOperationOffset = 6;
inline constexpr size_t kTargetIpOffset = 24;

struct Packet {
  uint16_t operation = 0;
  MacAddress sender_mac{};
  IpAddress sender_ip;
  MacAddress target_mac{};
  IpAddress target_ip;

  bool operator==(const Packet&) const = default;
};

std::string to_string(const MacAddress& mac);  // "02:00:5e:10:00:01"

// "Who has `gateway`? Tell `our_address` at `our_mac`": our real address as sender, as the kernel's own
// requests have it. An RFC 5227 probe (sender 0.0.0.0) is answered to 0.0.0.0, which could not be told from
// answers to other hosts' probes, and an ISP that guards sources may answer only the address it leased. The
// target MAC is zero, as the kernel sends it.
std::vector<uint8_t> encode_request(const MacAddress& our_mac, const IpAddress& our_address,
                                    const IpAddress& gateway);

// Any Ethernet/IPv4 ARP message, or nothing: short, another hardware or protocol type, hardware or protocol
// lengths other than 6 and 4 (never used as offsets), an operation other than request and reply. Trailing
// bytes (Ethernet padding) are ignored.
std::optional<Packet> decode(std::span<const uint8_t> bytes);

// True for the gateway's reply to us: a reply, from the gateway's address, to our address, from a unicast
// sender MAC (a broadcast, multicast or zero sender MAC is forged or broken). The target MAC is not checked:
// an answer to our address on our link is proof enough, and some gateways put odd values there.
bool answers(const Packet& packet, const IpAddress& our_address, const IpAddress& gateway);

// Requests sent and not yet answered. ARP carries no sequence number or payload, so a reply cannot say which
// request it answers: it answers the NEWEST outstanding request to that gateway. A gateway on the link
// answers within milliseconds, far inside one probe interval, so when an older request is still outstanding
// it was lost, not slow. Crediting the oldest instead would, after a single lost reply, pair every later
// reply with the request before it for as long as the gateway keeps answering: each round trip a whole
// interval too long, and with an interval above the timeout every round judged lost although every request
// was answered. The price of "newest" is that a reply delayed past the next request swaps the two requests'
// round trips; both still count.
class Outstanding {
 public:
  using Clock = std::chrono::steady_clock;
  struct Request {
    IpAddress gateway;
    uint16_t sequence = 0;
    Clock::time_point sent;
  };

  explicit Outstanding(size_t capacity) : capacity_(capacity) {}

  // A reused sequence to the same gateway replaces the older request; beyond capacity the oldest is dropped
  // (it is long past any timeout: probes go out a few times a second).
  void add(const Request& request);
  // The request a reply from `gateway` answers, removed from the list; nothing if none is outstanding.
  std::optional<Request> answer(const IpAddress& gateway);
  size_t size() const { return requests_.size(); }

 private:
  size_t capacity_;
  std::deque<Request> requests_;  // oldest first
};

}  // namespace uplinkd::arp
