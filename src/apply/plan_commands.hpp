// SPDX-License-Identifier: GPL-2.0-or-later
// A plan as the `ip`, `sysctl` and `nft` commands that would build it by hand: what `uplinkctl plan` prints.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "plan/plan.hpp"

namespace uplinkd {

using InterfaceNames = std::map<uint32_t, std::string>;  // ifindex -> name

std::vector<std::string> plan_commands(const Plan& plan, const InterfaceNames& names);

}  // namespace uplinkd
