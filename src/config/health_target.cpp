// SPDX-License-Identifier: GPL-2.0-or-later
// The forms a health target is written in. A probe to an unspecified address (0.0.0.0, ::) would go
// nowhere useful, so those are refused like any other non-address.
#include <algorithm>
#include <charconv>

#include "config/config.hpp"

namespace uplinkd {
namespace {

std::optional<IpAddress> parse_target_address(std::string_view text) {
  auto address = IpAddress::parse(text);
  if (!address || address->is_unspecified()) return std::nullopt;
  return address;
}

// "A.B.C.D:PORT" or "[V6]:PORT": the brackets keep an IPv6 address's colons apart from the port's.
std::optional<HealthTarget> parse_tcp(std::string_view rest) {
  std::string_view host;
  std::string_view port_text;
  if (rest.starts_with('[')) {
    auto close = rest.find("]:");
    if (close == std::string_view::npos) return std::nullopt;
    host = rest.substr(1, close - 1);
    port_text = rest.substr(close + 2);
  } else {
    auto colon = rest.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    host = rest.substr(0, colon);
    port_text = rest.substr(colon + 1);
  }
  auto address = parse_target_address(host);
  if (!address || (address->family() == Family::v6 && !rest.starts_with('['))) return std::nullopt;
  unsigned port = 0;
  auto [end, error] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (error != std::errc() || end != port_text.data() + port_text.size() || port == 0 || port > 65535)
    return std::nullopt;
  return HealthTarget{HealthTarget::Kind::tcp, address, static_cast<uint16_t>(port)};
}

}  // namespace

std::optional<HealthTarget> parse_health_target(std::string_view text) {
  if (text == "arp") return HealthTarget{HealthTarget::Kind::arp, std::nullopt, 0};
  if (text == "ndp") return HealthTarget{HealthTarget::Kind::ndp, std::nullopt, 0};
  if (text.starts_with("tcp:")) return parse_tcp(text.substr(4));
  auto address = parse_target_address(text);
  if (!address) return std::nullopt;
  return HealthTarget{HealthTarget::Kind::icmp, address, 0};
}

std::string to_string(const HealthTarget& target) {
  switch (target.kind) {
    case HealthTarget::Kind::icmp:
      return target.address->to_string();
    case HealthTarget::Kind::tcp:
      if (target.address->family() == Family::v6)
        return "tcp:[" + target.address->to_string() + "]:" + std::to_string(target.port);
      return "tcp:" + target.address->to_string() + ":" + std::to_string(target.port);
    case HealthTarget::Kind::arp:
      return "arp";
    case HealthTarget::Kind::ndp:
      return "ndp";
  }
  return "?";
}

Family target_family(const HealthTarget& target) {
  if (target.kind == HealthTarget::Kind::arp) return Family::v4;
  if (target.kind == HealthTarget::Kind::ndp) return Family::v6;
  return target.address->family();
}

HealthConfig health_of_family(const HealthConfig& health, Family family) {
  HealthConfig own = health;
  own.targets.clear();
  for (const auto& target : health.targets)
    if (target_family(target) == family) own.targets.push_back(target);
  if (!own.targets.empty()) own.min_up = std::min(own.min_up, static_cast<int>(own.targets.size()));
  return own;
}

}  // namespace uplinkd
