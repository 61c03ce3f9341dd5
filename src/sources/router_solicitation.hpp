// SPDX-License-Identifier: GPL-2.0-or-later
// Asks the routers on an uplink to announce themselves now (RFC 4861 6.3.7). The kernel solicits routers only
// when an interface comes up; on a router that ignored RAs until uplinkd set accept_ra = 2, the next
// unsolicited RA may be minutes away (MaxRtrAdvInterval is up to 1800 s), and until then the uplink's IPv6
// has no router. Routers answer a solicitation at once; the kernel takes the answer like any RA.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/error.hpp"

namespace uplinkd {

// Sends one router solicitation to all-routers (ff02::2) on the interface, from its link-local address.
std::optional<KernelError> solicit_routers(const std::string& interface, uint32_t ifindex);

}  // namespace uplinkd
