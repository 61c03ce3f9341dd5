// SPDX-License-Identifier: GPL-2.0-or-later
// A plan as the `ip`, `sysctl` and `nft` commands that would build it by hand: what `uplinkctl plan` prints.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "netlink/mptcp_objects.hpp"
#include "plan/mptcp_endpoints.hpp"
#include "plan/plan.hpp"

namespace uplinkd {

using InterfaceNames = std::map<uint32_t, std::string>;  // ifindex -> name

std::vector<std::string> plan_commands(const Plan& plan, const InterfaceNames& names);

// The MPTCP endpoints uplinkd wants and the limits it keeps (MptcpApplier's wanted and limits) as the
// `ip mptcp` commands that would make them: `ip mptcp endpoint add 100.64.1.10 id 255 dev wan1 subflow`.
std::vector<std::string> mptcp_commands(const std::vector<PlannedMptcpEndpoint>& wanted,
                                        const std::optional<netlink::MptcpLimits>& limits,
                                        const InterfaceNames& names);

}  // namespace uplinkd
