// SPDX-License-Identifier: GPL-2.0-or-later
// Addresses and prefixes of either family. Everything above the netlink layer speaks these types, so that
// IPv6 support is a matter of planning, not of re-plumbing.
#pragma once

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace uplinkd {

enum class Family : uint8_t { v4 = 2 /* AF_INET */, v6 = 10 /* AF_INET6 */ };

int to_af(Family family);
std::optional<Family> family_from_af(int af);
std::string_view family_name(Family family);  // "inet" or "inet6", as iproute2 says it

class IpAddress {
 public:
  IpAddress() = default;  // 0.0.0.0
  static std::optional<IpAddress> parse(std::string_view text);
  // `bytes` holds 4 (v4) or 16 (v6) bytes in network order.
  static IpAddress from_bytes(Family family, const void* bytes);
  static IpAddress any(Family family);

  Family family() const { return family_; }
  const uint8_t* data() const { return bytes_.data(); }
  size_t size() const { return family_ == Family::v4 ? 4 : 16; }
  bool is_unspecified() const;
  bool is_loopback() const;  // 127.0.0.0/8 or ::1
  std::string to_string() const;

  auto operator<=>(const IpAddress&) const = default;

 private:
  Family family_ = Family::v4;
  std::array<uint8_t, 16> bytes_{};
};

struct Prefix {
  IpAddress address;
  uint8_t length = 0;

  // Accepts "A.B.C.D/N", "X::/N", a bare address (host prefix) and "default" (0.0.0.0/0); "default6" is ::/0.
  static std::optional<Prefix> parse(std::string_view text);
  static Prefix host(const IpAddress& address);
  static Prefix default_route(Family family);

  Family family() const { return address.family(); }
  uint8_t max_length() const { return address.family() == Family::v4 ? 32 : 128; }
  Prefix network() const;  // host bits cleared
  bool contains(const IpAddress& other) const;
  bool is_default() const { return length == 0; }
  std::string to_string() const;  // "default" for length 0, as `ip route` prints it

  auto operator<=>(const Prefix&) const = default;
};

// Why `gateway` cannot be a next hop, or nullopt when it can: it must be a unicast address that is not the
// uplink's own. Refused: unspecified, loopback, multicast, limited broadcast, IPv4 0/8 and class E, and,
// when `own` (the uplink's address and subnet) is known, the address itself and the subnet's network and
// broadcast addresses (subnets of /30 and wider; /31 and /32 have none, RFC 3021). The kernel refuses most
// of these ("Nexthop has invalid gateway"); the others would send traffic nowhere. The one check for DHCP
// routers, routes learned from the kernel, the config's static gateways and the saved leases.
// The answer reads after the address: "255.255.255.255 " + "is the limited broadcast address".
std::optional<std::string> gateway_problem(const IpAddress& gateway, const std::optional<Prefix>& own = {});

// Why `prefix` cannot be a prefix delegated to an uplink (DHCPv6 IA_PD), or nullopt when it can. It becomes a
// rule `from PREFIX lookup TABLE` that captures every packet from inside it, so only what an ISP can delegate
// passes: an IPv6 prefix of /16 to /128 with no bits set past its length, outside ::/8 (unspecified,
// loopback, IPv4-mapped), link-local fe80::/10 and multicast ff00::/8. The one check for hook parsers, hook
// requests and the saved leases; the answer reads after the prefix, like gateway_problem()'s.
std::optional<std::string> delegated_prefix_problem(const Prefix& prefix);

// Dotted netmask ("255.255.255.0") to a prefix length; nullopt when the mask is not contiguous.
std::optional<uint8_t> netmask_to_length(std::string_view netmask);

}  // namespace uplinkd
