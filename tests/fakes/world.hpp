// SPDX-License-Identifier: GPL-2.0-or-later
// Builders for configs and kernel facts, so planner and applier tests read as scenarios.
#pragma once

#include <string>

#include "config/config.hpp"
#include "netlink/objects.hpp"
#include "state/state.hpp"

namespace uplinkd::testing {

inline IpAddress ip(const std::string& text) {
  return *IpAddress::parse(text);
}
inline Prefix prefix(const std::string& text) {
  return *Prefix::parse(text);
}

inline UplinkConfig uplink(const std::string& name, uint32_t table, uint16_t weight = 1, uint32_t tier = 1) {
  UplinkConfig config;
  config.name = name;
  config.interface = name;
  config.table = table;
  config.table_name = "uplinkd-" + name;
  config.weight = weight;
  config.tier = tier;
  return config;
}

inline Config config_with(std::vector<UplinkConfig> uplinks) {
  Config config;
  config.path = "test.toml";
  config.uplinks = std::move(uplinks);
  return config;
}

// Brings uplink number `n` (1-based, as in the integration topology: 100.64.n.0/24, gateway .1) up in `state`
// with ifindex 10+n, as a DHCP client and its hook would leave it.
inline void bring_up(State& state, const std::string& interface, int n, bool via_hook = true) {
  uint32_t ifindex = 10 + static_cast<uint32_t>(n);
  state.on_link(netlink::Link{ifindex, interface, true, true}, false);
  auto address = prefix("100.64." + std::to_string(n) + ".10/24");
  state.on_address(netlink::Address{ifindex, address, 0}, false);
  auto gateway = ip("100.64." + std::to_string(n) + ".1");
  if (via_hook) {
    HookEvent event;
    event.interface = interface;
    event.reason = "BOUND";
    event.change = LeaseChange::up;
    event.address = address;
    event.routers = {gateway};
    state.on_hook(event);
  } else {
    netlink::Route route;
    route.destination = Prefix::default_route(Family::v4);
    route.gateway = gateway;
    route.oif = ifindex;
    route.protocol = 16;  // dhcp
    state.on_route(route, false);
  }
}

// Gives uplink number `n` (brought up with bring_up first) IPv6 as SLAAC and a router advertisement would:
// the global address 2001:db8:n::10/64 past DAD, and `default via fe80::1 proto ra` in main on its link.
inline void bring_up6(State& state, int n) {
  uint32_t ifindex = 10 + static_cast<uint32_t>(n);
  state.on_address(netlink::Address{ifindex, prefix("2001:db8:" + std::to_string(n) + "::10/64"), 0, 0},
                   false);
  netlink::Route route;
  route.destination = Prefix::default_route(Family::v6);
  route.gateway = ip("fe80::1");
  route.oif = ifindex;
  route.protocol = 9;  // ra
  route.priority = 1024;
  state.on_route(route, false);
}

// A DHCPv6 hook event of `client` on `interface` (reason and change as given) that delegates the prefixes in
// `delegated` and withdraws those in `withdrawn`.
inline HookEvent dhcpv6_event(DhcpClient client, const std::string& interface, const std::string& reason,
                              LeaseChange change, const std::vector<std::string>& delegated,
                              const std::vector<std::string>& withdrawn = {}) {
  HookEvent event;
  event.client = client;
  event.interface = interface;
  event.reason = reason;
  event.change = change;
  event.family = Family::v6;
  for (const auto& text : delegated) event.delegated.push_back(prefix(text));
  for (const auto& text : withdrawn) event.withdrawn.push_back(prefix(text));
  return event;
}

}  // namespace uplinkd::testing
