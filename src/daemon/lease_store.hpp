// Gateways learned from DHCP hooks survive a daemon restart: a client that bound before the restart will
// not call its hook again until the lease renews, possibly hours later. Written atomically on change.
#pragma once

#include <map>
#include <string>

#include "state/uplink_facts.hpp"

namespace uplinkd {

using Leases = std::map<std::string, DhcpLease>;  // by interface

// A missing file is no leases; an unreadable or corrupt one is logged and ignored (the next hook call or
// netlink event tells the truth again), never a reason not to start.
Leases load_leases(const std::string& path);
// Throws std::system_error naming the path.
void save_leases(const std::string& path, const Leases& leases);

}  // namespace uplinkd
