// SPDX-License-Identifier: GPL-2.0-or-later
// Packet marks: what modes "packet" and "connection", `exclude` and [[rule]]s need from nftables
// (plan.marks) and from the routing rules that turn a mark into an uplink's table (plan.rules), for IPv4 and,
// once an uplink has it, IPv6.
#pragma once

#include <optional>

#include "config/config.hpp"
#include "plan/members.hpp"
#include "plan/plan.hpp"
#include "state/state.hpp"

namespace uplinkd {

// After the uplinks' tables and the groups are planned: `group` and `group6` are the kernel groups' members,
// which the mode's own spreading uses too; `group6` is nullopt while no uplink has IPv6 (nothing IPv6 is
// planned then). `state` gives every uplink's IPv6 prefixes, whose sources are never marked.
void plan_marks(const Config& config, const State& state, const Members& group,
                const std::optional<Members>& group6, Plan& plan);

}  // namespace uplinkd
