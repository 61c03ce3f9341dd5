// SPDX-License-Identifier: GPL-2.0-or-later
// IPv6 neighbour discovery (RFC 4861) as uplinkd's router probes send and read it: a Neighbour Solicitation
// for the router, and the checks that make a Neighbour Advertisement its answer. Pure code: no sockets, so
// every short, foreign or malformed message is unit-tested (tests/unit/sources/probe_ndp_codec_test.cpp).
//
// The bytes are the ICMPv6 message only: a raw ICMPv6 socket neither takes nor delivers the IPv6 header, and
// the kernel computes the checksum on send (always, for ICMPv6: RFC 3542 section 3.1) and drops a message
// whose checksum is wrong before any socket sees it. What only the IPv6 header says (source, destination,
// hop limit) comes from the socket as an Envelope.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "common/ip.hpp"
#include "sources/probe_arp_codec.hpp"

namespace uplinkd::ndp {

using arp::MacAddress;

inline constexpr uint8_t kNeighbourSolicitation = 135;
inline constexpr uint8_t kNeighbourAdvertisement = 136;
// Every ND message is sent with hop limit 255, and a receiver drops one with any other (RFC 4861 7.1): it
// proves the sender is on the link, since a router on the way would have lowered it.
inline constexpr int kHopLimit = 255;
// Type, code, checksum, reserved/flags (4), target (16).
inline constexpr size_t kMessageSize = 24;
// With the one option a solicitation carries: our link-layer address (type 1, length 1 = 8 bytes).
inline constexpr size_t kSolicitationSize = kMessageSize + 8;

bool is_link_local(const IpAddress& address);  // fe80::/10
bool is_multicast(const IpAddress& address);   // ff00::/8

// ff02::1:ffXX:XXXX, the low 24 bits of `target`'s: the group a node joins for each of its addresses, so a
// solicitation sent there reaches the target (and few others) without knowing its MAC.
IpAddress solicited_node(const IpAddress& target);

// "Who has `target`? I am at `our_mac`", with the source link-layer address option so that the router can
// answer without a solicitation of its own. The checksum is left zero for the kernel.
std::vector<uint8_t> encode_solicitation(const IpAddress& target, const MacAddress& our_mac);

// What the socket says about a received message besides its bytes: the IPv6 header's source, destination
// (IPV6_PKTINFO) and hop limit (IPV6_HOPLIMIT); -1 if the kernel did not say.
struct Envelope {
  IpAddress source;
  std::optional<IpAddress> destination;
  int hop_limit = -1;
};

struct Advertisement {
  bool router = false;
  bool solicited = false;
  bool override_cache = false;
  IpAddress target;
  std::optional<MacAddress> mac;  // the target link-layer address option, if there is one for Ethernet

  bool operator==(const Advertisement&) const = default;
};

// A valid Neighbour Advertisement by RFC 4861 7.1.2, or nothing: hop limit other than 255 (or unknown), type
// other than 136, code other than 0, shorter than 24 bytes, a multicast target, the solicited flag on one
// sent to a multicast destination, an option of length 0 (which would loop forever) or one past the end.
// Options of other kinds are skipped; a target link-layer option of another size than Ethernet's is not a
// MAC.
std::optional<Advertisement> decode_advertisement(std::span<const uint8_t> icmp6, const Envelope& envelope);

// True for the router's answer to a solicitation: solicited, for `router`, sent by `router` itself, and with
// a unicast MAC if it names one (a broadcast, multicast or zero one is forged or broken, as for ARP). An
// unsolicited advertisement (a router announcing a new MAC) says nothing about our question, and one for
// the router's address from another source is a proxy's, which does not show the router alive.
bool answers(const Advertisement& advertisement, const Envelope& envelope, const IpAddress& router);

}  // namespace uplinkd::ndp
