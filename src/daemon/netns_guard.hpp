// SPDX-License-Identifier: GPL-2.0-or-later
// Tests, the demo and benchmarks set UPLINKD_REQUIRE_NETNS=1 so that a mistake in a script can never let
// uplinkd rewrite the routing of the machine it runs on: with it set, uplinkd refuses to start in the
// initial network namespace.
#pragma once

#include <optional>
#include <string>

namespace uplinkd {

// nullopt when uplinkd may run here; otherwise why not.
std::optional<std::string> netns_guard_refusal();

}  // namespace uplinkd
