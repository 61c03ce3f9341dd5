// SPDX-License-Identifier: GPL-2.0-or-later
// DHCP client hook environments → HookEvent. `uplinkctl hook` calls parse_hook() with its own arguments and
// environment; the result goes to the daemon as JSON (hook_json.hpp). Every value is validated, and bad
// input throws InputError naming the variable. DHCPv6 events (BOUND6, EXPIRE6, ...) carry the delegated
// prefixes (IA_PD); the addresses and routers of IPv6 come from the kernel.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "sources/hook_event.hpp"

namespace uplinkd {

// isc dhclient's exit hook (dhclient-script(8)): reason, interface, new_ip_address, new_subnet_mask,
// new_routers, old_ip_address, old_subnet_mask; dhclient -6 (one call per binding): new_ip6_prefix and
// new_max_life, old_ip6_prefix, new_ip6_address and new_ip6_prefixlen, old_ip6_address. For TIMEOUT the hook
// must also pass dhclient-script's $exit_status (hooks/dhclient-exit-hook does): 0 means dhclient keeps the
// old lease (up), anything else that it dropped it (down); without exit_status a TIMEOUT is ignored and
// netlink events tell the truth.
HookEvent parse_dhclient(const Environment& env);

// dhcpcd's hook (dhcpcd-run-hooks(8)): reason, interface, protocol, new_ip_address, new_subnet_cidr or
// new_subnet_mask, new_routers, old_*; DHCPv6 (protocol dhcp6, the whole lease in each call):
// new_dhcp6_ia_pdN_prefixM with _length and _vltime, new_dhcp6_ia_na1_ia_addr1. Router advertisements
// (protocol ra) and IPv4 link-local events are ignored.
HookEvent parse_dhcpcd(const Environment& env);

// busybox udhcpc's script: `args` are the script's arguments ($1 is args[0]: deconfig, bound, renew,
// leasefail, nak); env has interface, ip, subnet (dotted) or mask (cidr), router.
HookEvent parse_udhcpc(const std::vector<std::string>& args, const Environment& env);

// Dispatches to the parser of `client`, or when it is not given, guesses it: an argument (udhcpc's action
// word) means udhcpc; ifcarrier, protocol or if_up (which only dhcpcd sets) mean dhcpcd; else dhclient.
// `args` are `uplinkctl hook`'s positional arguments; only udhcpc passes any.
HookEvent parse_hook(std::optional<DhcpClient> client, const std::vector<std::string>& args,
                     const Environment& env);

}  // namespace uplinkd
