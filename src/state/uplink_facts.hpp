// SPDX-License-Identifier: GPL-2.0-or-later
// What is known about one uplink, and whether it can carry traffic. evaluate() is the single place that
// decides; `status` and the planner both read its answer, so what the operator sees is what was planned.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/ip.hpp"
#include "config/config.hpp"
#include "sources/hook_event.hpp"
#include "state/health_verdict.hpp"

namespace uplinkd {

enum class GatewaySource { none, config, hook, route };
std::string_view gateway_source_name(GatewaySource source);  // "none", "config", "dhcp-hook", "route"

struct DhcpLease {  // as a DHCP client's hook reported it
  Prefix address;
  std::optional<IpAddress> gateway;  // its first usable router
  DhcpClient client = DhcpClient::dhclient;
  std::vector<RefusedRouter> refused_routers = {};  // why it has no gateway, when none was usable
  bool operator==(const DhcpLease&) const = default;
};

// The kernel refused one of the uplink's own objects (its nexthop, a route of its table, its rule): the
// uplink is unusable for the address and gateway those objects were made of, until `retry_at`. A new lease
// (another address or gateway) is not refused: it is tried at once.
struct KernelRefusal {
  std::string reason;  // the kernel's answer, e.g. "add nexthop 1962934473 via …: Invalid argument (…)"
  std::optional<Prefix> address;
  std::optional<IpAddress> gateway;
  uint32_t refusals = 1;  // in a row, for the same address and gateway: the back-off grows with them
  std::chrono::steady_clock::time_point retry_at;
  // Past retry_at: the uplink's objects are planned again (it stays out of the group) to see whether the
  // kernel takes them now; the daemon reports the answer with on_kernel_refused or on_kernel_accepted.
  bool retrying = false;
  bool operator==(const KernelRefusal&) const = default;
};

// A global IPv6 address of the uplink's interface (SLAAC, DHCPv6 or static) that passed duplicate address
// detection: a tentative one is not there yet, one that failed DAD never is.
struct Address6 {
  Prefix prefix;            // the address with its on-link length (SLAAC: /64)
  bool deprecated = false;  // its preferred lifetime is over: its connections go on, new ones use another
  bool temporary = false;   // a privacy address (RFC 8981)
  bool operator==(const Address6&) const = default;
};

struct UplinkFacts {
  std::optional<uint32_t> ifindex;
  bool admin_up = false;
  bool carrier = false;
  std::vector<Prefix> addresses;          // the interface's IPv4 addresses, oldest first
  std::optional<DhcpLease> lease;         // from the last hook call
  std::vector<IpAddress> route_gateways;  // gateways of default routes others put in main via this interface
  HealthVerdict health;  // IPv4's, from probes; unconfigured (healthy) until a monitor says more
  bool drained = false;  // by the operator (`uplinkctl drain`): no new connections
  std::optional<KernelRefusal> refused =
      std::nullopt;  // the kernel's last word on the uplink's IPv4 objects, if it said no
  std::optional<KernelRefusal> refused6 = std::nullopt;  // and on its IPv6 objects
  std::vector<Address6> addresses6 = {};                 // its global IPv6 addresses, oldest first
  // Routers of IPv6 default routes in main on this interface: the router advertisements' (proto ra,
  // link-local), a DHCPv6 client's or an admin's.
  std::vector<IpAddress> route_gateways6 = {};
  HealthVerdict health6 = {};  // IPv6's: from its own targets, or IPv4's verdict when it has none
  // Prefixes delegated to it by DHCPv6 (IA_PD), as its client's hook reported them, oldest first: netlink
  // never shows them. Kept apart from `lease`, the IPv4 one: the two leases come and go independently.
  std::vector<Prefix> delegated = {};

  HealthVerdict& health_of(Family family) { return family == Family::v4 ? health : health6; }
  const HealthVerdict& health_of(Family family) const { return family == Family::v4 ? health : health6; }
  std::optional<KernelRefusal>& refusal(Family family) { return family == Family::v4 ? refused : refused6; }
  const std::optional<KernelRefusal>& refusal(Family family) const {
    return family == Family::v4 ? refused : refused6;
  }
  bool operator==(const UplinkFacts&) const = default;
};

struct UplinkStatus {
  // Routable: the uplink has what its own table needs (interface, carrier, address, gateway). Its table and
  // source rule exist so replies and locally bound traffic leave by it.
  bool routable = false;
  // Usable: routable and healthy (not `down`); a candidate for the balanced group. A `degraded` uplink is
  // usable, but the planner leaves it out while an `up` one of its tier remains.
  bool usable = false;
  Health health = Health::unconfigured;
  // Drained: usable (its established connections keep running on it, pinned), but never in the group, so it
  // takes no new connections.
  bool drained = false;
  bool refused = false;           // the kernel refused its objects (why says what it answered)
  std::string why;                // why it is not usable, or "usable"
  std::optional<Prefix> address;  // IPv6: the preferred one, the source a host would pick
  std::optional<IpAddress> gateway;
  GatewaySource gateway_source = GatewaySource::none;
  // IPv6: the on-link prefixes of all its global addresses (deprecated ones too, whose connections go on):
  // each gets a connected route in the uplink's table and a source rule to it.
  std::vector<Prefix> prefixes;
  // IPv6: the prefixes delegated to it (UplinkFacts::delegated), routed on the LAN side, not on the uplink's
  // link: each gets a source rule only, so LAN hosts numbered from them leave by this uplink.
  std::vector<Prefix> delegated = {};
};

// One family of the uplink: its IPv4 side, or its IPv6 side. A family the uplink's `family` leaves out is
// not routable, and says so.
UplinkStatus evaluate(const UplinkConfig& config, const UplinkFacts& facts, Family family = Family::v4);

}  // namespace uplinkd
