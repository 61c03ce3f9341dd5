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

}  // namespace

UplinkStatus evaluate(const UplinkConfig& config, const UplinkFacts& facts) {
  UplinkStatus status;
  const std::string& interface = config.interface;
  if (!facts.ifindex) {
    status.why = "interface " + interface + " does not exist";
    return status;
  }
  if (!facts.admin_up) {
    status.why = "interface " + interface + " is down";
    return status;
  }
  if (!facts.carrier) {
    status.why = "no carrier on " + interface;
    return status;
  }
  status.address = choose_address(facts);
  if (!status.address) {
    status.why = "no IPv4 address on " + interface;
    return status;
  }
  switch (config.gateway_kind) {
    case GatewayKind::none:
      break;
    case GatewayKind::fixed:
      status.gateway = config.gateway;
      status.gateway_source = GatewaySource::config;
      break;
    case GatewayKind::automatic:
      if (facts.lease && facts.lease->address == *status.address && facts.lease->gateway) {
        status.gateway = facts.lease->gateway;
        status.gateway_source = GatewaySource::hook;
      } else if (!facts.route_gateways.empty()) {
        status.gateway = facts.route_gateways.front();
        status.gateway_source = GatewaySource::route;
      } else {
        status.why =
            "no gateway known for " + interface + " (no DHCP lease with a router, no default route on it)";
        return status;
      }
      break;
  }
  status.health = facts.health.state;
  if (facts.refused && facts.refused->address == status.address && facts.refused->gateway == status.gateway) {
    // Its objects are planned again only for a retry, outside the group: the other uplinks' objects never
    // wait for this one's (a group member the kernel does not have would make the group replace fail).
    status.routable = facts.refused->retrying;
    status.refused = true;
    status.why = "kernel refused: " + facts.refused->reason;
    return status;
  }
  status.routable = true;
  switch (facts.health.state) {
    case Health::down:
      status.why = "down: health (" + facts.health.reason + ")";
      return status;
    case Health::degraded:
      status.usable = true;
      status.drained = facts.drained;
      status.why = (facts.drained ? "drained by the operator; " : "") + ("degraded: " + facts.health.reason);
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
