// Packet marks: what modes "packet" and "connection", `exclude` and [[rule]]s need from nftables
// (plan.marks) and from the routing rules that turn a mark into an uplink's table (plan.rules).
#pragma once

#include "config/config.hpp"
#include "plan/members.hpp"
#include "plan/plan.hpp"

namespace uplinkd {

// After the uplinks' tables and the group are planned: `group` is the kernel group's members, which the
// mode's own spreading uses too.
void plan_marks(const Config& config, const Members& group, Plan& plan);

}  // namespace uplinkd
