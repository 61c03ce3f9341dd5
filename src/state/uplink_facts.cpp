// SPDX-License-Identifier: GPL-2.0-or-later
#include "state/uplink_facts.hpp"

#include <algorithm>

namespace uplinkd {

std::string_view gateway_source_name(GatewaySource source) {
  switch (source) {
    case GatewaySource::none:
      return "none";
    case GatewaySource::config:
      return "config";
    case GatewaySource::hook:
      return "dhcp-hook";
    case GatewaySource::route:
      return "route";
  }
  return "?";
}

namespace {

// The lease's address when the interface still has it (the hook speaks for that address), else the oldest
// address: the kernel's primary one, which is what the interface's traffic uses as source.
std::optional<Prefix> choose_address(const UplinkFacts& facts) {
  if (facts.lease) {
    auto held = std::find(facts.addresses.begin(), facts.addresses.end(), facts.lease->address);
    if (held != facts.addresses.end()) return *held;
  }
  if (facts.addresses.empty()) return std::nullopt;
  return facts.addresses.front();
}

// The first gateway of the default routes in main on this uplink that is not its own address, nor its
// subnet's network or broadcast address (state.cpp already left out the ones that are no unicast).
std::optional<IpAddress> usable_route_gateway(const UplinkFacts& facts, const Prefix& address) {
  for (const auto& gateway : facts.route_gateways)
    if (!gateway_problem(gateway, address)) return gateway;
  return std::nullopt;
}

std::string refused_text(const std::vector<RefusedRouter>& refused) {
  std::string text = refused.size() == 1 ? "router was refused: " : "routers were refused: ";
  for (size_t i = 0; i < refused.size() && i < 3; ++i)
    text += (i ? "; " : "") + refused[i].address.to_string() + " " + refused[i].why;
  if (refused.size() > 3) text += "; and " + std::to_string(refused.size() - 3) + " more";
  return text;
}

// Whether the link itself can carry traffic (either family): why not, or nullopt.
std::optional<std::string> link_problem(const std::string& interface, const UplinkFacts& facts) {
  if (!facts.ifindex) return "interface " + interface + " does not exist";
  if (!facts.admin_up) return "interface " + interface + " is down";
  if (!facts.carrier) return "no carrier on " + interface;
  return std::nullopt;
}

// The IPv4 address and gateway; false with status.why set when there is none.
bool find_v4(const UplinkConfig& config, const UplinkFacts& facts, UplinkStatus& status) {
  const std::string& interface = config.interface;
  status.address = choose_address(facts);
  if (!status.address) {
    status.why = "no IPv4 address on " + interface;
    return false;
  }
  switch (config.gateway_kind) {
    case GatewayKind::none:
      break;
    case GatewayKind::fixed:
      status.gateway = config.gateway;
      status.gateway_source = GatewaySource::config;
      break;
    case GatewayKind::automatic: {
      const bool leased = facts.lease && facts.lease->address == *status.address;
      if (leased && facts.lease->gateway) {
        status.gateway = facts.lease->gateway;
        status.gateway_source = GatewaySource::hook;
      } else if (auto route_gateway = usable_route_gateway(facts, *status.address)) {
        status.gateway = route_gateway;
        status.gateway_source = GatewaySource::route;
      } else if (leased && !facts.lease->refused_routers.empty()) {
        status.why = "no usable gateway for " + interface + ": the DHCP lease's " +
                     refused_text(facts.lease->refused_routers);
        return false;
      } else {
        status.why =
            "no gateway known for " + interface + " (no DHCP lease with a router, no default route on it)";
        return false;
      }
      break;
    }
  }
  return true;
}

// The address a host would pick as source (RFC 6724: not deprecated, then a stable one before a temporary
// one), the prefixes of all of them, and the router; false with status.why set when one is missing.
bool find_v6(const UplinkConfig& config, const UplinkFacts& facts, UplinkStatus& status) {
  const std::string& interface = config.interface;
  const Address6* preferred = nullptr;
  auto rank = [](const Address6& address) {
    return (address.deprecated ? 2 : 0) + (address.temporary ? 1 : 0);
  };
  for (const auto& address : facts.addresses6) {
    if (!preferred || rank(address) < rank(*preferred)) preferred = &address;
    const Prefix network = address.prefix.network();
    if (std::find(status.prefixes.begin(), status.prefixes.end(), network) == status.prefixes.end())
      status.prefixes.push_back(network);
  }
  if (!preferred) {
    status.why = "no global IPv6 address on " + interface;
    return false;
  }
  status.address = preferred->prefix;
  switch (config.gateway6_kind) {
    case GatewayKind::none:
      break;
    case GatewayKind::fixed:
      status.gateway = config.gateway6;
      status.gateway_source = GatewaySource::config;
      break;
    case GatewayKind::automatic:
      for (const auto& gateway : facts.route_gateways6)
        if (!gateway_problem(gateway, status.address)) {
          status.gateway = gateway;
          status.gateway_source = GatewaySource::route;
          break;
        }
      if (!status.gateway) {
        status.why =
            "no IPv6 router known for " + interface + " (no router advertisement, no default route on it)";
        return false;
      }
  }
  return true;
}

}  // namespace

UplinkStatus evaluate(const UplinkConfig& config, const UplinkFacts& facts, Family family) {
  UplinkStatus status;
  if (!carries(config.families, family)) {
    status.why = std::string(family == Family::v4 ? "IPv4" : "IPv6") + " is not balanced (family = \"" +
                 std::string(families_name(config.families)) + "\")";
    return status;
  }
  // Shown whatever the uplink's state, so that `status` tells what the DHCPv6 server delegated.
  if (family == Family::v6) status.delegated = facts.delegated;
  if (auto problem = link_problem(config.interface, facts)) {
    status.why = *problem;
    return status;
  }
  if (!(family == Family::v4 ? find_v4(config, facts, status) : find_v6(config, facts, status)))
    return status;
  const HealthVerdict& health = facts.health_of(family);
  status.health = health.state;
  const auto& refused = facts.refusal(family);
  if (refused && refused->address == status.address && refused->gateway == status.gateway) {
    // Its objects are planned again only for a retry, outside the group: the other uplinks' objects never
    // wait for this one's (a group member the kernel does not have would make the group replace fail).
    status.routable = refused->retrying;
    status.refused = true;
    status.why = "kernel refused: " + refused->reason;
    return status;
  }
  status.routable = true;
  switch (health.state) {
    case Health::down:
      status.why = "down: health (" + health.reason + ")";
      return status;
    case Health::degraded:
      status.usable = true;
      status.drained = facts.drained;
      status.why = (facts.drained ? "drained by the operator; " : "") + ("degraded: " + health.reason);
      return status;
    case Health::unconfigured:
    case Health::probing:
    case Health::up:
      break;
  }
  status.usable = true;
  status.drained = facts.drained;
  status.why = facts.drained ? "drained by the operator" : "usable";
  return status;
}

}  // namespace uplinkd
