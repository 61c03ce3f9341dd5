// SPDX-License-Identifier: GPL-2.0-or-later
// Whether the kernel takes an uplink's router advertisements: without them an uplink has no SLAAC address
// and no IPv6 router, and nothing in netlink says why. On a router (forwarding on) the kernel ignores RAs
// unless accept_ra is 2 (ipv6_accept_ra() in the kernel), the classic reason a router's IPv6 uplink stays
// dark; `status` says so, and the uplink's `accept_ra` key sets it (docs/configuration.md).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "apply/applier.hpp"
#include "config/config.hpp"

namespace uplinkd {

struct RaSettings {
  int forwarding = 0;  // net.ipv6.conf.IF.forwarding: the interface's own, which the kernel consults
  int accept_ra = 1;   // net.ipv6.conf.IF.accept_ra
};

// Why the kernel ignores the interface's router advertisements, or nullopt when it takes them.
std::optional<std::string> advertisements_ignored(const RaSettings& settings);

// The interface's settings in the daemon's network namespace; nullopt when they cannot be read (no such
// interface, IPv6 disabled).
std::optional<RaSettings> read_ra_settings(const std::string& interface);

// The interfaces whose accept_ra this outcome set to a value that takes RAs (1 or 2): they have just begun
// to listen, and solicit their routers (sources/router_solicitation.hpp) instead of waiting for the next
// unsolicited RA. A failed write does not count.
std::vector<std::string> began_taking_advertisements(const Config& config, const ApplyOutcome& outcome);

}  // namespace uplinkd
