// SPDX-License-Identifier: GPL-2.0-or-later
// Gateways learned from DHCP hooks survive a daemon restart: a client that bound before the restart will
// not call its hook again until the lease renews, possibly hours later. Written atomically on change.
#pragma once

#include <map>
#include <string>

#include "state/uplink_facts.hpp"

namespace uplinkd {

using Leases = std::map<std::string, DhcpLease>;                 // IPv4 leases, by interface
using Delegations = std::map<std::string, std::vector<Prefix>>;  // DHCPv6 delegated prefixes, by interface

// The file: {"version": 1, "leases": {IF: {address, client, gateway}}, "delegated": {IF: [PREFIX, ...]}}.
// "delegated" came with DHCPv6 prefix delegation: a file without it loads as before, and an older uplinkd
// reading a newer file ignores it.
struct StoredLeases {
  Leases leases;
  Delegations delegated;
  bool operator==(const StoredLeases&) const = default;
};

// A missing file is no leases; an unreadable or corrupt one is logged and ignored (the next hook call or
// netlink event tells the truth again), never a reason not to start.
StoredLeases load_leases(const std::string& path);
// Throws std::system_error naming the path.
void save_leases(const std::string& path, const StoredLeases& stored);

}  // namespace uplinkd
