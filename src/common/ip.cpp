// SPDX-License-Identifier: GPL-2.0-or-later
#include "common/ip.hpp"

#include <arpa/inet.h>

#include <cstring>

namespace uplinkd {

int to_af(Family family) {
  return family == Family::v4 ? AF_INET : AF_INET6;
}

std::optional<Family> family_from_af(int af) {
  if (af == AF_INET) return Family::v4;
  if (af == AF_INET6) return Family::v6;
  return std::nullopt;
}

std::string_view family_name(Family family) {
  return family == Family::v4 ? "inet" : "inet6";
}

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  std::string copy(text);
  uint8_t buffer[16] = {};
  if (inet_pton(AF_INET, copy.c_str(), buffer) == 1) return from_bytes(Family::v4, buffer);
  if (inet_pton(AF_INET6, copy.c_str(), buffer) == 1) return from_bytes(Family::v6, buffer);
  return std::nullopt;
}

IpAddress IpAddress::from_bytes(Family family, const void* bytes) {
  IpAddress address;
  address.family_ = family;
  std::memcpy(address.bytes_.data(), bytes, address.size());
  return address;
}

IpAddress IpAddress::any(Family family) {
  IpAddress address;
  address.family_ = family;
  return address;
}

bool IpAddress::is_unspecified() const {
  for (size_t i = 0; i < size(); ++i)
    if (bytes_[i] != 0) return false;
  return true;
}

bool IpAddress::is_loopback() const {
  if (family_ == Family::v4) return bytes_[0] == 127;
  for (size_t i = 0; i < 15; ++i)
    if (bytes_[i] != 0) return false;
  return bytes_[15] == 1;
}

std::string IpAddress::to_string() const {
  char buffer[INET6_ADDRSTRLEN] = {};
  inet_ntop(to_af(family_), bytes_.data(), buffer, sizeof buffer);
  return buffer;
}

std::optional<Prefix> Prefix::parse(std::string_view text) {
  if (text == "default") return default_route(Family::v4);
  if (text == "default6") return default_route(Family::v6);
  auto slash = text.find('/');
  auto address = IpAddress::parse(text.substr(0, slash));
  if (!address) return std::nullopt;
  if (slash == std::string_view::npos) return host(*address);
  auto digits = text.substr(slash + 1);
  if (digits.empty() || digits.size() > 3) return std::nullopt;
  unsigned length = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    length = length * 10 + static_cast<unsigned>(c - '0');
  }
  Prefix prefix{*address, static_cast<uint8_t>(length)};
  if (length > prefix.max_length()) return std::nullopt;
  return prefix;
}

Prefix Prefix::host(const IpAddress& address) {
  return Prefix{address, static_cast<uint8_t>(address.family() == Family::v4 ? 32 : 128)};
}

Prefix Prefix::default_route(Family family) {
  return Prefix{IpAddress::any(family), 0};
}

Prefix Prefix::network() const {
  uint8_t bytes[16] = {};
  std::memcpy(bytes, address.data(), address.size());
  for (size_t bit = length; bit < max_length(); ++bit)
    bytes[bit / 8] &= static_cast<uint8_t>(~(0x80u >> (bit % 8)));
  return Prefix{IpAddress::from_bytes(family(), bytes), length};
}

bool Prefix::contains(const IpAddress& other) const {
  if (other.family() != family()) return false;
  return Prefix{other, length}.network() == network();
}

std::string Prefix::to_string() const {
  if (length == 0 && address.is_unspecified()) return "default";
  return address.to_string() + "/" + std::to_string(length);
}

namespace {

uint32_t host_order_v4(const IpAddress& address) {
  uint32_t bits = 0;
  std::memcpy(&bits, address.data(), 4);
  return ntohl(bits);
}

std::optional<std::string> v4_problem(uint32_t bits) {
  if (bits == 0xffffffffu) return "is the limited broadcast address";
  if ((bits >> 24) == 0) return "is in 0.0.0.0/8 (\"this network\", never a host)";
  if ((bits >> 24) == 127) return "is a loopback address (127.0.0.0/8)";
  if ((bits >> 28) == 0xe) return "is a multicast address (224.0.0.0/4)";
  if ((bits >> 28) == 0xf) return "is a reserved class E address (240.0.0.0/4)";
  return std::nullopt;
}

std::optional<std::string> v6_problem(const IpAddress& address) {
  static const auto kLoopback = IpAddress::parse("::1");
  if (address.is_unspecified()) return "is the unspecified address";
  if (address == *kLoopback) return "is the loopback address";
  if (address.data()[0] == 0xff) return "is a multicast address (ff00::/8)";
  return std::nullopt;
}

}  // namespace

std::optional<std::string> gateway_problem(const IpAddress& gateway, const std::optional<Prefix>& own) {
  auto problem = gateway.family() == Family::v4 ? v4_problem(host_order_v4(gateway)) : v6_problem(gateway);
  if (problem || !own || own->family() != gateway.family()) return problem;
  if (gateway == own->address) return "is the uplink's own address";
  if (gateway.family() == Family::v4 && own->length <= 30) {
    Prefix subnet = own->network();
    if (gateway == subnet.address) return "is the network address of " + subnet.to_string();
    uint32_t broadcast = host_order_v4(subnet.address) | (0xffffffffu >> own->length);
    if (host_order_v4(gateway) == broadcast) return "is the broadcast address of " + subnet.to_string();
  }
  return std::nullopt;
}

std::optional<std::string> delegated_prefix_problem(const Prefix& prefix) {
  // RIRs allocate /12 to /32 and ISPs delegate /48 to /64; below /16 a prefix would reach into the ranges
  // refused next, and no ISP delegates one.
  if (prefix.family() != Family::v6) return "is not an IPv6 prefix";
  if (prefix.length < 16) return "is shorter than /16: no ISP delegates that much";
  if (prefix.network() != prefix)
    return "has bits set past its length (the prefix is " + prefix.network().to_string() + ")";
  const uint8_t* bytes = prefix.address.data();
  if (bytes[0] == 0) return "is in ::/8 (unspecified, loopback and IPv4-mapped addresses)";
  if (bytes[0] == 0xff) return "is multicast (ff00::/8)";
  if (bytes[0] == 0xfe && (bytes[1] & 0xc0) == 0x80) return "is link-local (fe80::/10)";
  return std::nullopt;
}

std::optional<uint8_t> netmask_to_length(std::string_view netmask) {
  auto mask = IpAddress::parse(netmask);
  if (!mask || mask->family() != Family::v4) return std::nullopt;
  uint32_t bits = 0;
  std::memcpy(&bits, mask->data(), 4);
  bits = ntohl(bits);
  uint8_t length = 0;
  while (length < 32 && (bits & (0x80000000u >> length))) ++length;
  if (length < 32 && (bits << length) != 0) return std::nullopt;  // a one after a zero: not a netmask
  return length;
}

}  // namespace uplinkd
