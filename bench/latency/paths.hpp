// SPDX-License-Identifier: GPL-2.0-or-later
// The latency paths of converge_latency; each prints RESULT lines for run.sh's table and returns 0.
#pragma once

#include <string>
#include <vector>

namespace uplinkd::bench {

// fork/exec uplinkd `repeat` times and time until its full dual-stack plan is in the kernel; the last start
// keeps running for the other paths (its pid in `pidfile`).
int cold_start(int uplinks, int repeat, const std::string& pidfile, const std::string& log,
               const std::vector<std::string>& command);
// DHCP renews as hook events that change the router: send to response.
int hook_path(const std::string& socket, int uplinks, int iterations);
// IPv4 address changes as a DHCP client makes them (add the new address, delete the old one).
int address_path(const std::string& socket, int uplinks, int iterations);
// IPv6 renumbering as SLAAC does it: an address in a new /64 appears, then the old one goes.
int prefix6_path(const std::string& socket, int uplinks, int iterations);
// IPv6 routers as RAs announce them: the `proto ra` default route leaves (router lifetime 0) and returns.
int router6_path(const std::string& socket, int uplinks, int iterations);

}  // namespace uplinkd::bench
